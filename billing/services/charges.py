"""Charges: created once per (request, direction, service, key) from workflow events or staff; waived
or adjusted by staff with a reason kept in an audit row."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from requests_app.conditions import accepted_cost
from requests_app.models import Event, IllRequest, Library, Role

from ..models import BillingSettings, Charge, ChargeAdjustment, ChargeStatus, Direction, Service
from ..money import normalize_currency, parse_amount, quantize
from ..periods import zone_of as _zone
from . import purchases
from .errors import BillingError
from .fees import Fee, fee_for

log = logging.getLogger(__name__)

#: Workflow actions that mean an item was supplied: (role, action) → direction. The service
#: (loan or copy) follows the action or, for a receipt, the request.
SUPPLY_ACTIONS: dict[tuple[str, str], str] = {
    (Role.LENDING, "ship"): Direction.RECEIVABLE,
    (Role.LENDING, "deliver_copy"): Direction.RECEIVABLE,
    (Role.BORROWING, "receive"): Direction.PAYABLE,
    (Role.BORROWING, "lender_delivered_copy"): Direction.PAYABLE,
}
COPY_ACTIONS = frozenset({"deliver_copy", "lender_delivered_copy"})


def _service_of(request: IllRequest, action: str) -> str:
    if action in COPY_ACTIONS:
        return Service.COPY
    if action == "ship" or request.service_type == "Loan":
        return Service.LOAN
    return Service.COPY if (request.service_type == "Copy" or request.is_copy_format) else Service.LOAN


def _fund_of(request: IllRequest) -> str:
    """The patron's department, as recorded on the request when it was made (it survives the purge)."""
    if request.patron_department:
        return request.patron_department
    profile = getattr(request.patron, "patron_profile", None) if request.patron_id else None
    return profile.department if profile else ""


def _create_once(**fields) -> tuple[Charge, bool]:
    """Create the charge unless its key exists; a replay (or a racing worker) gets the existing row."""
    lookup = {k: fields.pop(k) for k in ("request", "direction", "service", "key")}
    try:
        with transaction.atomic():
            return Charge.objects.get_or_create(**lookup, defaults=fields)
    except IntegrityError:
        return Charge.objects.get(**lookup), False


def _passes_costs(library: Library) -> bool:
    return BillingSettings.objects.filter(library=library, passes_costs_to_patrons=True).exists()


def _pass_on_to_patron(payable: Charge) -> Charge | None:
    """Where the library passes costs on, the patron owes what the lender charges us."""
    request = payable.request
    if not payable.counts or request.patron_id is None or not _passes_costs(payable.library):
        return None
    charge, _ = _create_once(
        request=request, direction=Direction.PATRON, service=payable.service, key=payable.key,
        library=payable.library, partner=payable.partner, patron_id=request.patron_id, event=payable.event,
        amount=payable.amount, original_amount=payable.amount, currency=payable.currency,
        note=f"Passed on: {payable.partner.symbol if payable.partner else ''} {payable.service} fee".strip(),
        fund=payable.fund, incurred_at=payable.incurred_at,
    )
    return charge


def charge_for_event(*, request: IllRequest, event: Event) -> list[Charge]:
    """The charges a workflow event creates (none for most events); safe to call again for the same event.

    Lending ``ship``/``deliver_copy``: a receivable from the requesting library. Borrowing
    ``receive``/``lender_delivered_copy``: a payable to the lender (and a patron charge
    where the library passes costs on). A supply event whose data says ``rush`` adds a rush
    surcharge; ``clear_copyright`` with a ``clearance_fee`` records the copyright fee. A purchase instead of a
    loan (ordered, received, cancelled) is ``purchases.charge_for_purchase``'s.
    """
    if event.action in purchases.ACTIONS and request.role == Role.BORROWING:
        charge = purchases.charge_for_purchase(request=request, event=event)
        return [charge] if charge is not None else []
    if request.role == Role.BORROWING and event.action == "supplier_delivered":
        return _supplier_charges(request, event)
    if event.action == "clear_copyright" and event.data.get("clearance_fee") not in (None, "", "None"):
        currency = event.data.get("currency") or request.library.currency
        return [record_copyright_fee(request=request, amount=event.data["clearance_fee"], currency=currency,
                                     actor=event.actor_user, event=event)]
    direction = SUPPLY_ACTIONS.get((request.role, event.action))
    if direction is None or request.partner_id is None:
        return []
    library, partner = request.library, request.partner
    on = timezone.localdate(event.created_at, timezone=_zone(library))
    created = []
    services = [_service_of(request, event.action)]
    if str(event.data.get("rush", "")).lower() in {"1", "true", "yes", "y"}:
        services.append(Service.RUSH)
    stated = _lenders_cost(request, event) if direction == Direction.PAYABLE else _fee_offered(request)
    for service in services:
        fee = fee_for(library=library, partner=partner, direction=direction, service=service, on=on)
        if stated is not None and service != Service.RUSH:
            fee = stated  # the lender's own figure (deliveryCosts, an accepted fee) beats our schedule's guess
        charge, _ = _create_once(
            request=request, direction=direction, service=service, key="",
            library=library, partner=partner, event=event, amount=fee.amount, original_amount=fee.amount,
            currency=fee.currency, note=fee.note[:200],
            status=ChargeStatus.WAIVED if fee.waived else ChargeStatus.OPEN,
            fund=_fund_of(request) if direction == Direction.PAYABLE else "", incurred_at=event.created_at,
        )
        created.append(charge)
        if direction == Direction.PAYABLE:
            patron_charge = _pass_on_to_patron(charge)
            if patron_charge is not None:
                created.append(patron_charge)
    return created


def _supplier_charges(request: IllRequest, event: Event) -> list[Charge]:
    """A commercial document supplier delivered: its price (a copy) and, when its prices do not include it, the
    copyright fee it adds, as payables to no partner library, keyed by the order (the request may also have had
    a partner's or a clearance charge)."""
    data = event.data
    try:
        currency = normalize_currency(str(data.get("currency") or request.library.currency))
        price = parse_amount(data.get("price"), currency)
        fee = parse_amount(data.get("copyright_fee") or "0", currency)
    except (ValueError, TypeError):
        log.warning("Supplier delivery %s on request %s carries no readable price", event.pk, request.pk)
        return []
    code, key = str(data.get("supplier_code") or "supplier"), f"supplier-order:{data.get('supplier_order')}"
    included = bool(data.get("copyright_fee_included"))
    lines = [(Service.COPY, price, f"Document supplier {code}: copy" + (
        " (copyright fee included)" if included else ""))]
    if not included and fee > 0:
        lines.append((Service.COPYRIGHT, fee, f"Document supplier {code}: copyright fee"))
    created = []
    for service, amount, note in lines:
        charge, _ = _create_once(
            request=request, direction=Direction.PAYABLE, service=service, key=key[:64], library=request.library,
            partner=None, event=event, amount=amount, original_amount=amount, currency=currency, note=note[:200],
            fund=_fund_of(request), incurred_at=event.created_at)
        created.append(charge)
        patron_charge = _pass_on_to_patron(charge)
        if patron_charge is not None:
            created.append(patron_charge)
    return created


def _lenders_cost(request: IllRequest, event: Event) -> Fee | None:
    """The cost the lender stated with the supply (ISO 18626 deliveryCosts), if it stated one.

    A copy carries it in the same message; a loan's payable is made when we receive the item,
    so the figure comes from the lender's shipping message before it.
    """
    stated = event.data.get("delivery_cost")
    if not stated:
        stated = (Event.objects.filter(request=request, actor_library=request.partner_id,
                                       data__has_key="delivery_cost")
                  .order_by("-created_at", "-pk").values_list("data", flat=True).first() or {}).get("delivery_cost")
    if not isinstance(stated, dict):
        return _fee_offered(request)
    return _fee(stated, "As charged by the lender (deliveryCosts)") or _fee_offered(request)


def _fee_offered(request: IllRequest) -> Fee | None:
    """The fee of the conditions the borrower accepted (ISO 18626 offeredCosts), if there was one."""
    return _fee(accepted_cost(request), "The fee of the conditions accepted (offeredCosts)")


def _fee(stated: dict | None, note: str) -> Fee | None:
    if not isinstance(stated, dict):
        return None
    try:
        currency = normalize_currency(str(stated.get("currency") or ""))
        amount = parse_amount(stated.get("amount"), currency)
    except (ValueError, TypeError):
        return None
    return Fee(amount=amount, currency=currency, waived=False, note=note)


def record_copyright_fee(*, request: IllRequest, amount, currency: str, actor=None,
                         event: Event | None = None) -> Charge:
    """The copyright clearance fee paid for a borrowing copy (e.g. to the CCC): a payable, once per request.

    For borrowing's copyright queue to call when clearance is obtained. Calling it again for
    the same request returns the existing charge (the amount is not changed: adjust it).
    Raises ``BillingError('invalid')`` for a lending request, a bad amount or currency.
    """
    if request.role != Role.BORROWING:
        raise BillingError("invalid", gettext("Copyright fees are paid for our borrowing requests only."))
    try:
        currency = normalize_currency(currency or request.library.currency)
        value = parse_amount(amount, currency)
    except ValueError as exc:
        raise BillingError("invalid", str(exc)) from None
    charge, _ = _create_once(
        request=request, direction=Direction.PAYABLE, service=Service.COPYRIGHT, key="",
        library=request.library, partner=None, event=event, amount=value, original_amount=value,
        currency=currency, note="Copyright clearance fee", fund=_fund_of(request),
        incurred_at=event.created_at if event else timezone.now(),
    )
    _pass_on_to_patron(charge)
    return charge


def record_lost_item_charge(*, request: IllRequest, actor, reason: str, amount=None,
                            currency: str = "") -> Charge:
    """A lost item: the borrower owes us (lending request) or we owe the lender (borrowing request).

    Without ``amount`` the fee schedule's lost-item fee applies; a missing fee is an error.
    Once per request. Raises ``BillingError('invalid')`` for a request without a partner,
    a missing reason or a bad amount.
    """
    if not (reason or "").strip():
        raise BillingError("invalid", gettext("Say why the item is charged as lost."))
    if request.partner_id is None:
        raise BillingError("invalid", gettext("This request has no partner library to charge."))
    direction = Direction.RECEIVABLE if request.role == Role.LENDING else Direction.PAYABLE
    if amount in (None, ""):
        fee = fee_for(library=request.library, partner=request.partner, direction=direction,
                      service=Service.LOST_ITEM, on=timezone.localdate())
        if fee.amount <= 0:
            raise BillingError("invalid", gettext("No lost-item fee is scheduled for this partner: enter the amount."))
        value, currency = fee.amount, fee.currency
    else:
        try:
            currency = normalize_currency(currency or request.library.currency)
            value = parse_amount(amount, currency)
        except ValueError as exc:
            raise BillingError("invalid", str(exc)) from None
    with transaction.atomic():
        charge, created = _create_once(
            request=request, direction=direction, service=Service.LOST_ITEM, key="",
            library=request.library, partner=request.partner, amount=value, original_amount=value,
            currency=currency, note=reason.strip()[:200],
            fund=_fund_of(request) if direction == Direction.PAYABLE else "",
        )
        if created and direction == Direction.PAYABLE:
            _pass_on_to_patron(charge)
    return charge


def _locked_open(charge: Charge) -> Charge:
    locked = Charge.objects.select_for_update().get(pk=charge.pk)
    if locked.status == ChargeStatus.INVOICED:
        raise BillingError("not_allowed", gettext("This charge is on an invoice: issue a credit note to correct it."))
    if locked.status == ChargeStatus.SETTLED:
        raise BillingError("not_allowed", gettext("This charge is settled (paid): it can no longer change."))
    return locked


def _audit(charge: Charge, action: str, old: Decimal, reason: str, actor) -> ChargeAdjustment:
    return ChargeAdjustment.objects.create(charge=charge, action=action, old_amount=old, new_amount=charge.amount,
                                           reason=reason, actor=actor)


def waive_charge(*, charge: Charge, actor, reason: str) -> Charge:
    """Waive ``charge`` (the amount becomes zero) with ``reason`` kept in an audit row.

    Raises ``BillingError``: ``invalid`` without a reason, ``not_allowed`` once invoiced.
    """
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("invalid", gettext("Say why the charge is waived."))
    with transaction.atomic():
        locked = _locked_open(charge)
        if locked.status == ChargeStatus.WAIVED:
            return locked
        old = locked.amount
        locked.amount = Decimal("0")
        locked.status = ChargeStatus.WAIVED
        locked.save(update_fields=["amount", "status"])
        _audit(locked, ChargeAdjustment.Action.WAIVE, old, reason, actor)
    return locked


def adjust_charge(*, charge: Charge, actor, amount, reason: str) -> Charge:
    """Set ``charge`` to ``amount`` (quantised to its currency) with ``reason`` kept in an audit row.

    Raises ``BillingError``: ``invalid`` for a bad amount or no reason, ``not_allowed`` once invoiced.
    """
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("invalid", gettext("Say why the charge is adjusted."))
    try:
        value = parse_amount(amount, charge.currency)
    except ValueError as exc:
        raise BillingError("invalid", str(exc)) from None
    with transaction.atomic():
        locked = _locked_open(charge)
        old = locked.amount
        locked.amount = value
        locked.status = ChargeStatus.OPEN if value > 0 else ChargeStatus.WAIVED
        locked.save(update_fields=["amount", "status"])
        _audit(locked, ChargeAdjustment.Action.ADJUST, old, reason, actor)
    return locked


def settle_charges(*, library: Library, charge_ids: list[int], settled_on: dt.date, reference: str = "",
                   actor=None) -> int:
    """Mark payables (paid to the lender: IFM, cheque, voucher) or patron charges (paid by the patron) settled.

    Only ``library``'s open payable and patron charges change; others in ``charge_ids`` are left
    alone (receivables are settled by invoice payments). Returns how many were settled.
    """
    if not charge_ids:
        raise BillingError("invalid", gettext("Choose the charges that were paid."))
    return Charge.objects.filter(
        library=library, pk__in=charge_ids, status=ChargeStatus.OPEN,
        direction__in=[Direction.PAYABLE, Direction.PATRON],
    ).update(status=ChargeStatus.SETTLED, settled_on=settled_on, settlement_reference=(reference or "").strip()[:100])


def local_date(library: Library, moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, _zone(library)).date()


__all__ = ["adjust_charge", "charge_for_event", "local_date", "quantize", "record_copyright_fee",
           "record_lost_item_charge", "settle_charges", "waive_charge"]
