"""``POST /iso18626``: the door for ILL systems that speak ISO 18626 XML.

Every answer is a confirmation message (HTTP 200 for OK and for ERROR, as peers expect;
403 when the sender fails its key or address check). Nothing here decides anything: the
message goes to ``handler.handle``, the same code the other doors use.
"""

from __future__ import annotations

import ipaddress
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import EventSource, Library
from ..services import authenticate_api_key
from . import json_codec, xml
from . import messages as m
from .confirmations import confirmation_for, error_confirmation
from .errors import ProtocolError

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/xml; charset=utf-8"


def _answer(confirmation, version: str, status: int = 200) -> HttpResponse:
    return HttpResponse(xml.encode(confirmation, version=version), content_type=CONTENT_TYPE, status=status)


def _refuse(message, received, error_type: m.ErrorType, value: str, version: str, status: int = 200) -> HttpResponse:
    errors = [m.ErrorData(error_type=error_type, error_value=value)]
    return _answer(confirmation_for(message, errors=errors, timestamp_received=received), version, status)


def _address_allowed(library: Library, address: str) -> bool:
    networks = library.ip_allowlist.split()
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("bad IP allow-list entry %r for %s", network, library.symbol)
    return False


def _key_allowed(library: Library, request: HttpRequest) -> bool:
    if not library.require_api_key:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    key = authenticate_api_key(raw) if scheme.lower() in {"bearer", "api-key"} else None
    return key is not None and key.library_id == library.pk


@csrf_exempt
@require_POST
def iso18626(request: HttpRequest) -> HttpResponse:
    from .handler import find_parties, handle, sender_agency

    received = timezone.now()
    limit = int(getattr(settings, "ISO18626_MAX_BODY_BYTES", xml.MAX_MESSAGE_BYTES))
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        error = ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"The message is larger than {limit} bytes.")
        return _answer(error_confirmation(error, timestamp_received=received), xml.DEFAULT_VERSION)
    body = request.read(limit + 1)
    try:
        envelope = xml.decode_envelope(body, max_bytes=limit)
    except ProtocolError as exc:
        version = exc.partial_header.version or xml.DEFAULT_VERSION
        return _answer(error_confirmation(exc, timestamp_received=received), version)
    message, version = envelope.message, envelope.version
    if isinstance(message, m.RequestConfirmation | m.SupplyingAgencyMessageConfirmation
                  | m.RequestingAgencyMessageConfirmation):
        error = ProtocolError(m.ErrorType.UNRECOGNISED_DATA_ELEMENT,
                              "A confirmation is the answer to a message, not a message to send here.")
        return _answer(error_confirmation(error, timestamp_received=received), version)
    partner, member = find_parties(message)
    if partner is None:
        agency = sender_agency(message)
        who = f"{agency.type.value}:{agency.value}" if agency else "(none)"
        return _refuse(message, received, m.ErrorType.UNRECOGNISED_DATA_VALUE,
                       f"The sending agency {who} is not a known, active partner.", version)
    if not _address_allowed(partner, request.META.get("REMOTE_ADDR", "")) or not _key_allowed(partner, request):
        return _refuse(message, received, m.ErrorType.UNRECOGNISED_DATA_VALUE,
                       "The message is not authorised: key or address not accepted for this partner.", version,
                       status=403)
    confirmation = handle(message, sender=partner, source=EventSource.ISO18626, member=member)
    return _answer(confirmation, version)


@csrf_exempt
@require_POST
def messages_json(request: HttpRequest) -> JsonResponse:
    """``POST /api/v1/messages/``: the same messages in ILLMS's JSON form, for another ILLMS installation.

    The sender is the library of the API key (``Authorization: Bearer <key>``). Answers are
    confirmations in JSON, HTTP 200 for OK and ERROR alike; 401 without a usable key.
    """
    from .handler import handle

    received = timezone.now()
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    key = authenticate_api_key(raw) if scheme.lower() in {"bearer", "api-key"} else None
    if key is None:
        return JsonResponse({"code": "not_authenticated", "message": "Send a partner API key as “Authorization: "
                                                                    "Bearer <key>”."}, status=401)
    limit = int(getattr(settings, "ISO18626_MAX_BODY_BYTES", xml.MAX_MESSAGE_BYTES))
    body = request.read(limit + 1)
    try:
        if len(body) > limit:
            raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"The message is larger than {limit} bytes.")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, "The body is not JSON.") from exc
        message = json_codec.from_json(data)
        if json_codec.kind_of(message).endswith("Confirmation"):
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_ELEMENT,
                                "A confirmation is the answer to a message, not a message to send here.")
    except ProtocolError as exc:
        return JsonResponse(json_codec.to_json(error_confirmation(exc, timestamp_received=received)))
    from .handler import same_agency, sender_agency

    if not same_agency(sender_agency(message), key.library):
        errors = [m.ErrorData(error_type=m.ErrorType.UNRECOGNISED_DATA_VALUE,
                              error_value="The sending agency in the header is not the library of this API key.")]
        return JsonResponse(json_codec.to_json(confirmation_for(message, errors=errors, timestamp_received=received)))
    return JsonResponse(json_codec.to_json(handle(message, sender=key.library, source=EventSource.API)))

