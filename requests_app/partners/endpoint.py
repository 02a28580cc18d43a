"""``POST /iso18626``: the door for ILL systems that speak ISO 18626 XML (and its JSON twin).

Every answer is a confirmation message: HTTP 200 for OK and for ERROR, as peers expect; 403
when the sender is not authenticated as the library the message names (``authentication``, the
one authentication of every partner door); 429 with ``Retry-After`` when it sends too much.
Nothing here decides anything: the message goes to ``intake.receive``, which applies it with the same
code the other doors use (``handler.handle``), at once or by a worker after confirming it.

A message the strict reader refuses is read once more, repaired (``iso18626.repairs``), when the
partner its header names is set to lenient intake; the partner authenticates before that reading, so
leniency is granted to the partner only, never to whoever names it. A partner that is not lenient gets
the strict refusal, which says when lenient intake would have read the message.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..iso18626 import json_codec, repairs, xml
from ..iso18626 import messages as m
from ..iso18626.confirmations import confirmation_for, error_confirmation
from ..iso18626.errors import ProtocolError
from ..models import EventSource, Library
from . import authentication, intake, throttling
from .handler import find_parties, find_parties_of, lender_status_now, sender_agency
from .keys import record_use

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/xml; charset=utf-8"


def _answer(confirmation, version: str, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """The confirmation in the form of the version the peer sent (ours, 1.2, when we write no such version)."""
    answered_in = version if xml.form_of(version) else xml.DEFAULT_VERSION
    return HttpResponse(xml.encode(confirmation, version=answered_in), content_type=CONTENT_TYPE, status=status,
                        headers=headers)


def _refusal(message, received, value: str):
    errors = [m.ErrorData(error_type=m.ErrorType.UNRECOGNISED_DATA_VALUE, error_value=value)]
    return confirmation_for(message, errors=errors, timestamp_received=received)


def _throttled_headers(throttled: throttling.Throttled) -> dict[str, str]:
    return {"Retry-After": str(throttled.retry_after)}


def _unknown_sender(message) -> str:
    agency = sender_agency(message)
    who = f"{agency.type.value}:{agency.value}" if agency else "(none)"
    return f"The sending agency {who} is not a known, active partner."


def _address(request: HttpRequest) -> str:
    return authentication.client_address(request.META)


def _authenticate(request: HttpRequest, message, door: str):
    """The authenticated sender of ``message`` and the member library it is for (``handler.find_parties``)."""
    partner, member = find_parties(message)
    return _authenticate_as(request, partner, door), member


def _authenticate_as(request: HttpRequest, partner: Library | None, door: str):
    """The caller, authenticated and counted. Its key's last use is left to ``intake.receive``, which writes it
    with the message it stores; a call refused here has its key's use written now."""
    caller = authentication.authenticate_partner(
        authorization=request.headers.get("Authorization", ""), address=_address(request), sender=partner,
        sender_named=True, door=door, defer_use=True)
    try:
        authentication.throttle(caller)
    except throttling.Throttled:
        if caller.key is not None:
            record_use(caller.key)
        raise
    return caller


class _Answered(Exception):
    """The message was answered before it could be handled (``response``)."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _read_leniently(request: HttpRequest, body: bytes, limit: int, strict: ProtocolError, received):
    """A message the strict reader refused, read again repaired for a lenient partner that authenticated.

    Returns ``(envelope, repairs, caller, member)``; raises the ``ProtocolError`` to answer with (the
    strict one for a partner that is not lenient, with a word on lenient intake when it would have
    helped), or ``_Answered`` when the partner's authentication is refused.
    """
    partial = strict.partial_header
    partner, member = find_parties_of(partial)
    if partner is None:
        raise strict
    if not partner.reads_leniently:
        try:  # would it read leniently? (a CancelResponse's status now is not looked up for that: any will do)
            repairs.read_leniently(body, max_bytes=limit, status_now=m.Status.REQUEST_RECEIVED)
        except ProtocolError:
            raise strict from None
        raise repairs.strict_refusal(strict) from None
    version = partial.version or xml.DEFAULT_VERSION
    try:
        caller = _authenticate_as(request, partner, "/iso18626")
    except authentication.PartnerRefused as refused:
        error = ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"Not authorised: {refused.note}", partial)
        raise _Answered(_answer(error_confirmation(error, timestamp_received=received), version, 403)) from None
    except throttling.Throttled as throttled:
        error = ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, throttled.note, partial)
        raise _Answered(_answer(error_confirmation(error, timestamp_received=received), version, 429,
                                _throttled_headers(throttled))) from None
    cancel_response = (partial.kind is m.MessageKind.SUPPLYING_AGENCY_MESSAGE
                       and partial.reason_for_message is m.ReasonForMessage.CANCEL_RESPONSE)
    status_now = lender_status_now(partial, caller.library, member) if cancel_response else None
    try:
        reading = repairs.read_leniently(body, max_bytes=limit, status_now=status_now)
    except ProtocolError:
        if caller.key is not None:  # no message is stored to write the key's use with
            record_use(caller.key)
        raise
    return reading.envelope, reading.repairs, caller, member


@csrf_exempt
@require_POST
def iso18626(request: HttpRequest) -> HttpResponse:
    received = timezone.now()
    limit = int(getattr(settings, "ISO18626_MAX_BODY_BYTES", xml.MAX_MESSAGE_BYTES))
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        error = ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"The message is larger than {limit} bytes.")
        return _answer(error_confirmation(error, timestamp_received=received), xml.DEFAULT_VERSION)
    body = request.read(limit + 1)
    found: tuple[repairs.Repair, ...] = ()
    caller = member = None
    try:
        try:
            envelope = xml.decode_envelope(body, max_bytes=limit)
        except ProtocolError as strict:
            envelope, found, caller, member = _read_leniently(request, body, limit, strict, received)
    except ProtocolError as exc:
        version = exc.partial_header.version or xml.DEFAULT_VERSION
        return _answer(error_confirmation(exc, timestamp_received=received), version)
    except _Answered as answered:
        return answered.response
    message, version = envelope.message, envelope.version
    if isinstance(message, m.RequestConfirmation | m.SupplyingAgencyMessageConfirmation
                  | m.RequestingAgencyMessageConfirmation):
        error = ProtocolError(m.ErrorType.UNRECOGNISED_DATA_ELEMENT,
                              "A confirmation is the answer to a message, not a message to send here.")
        return _answer(error_confirmation(error, timestamp_received=received), version)
    try:
        if caller is None:  # a partner read leniently has authenticated already
            caller, member = _authenticate(request, message, "/iso18626")
    except authentication.PartnerRefused as refused:
        if refused.code == "unknown_sender":  # today's answer: HTTP 200, the agency named
            return _answer(_refusal(message, received, _unknown_sender(message)), version)
        return _answer(_refusal(message, received, f"Not authorised: {refused.note}"), version, 403)
    except throttling.Throttled as throttled:
        return _answer(_refusal(message, received, throttled.note), version, 429, _throttled_headers(throttled))
    confirmation = intake.receive(message, sender=caller.library, source=EventSource.ISO18626, member=member,
                                  repairs=found, api_key=caller.key)
    return _answer(confirmation, version)


@csrf_exempt
@require_POST
def messages_json(request: HttpRequest) -> JsonResponse:
    """``POST /api/v1/messages/``: the same messages in ILLMS's JSON form, for another ILLMS installation.

    The sender authenticates as on ``/iso18626`` (the same function): one of its keys as
    ``Authorization: Bearer <key>`` (or ``Api-Key``, or HTTP Basic), bound to the library the
    message names. Answers are confirmations in JSON: HTTP 200 for OK and ERROR alike; an ERROR
    with 401 without a usable credential, 403 for a credential of another library or address,
    429 (``Retry-After``) when throttled.
    """
    received = timezone.now()
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
        return _json(error_confirmation(exc, timestamp_received=received))
    try:
        caller, member = _authenticate(request, message, "/api/v1/messages/")
    except authentication.PartnerRefused as refused:
        if refused.code == "unknown_sender":
            return _json(_refusal(message, received, _unknown_sender(message)), 403)
        status = 401 if refused.unauthenticated else 403
        headers = {"WWW-Authenticate": 'Bearer realm="ILLMS partner messages"'} if status == 401 else None
        return _json(_refusal(message, received, f"Not authorised: {refused.note}"), status, headers)
    except throttling.Throttled as throttled:
        return _json(_refusal(message, received, throttled.note), 429, _throttled_headers(throttled))
    return _json(intake.receive(message, sender=caller.library, source=EventSource.API, member=member,
                                api_key=caller.key))


def _json(confirmation, status: int = 200, headers: dict | None = None) -> JsonResponse:
    return JsonResponse(json_codec.to_json(confirmation), status=status, headers=headers)
