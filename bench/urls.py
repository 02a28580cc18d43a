"""The project's URLs plus ``/bench/constant/``: the smallest DRF endpoint, a constant answer; and the floors.

Its throughput on the same server, in the same run, is the ceiling the partner API is compared to:
what Django, DRF, gunicorn and the load generator cost before any of our code runs.
"""

import uuid

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from illms.urls import urlpatterns as project_urlpatterns
from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.partners import authentication, throttling
from requests_app.partners.api.permissions import IsPartner, IsPartnerOrStaff, api_caller
from requests_app.partners.handler import confirm


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


#: The floor's answer: an ISO 18626 OK confirmation of a request, written once.
_FLOOR_CONFIRMATION = xml.encode(confirm(m.Request(
    header=m.RequestHeader(supplying_agency_id=m.AgencyId(type=m.TypedValue(value="ISIL"), value="BENCH"),
                           requesting_agency_id=m.AgencyId(type=m.TypedValue(value="ISIL"), value="FLOOR"),
                           timestamp=timezone.now(), requesting_agency_request_id="floor"),
    bibliographic_info=m.BibliographicInfo(title="floor"),
    service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW)),
    received=timezone.now()))
FLOOR_THREAD = "bench-floor:"


@csrf_exempt
@require_POST
def intake_floor(request):
    """The acknowledged intake's one write (bench/bare.py: the pending inbound message, its statement compiled
    once, the body kept as its payload) behind everything our ``/iso18626`` runs around it: the middleware, the
    body read, the partner's key, its rate limits, and a constant confirmation.

    Not a target: the most any ISO 18626 intake can reach through Django and our doors on this machine, with no
    XML read, no directory look-up, no checks and no ORM. The intake's share of it says what those cost. The key
    alone says who sends (nothing is parsed); its last use is left to the row, as the intake leaves it.
    """
    from . import bare  # the statement is compiled on first use

    body = request.read(xml.MAX_MESSAGE_BYTES + 1)
    try:
        caller = authentication.authenticate_partner(
            authorization=request.headers.get("Authorization", ""), address=authentication.client_address(
                request.META), door="/bench/intake-floor/", defer_use=True)
        authentication.throttle(caller)
    except authentication.PartnerRefused:
        return HttpResponse(status=403)
    except throttling.Throttled:
        return HttpResponse(status=429)
    member = next(iter(bare._prepare()["members"].values()))
    with connection.cursor() as cursor:
        bare.store_message(cursor, sender=caller.library.pk, member=member, key_prefix=caller.key.prefix,
                           payload=body.decode("utf-8", "replace"), thread=f"{FLOOR_THREAD}{uuid.uuid4().hex}")
    return HttpResponse(_FLOOR_CONFIRMATION, content_type="application/xml; charset=utf-8")


urlpatterns = [path("bench/constant/", Constant.as_view()),
               path("bench/authenticated/", AuthenticatedConstant.as_view()),
               path("bench/create-floor/", CreateFloor.as_view()),
               path("bench/intake-floor/", intake_floor), *project_urlpatterns]
