"""Loans at the desk: the barcode scanner and actions on many requests at once.

Each request still changes only through ``requests_app.services.perform``; these functions
find the requests, pick the action and report what happened to each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.models import EventSource, IllRequest, Library, Role
from requests_app.services import perform
from requests_app.workflow import Actor, WorkflowError

from ..models import ReturnShipment
from ..states import BorrowingStatus as S


class ScanMode(TextChoices):
    RECEIVE = "receive", _("Receive from lender (and notify the patron)")
    CHECK_OUT = "check_out", _("Check out to patron")
    CHECK_IN = "check_in", _("Check in from patron")
    RETURN_SHIP = "return_ship", _("Ship back to lender")


@dataclass(frozen=True)
class Outcome:
    """What happened to one request of a bulk action or a scan."""

    number: str
    ok: bool
    message: str
    request: IllRequest | None = None


_NUMBER = re.compile(r"^\s*[Bb]?0*(\d{1,12})\s*$")


def parse_request_number(text: str) -> int | None:
    """``B123`` (as printed on the slip), ``b123`` or ``123`` → 123; anything else → ``None``."""
    match = _NUMBER.match(text or "")
    return int(match.group(1)) if match else None


def scan(*, library: Library, code: str, mode: str, actor: Actor) -> Outcome:
    """A staff member scanned (or typed) a request barcode in ``mode``.

    ``receive`` also tells the patron the item is ready, when it is a physical loan.
    Never raises for a bad scan: the outcome says what went wrong.
    """
    if mode not in ScanMode.values:
        return Outcome(code, False, gettext("Choose what the scanner does."))
    pk = parse_request_number(code)
    # The result names the patron and the due dates (the desk hands the item over or shelves it for them).
    request = (IllRequest.objects.filter(pk=pk, library=library, role=Role.BORROWING)
               .select_related("library", "partner", "pickup_location", "patron__patron_profile").first()
               if pk is not None else None)
    if request is None:
        return Outcome(code.strip(), False, gettext("No borrowing request “%(code)s” here.") % {"code": code.strip()})
    try:
        perform(request=request, action=mode, actor=actor, source=EventSource.WEB)
        if mode == ScanMode.RECEIVE and request.status == S.RECEIVED and not request.is_copy_format:
            perform(request=request, action="notify_patron", actor=actor, source=EventSource.WEB)
    except WorkflowError as exc:
        return Outcome(request.number, False, exc.message, request)
    return Outcome(request.number, True, gettext("now “%(status)s”") % {"status": request.status_label}, request)


def return_ship(*, request: IllRequest, actor: Actor, carrier: str = "", tracking_number: str = "",
                expected_status: str | None = None, source: str = EventSource.WEB) -> IllRequest:
    """Ship the lender's item back, keeping the carrier and tracking number (``ReturnShipment``).

    The lender is told both in the ShippedReturn message's note (ISO 18626 has no element for a
    return's tracking); the event keeps them in its data. Raises ``WorkflowError`` as ``perform`` does.
    """
    shipment = ReturnShipment(request=request, carrier=(carrier or "").strip()[:50],
                              tracking_number=(tracking_number or "").strip()[:100])
    data = {k: v for k, v in (("carrier", shipment.carrier), ("tracking_number", shipment.tracking_number)) if v}
    with transaction.atomic():
        request = perform(request=request, action="return_ship", actor=actor, source=source, note=shipment.note,
                          data=data, expected_status=expected_status)
        ReturnShipment.objects.update_or_create(request=request, defaults={
            "carrier": shipment.carrier, "tracking_number": shipment.tracking_number, "shipped_at": timezone.now()})
    return request


def perform_bulk(*, library: Library, request_ids: list[int], action: str, actor: Actor,
                 note: str = "") -> list[Outcome]:
    """Perform ``action`` on each of ``library``'s borrowing requests in ``request_ids``.

    Each request is its own transaction: one refusal does not undo the others. Returns one
    outcome per request, in the order asked.
    """
    found = {r.pk: r for r in IllRequest.objects.filter(pk__in=request_ids, library=library, role=Role.BORROWING)
             .select_related("library", "partner")}
    outcomes = []
    for pk in dict.fromkeys(request_ids):
        request = found.get(pk)
        if request is None:
            outcomes.append(Outcome(f"B{pk}", False, gettext("Not one of this library's borrowing requests.")))
            continue
        try:
            perform(request=request, action=action, actor=actor, source=EventSource.WEB, note=note)
        except WorkflowError as exc:
            outcomes.append(Outcome(request.number, False, exc.message, request))
        else:
            now = gettext("now “%(status)s”") % {"status": request.status_label}
            outcomes.append(Outcome(request.number, True, now,
                                    request))
    return outcomes
