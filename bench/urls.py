"""The project's URLs plus ``/bench/constant/``: the smallest DRF endpoint, a constant answer.

Its throughput on the same server, in the same run, is the ceiling the partner API is compared to:
what Django, DRF, gunicorn and the load generator cost before any of our code runs.
"""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from illms.urls import urlpatterns as project_urlpatterns
from requests_app.partners.api.permissions import IsPartnerOrStaff


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


urlpatterns = [path("bench/constant/", Constant.as_view()),
               path("bench/authenticated/", AuthenticatedConstant.as_view()), *project_urlpatterns]
