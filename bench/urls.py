"""The project's URLs plus ``/bench/constant/``: the smallest DRF endpoint, a constant answer.

Its throughput on the same server, in the same run, is the ceiling the partner API is compared to:
what Django, DRF, gunicorn and the load generator cost before any of our code runs.
"""

from django.db import connection, transaction
from django.urls import path
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from illms.urls import urlpatterns as project_urlpatterns
from requests_app.partners.api.permissions import IsPartner, IsPartnerOrStaff, api_caller


class Constant(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"status": "ok"})


class AuthenticatedConstant(APIView):
    """The constant behind the partner API's own authentication and permission: one key look-up.

    Not a target: it shows what the first database query of any authenticated call costs on this machine.
    """

    permission_classes = [IsPartnerOrStaff]

    def get(self, request):
        return Response({"status": "ok"})


class CreateFloor(APIView):
    """The framework-free create's work (bench/bare.py: the required fields checked, the two rows written with
    statements compiled once) behind everything our create runs before and after it: the middleware, DRF's
    parsing and rendering, the partner's key, permission and rate limits, a transaction on Django's connection.

    Not a target: the most any create can reach through Django, DRF and our doors on this machine, with no
    validation, no ORM and no serializer. The create's share of it says what those cost.
    """

    permission_classes = [IsPartner]

    def post(self, request):
        from . import bare  # the statements are compiled on first use, as the bare door does

        body = request.data if isinstance(request.data, dict) else {}
        missing, library = bare.missing_fields(body), bare.member_id(body.get("supplying_library"))
        if missing or library is None:
            return Response({"missing": missing}, status=status.HTTP_400_BAD_REQUEST)
        with transaction.atomic(), connection.cursor() as cursor:
            new_id = bare.write_request(cursor, partner=api_caller(request).library.pk, library=library, body=body)
        return Response({"id": new_id, "number": f"L-{new_id}"}, status=status.HTTP_201_CREATED)


urlpatterns = [path("bench/constant/", Constant.as_view()),
               path("bench/authenticated/", AuthenticatedConstant.as_view()),
               path("bench/create-floor/", CreateFloor.as_view()), *project_urlpatterns]
