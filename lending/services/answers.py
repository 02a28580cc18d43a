"""Our answers to a partner's request, each through the workflow service so the partner is told.

Every function takes keyword arguments, validates its input (``WorkflowError('invalid')``,
nothing changed), then calls ``requests_app.services.perform`` with the data the ISO 18626
message needs (``reason_unfilled``, ``shipping_method``, ``tracking_number``, ``due_date``…).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.conditions import LoanCondition, offered_cost
from requests_app.models import EventSource, IllRequest
from requests_app.policies import policy_for
from requests_app.services import claim, perform
from requests_app.unfilled import UnfilledReason
from requests_app.workflow import Actor, WorkflowError

from ..models import LendingDetail
from ..states import ON_LOAN
from .availability import partner_rule, partner_rule_warnings


class ShippingMethod(models.TextChoices):
    MAIL = "Mail", _("Mail")
    COURIER = "Courier", _("Courier")
    IN_NETWORK = "InNetworkDelivery", _("In-network delivery")


def will_supply(*, request: IllRequest, actor: Actor, note: str = "") -> IllRequest:
    """The item is in hand: tell the borrower WillSupply."""
    return perform(request=request, action="will_supply", actor=actor, note=note)


def offer_conditions(*, request: IllRequest, actor: Actor, conditions: list[str], note: str,
                     fee_amount: Decimal | str | None = None, fee_currency: str = "",
                     source: str = EventSource.WEB) -> IllRequest:
    """Offer to supply on ``conditions`` (loanCondition codes); ``note`` explains them to the borrower.

    A fee (``fee_amount`` in ``fee_currency``, our library's currency when empty) is sent as ISO 18626
    offeredCosts and kept in the event's ``offered_cost``; billing charges it when the borrower accepts and
    we supply. A fee adds the ``Cost`` condition; ``Cost`` without an amount is refused (``invalid``).
    """
    codes = [c for c in dict.fromkeys(conditions or []) if c]
    unknown = [c for c in codes if c not in LoanCondition.values]
    if unknown:
        raise WorkflowError("invalid", gettext("Unknown condition %(codes)s.") % {"codes": ", ".join(unknown)})
    data: dict = {}
    if fee_amount not in (None, ""):
        try:
            data["offered_cost"] = offered_cost(fee_amount, fee_currency or request.library.currency)
        except ValueError as exc:
            raise WorkflowError("invalid", str(exc), field="fee_amount") from None
        if LoanCondition.COST not in codes:
            codes.append(LoanCondition.COST)
    elif LoanCondition.COST in codes:
        raise WorkflowError("invalid", gettext("A fee applies: give its amount."), field="fee_amount")
    if not codes:
        raise WorkflowError("invalid", gettext("Choose at least one condition."))
    if not (note or "").strip():
        raise WorkflowError("invalid", gettext("Conditions need a note for the borrower."))
    labels = ", ".join(codes)
    return perform(request=request, action="offer_conditions", actor=actor, note=f"{labels}: {note.strip()}",
                   data={"loan_conditions": codes, **data}, source=source)


def unfill(*, request: IllRequest, actor: Actor, reason: str, note: str = "",
           retry_after: dt.date | None = None, source: str = EventSource.WEB) -> IllRequest:
    """Answer unfilled with an ISO 18626 reason code; ``retry_after`` says when the borrower may try again.

    ISO 18626's RetryPossible is not a lending state here: a retry date is an unfill whose
    note (which the partner receives) names the date.
    """
    if reason not in UnfilledReason.values:
        raise WorkflowError("invalid", gettext("Choose a reason (%(reasons)s).")
                            % {"reasons": ", ".join(UnfilledReason.values)})
    if retry_after is not None and retry_after <= timezone.localdate():
        raise WorkflowError("invalid", gettext("The retry date must be in the future."))
    text = (note or "").strip()
    data: dict = {"reason_unfilled": reason}
    if retry_after is not None:
        data["retry_after"] = retry_after.isoformat()
        text = f"{text} Retry possible after {retry_after.isoformat()}.".strip()
    return perform(request=request, action="unfill", actor=actor, note=text or UnfilledReason(reason).label,
                   data=data, source=source)


def print_pull_slip(*, request: IllRequest, actor: Actor) -> IllRequest:
    return perform(request=request, action="print_pull_slip", actor=actor)


def ship(*, request: IllRequest, actor: Actor, shipping_method: str = ShippingMethod.MAIL,
         tracking_number: str = "", carrier: str = "", due_date: dt.date | None = None, item_id: str = "",
         note: str = "", source: str = EventSource.WEB) -> IllRequest:
    """Ship a loan: due date per our loan period unless given; the Loaned message carries method and tracking."""
    if shipping_method not in ShippingMethod.values:
        raise WorkflowError("invalid", gettext("Choose a shipping method (%(methods)s).") % {
            "methods": ", ".join(str(label) for label in ShippingMethod.labels)})
    if due_date is not None and due_date <= timezone.localdate():
        raise WorkflowError("invalid", gettext("The due date must be in the future."))
    tracking_number, carrier = (tracking_number or "").strip()[:100], (carrier or "").strip()[:50]
    if not item_id:
        detail = LendingDetail.objects.filter(request=request).select_related("holding").first()
        item_id = detail.holding.barcode if detail and detail.holding else ""
    data = {"shipping_method": shipping_method, "tracking_number": tracking_number, "carrier": carrier,
            "item_id": item_id}
    if due_date is not None:
        data["due_date"] = due_date.isoformat()
    data = {k: v for k, v in data.items() if v}
    with transaction.atomic():
        request = perform(request=request, action="ship", actor=actor, note=note, data=data, source=source)
        LendingDetail.objects.update_or_create(request=request, defaults={
            "shipping_method": shipping_method, "tracking_number": tracking_number, "carrier": carrier,
            "shipped_at": timezone.now()})
    return request


def check_in(*, request: IllRequest, actor: Actor, source: str = EventSource.WEB) -> IllRequest:
    return perform(request=request, action="check_in", actor=actor, source=source)


def recall(*, request: IllRequest, actor: Actor, note: str = "") -> IllRequest:
    return perform(request=request, action="recall", actor=actor, note=note)


def answer_renewal(*, request: IllRequest, actor: Actor, grant: bool, due_date: dt.date | None = None,
                   note: str = "", source: str = EventSource.WEB) -> IllRequest:
    """Grant (with ``due_date``, or our loan period from the current due date) or refuse a renewal."""
    if grant and due_date is not None and request.due_date and due_date <= request.due_date:
        raise WorkflowError("invalid", gettext("A renewal must move the due date later."))
    data: dict = {"answer": "Y" if grant else "N"}
    if grant and due_date is not None:
        data["due_date"] = due_date.isoformat()
    return perform(request=request, action="answer_renewal", actor=actor, note=note, data=data, source=source)


def note_renewal_request(*, request: IllRequest) -> None:
    """The borrower asked to renew (the request shows it: ``renewal_requested_at``): answer per policy when
    auto-renew is on, otherwise it waits for staff in the desk's renewals list.

    With the library's policy “grant renewals automatically” and fewer renewals so far than its
    renewal limit, the system grants it for one more loan period, unless our rule for this partner
    warns against lending to it (no loans, unpaid invoices); otherwise it waits for staff.
    """
    request = IllRequest.objects.select_related("library", "partner").get(pk=request.pk)
    policy = policy_for(request.library)
    if (policy.lending_auto_renew and request.renewal_count < policy.max_renewals and request.status in ON_LOAN
            and not partner_rule_warnings(request, partner_rule(request))):
        claim(request_id=request.pk, from_status=request.status, action="answer_renewal",
              actor=Actor.system("renewal policy"), source=EventSource.SYSTEM,
              note="Renewed per our lending policy.", data={"answer": "Y"})


def find_by_barcode(*, library, barcode: str) -> IllRequest:
    """The lending request a scanned request barcode (``L123``, or its number) names, or ``invalid``."""
    text = (barcode or "").strip().upper()
    number = text[1:] if text.startswith("L") else text
    if not number.isdigit():
        raise WorkflowError("invalid", gettext("“%(barcode)s” is not a lending request barcode (L followed by digits).")
                            % {"barcode": barcode})
    try:
        return IllRequest.objects.select_related("library", "partner").get(
            pk=int(number), library=library, role="lending")
    except IllRequest.DoesNotExist:
        raise WorkflowError("invalid", gettext("No lending request %(number)s in our queues.")
                            % {"number": text}) from None


