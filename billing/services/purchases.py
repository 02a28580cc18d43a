"""A purchase instead of a loan, in the budget: the order's cost is committed when it is ordered, adjusted
to the vendor's invoice at receipt, released when the purchase is cancelled.

One payable charge per request (service *purchase*, no partner: the vendor is not a library), of the fund
the order names. While the request is *purchase ordered* the budget counts it as committed, once received
as spent (``billing.selectors.budget_statuses``). Called from the workflow's signal after commit; safe to
call again for the same event.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from borrowing.models import PurchaseOrder
from requests_app.models import Event, IllRequest

from ..models import Charge, ChargeAdjustment, ChargeStatus, Direction, Service

ORDERED, RECEIVED, CANCELLED = "order_purchase", "receive_purchase", "cancel_purchase"
ACTIONS = frozenset({ORDERED, RECEIVED, CANCELLED})


def charge_for_purchase(*, request: IllRequest, event: Event) -> Charge | None:
    """The purchase charge ``event`` creates or changes (``None`` when there is no order)."""
    order = PurchaseOrder.objects.filter(request=request).select_related("vendor").first()
    if order is None:
        return None
    lookup = {"request": request, "direction": Direction.PAYABLE, "service": Service.PURCHASE, "key": ""}
    fields = {"library": request.library, "partner": None, "event": event, "amount": order.total,
              "original_amount": order.total, "currency": order.currency, "fund": order.fund,
              # Dated by its order's event (the budget's day); first recorded at a later event, by the order.
              "incurred_at": event.created_at if event.action == ORDERED else order.ordered_at,
              "note": (_("Purchase order %(number)s from %(vendor)s") % {"number": order.number,
                                                                         "vendor": order.vendor.name})[:200]}
    try:
        with transaction.atomic():
            charge, _created = Charge.objects.get_or_create(**lookup, defaults=fields)
    except IntegrityError:  # a replay racing the first delivery of the signal
        charge = Charge.objects.get(**lookup)
    if event.action == RECEIVED and order.invoiced_price is not None:
        _set_amount(charge, order.invoiced_price * order.quantity, event,
                    _("Invoiced by the vendor: %(price)s %(currency)s per copy%(invoice)s") % {
                        "price": order.invoiced_price, "currency": order.currency,
                        "invoice": f" ({order.invoice_number})" if order.invoice_number else ""})
    elif event.action == CANCELLED:
        _set_amount(charge, Decimal("0"), event, _("Purchase cancelled: %(reason)s") % {
            "reason": event.note or _("no reason given")})
    return charge


def _set_amount(charge: Charge, amount: Decimal, event: Event, reason: str) -> None:
    """Change the charge to ``amount`` with an audit row, unless it is already that (a replayed event)."""
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.amount == amount or locked.status in (ChargeStatus.INVOICED, ChargeStatus.SETTLED):
            return
        old = locked.amount
        locked.amount = amount
        locked.status = ChargeStatus.OPEN if amount > 0 else ChargeStatus.WAIVED
        locked.save(update_fields=["amount", "status"])
        ChargeAdjustment.objects.create(
            charge=locked, action=ChargeAdjustment.Action.ADJUST if amount > 0 else ChargeAdjustment.Action.WAIVE,
            old_amount=old, new_amount=amount, reason=reason[:2000], actor=event.actor_user)
