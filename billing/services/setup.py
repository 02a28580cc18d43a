"""Staff set up money: budgets, fee schedules and exchange rates (validated here, whoever calls)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from requests_app.models import Library

from ..models import Budget, Charge, Direction, ExchangeRate, FeeSchedule
from ..money import minor_unit, normalize_currency
from ..rates import ReferenceRates


def _currency(value: str, field: str = "currency") -> str:
    try:
        return normalize_currency(value)
    except ValueError as exc:
        raise ValidationError({field: str(exc)}) from None


def _save_budget(budget: Budget) -> Budget:
    """Check ``budget`` (new or changed) and save it; raises ``ValidationError`` per field."""
    errors = {}
    if budget.starts_on and budget.ends_on and budget.ends_on < budget.starts_on:
        errors["ends_on"] = "The budget must end after it starts."
    if budget.amount is not None and budget.amount.as_tuple().exponent < -minor_unit(budget.currency):
        errors["amount"] = f"{budget.currency} amounts have {minor_unit(budget.currency)} decimal places."
    if errors:
        raise ValidationError(errors)
    budget.full_clean(validate_constraints=False)
    # Two budgets of one fund on the same day would both count that day's payables as spent.
    overlapping = (Budget.objects.filter(library=budget.library, fund=budget.fund, starts_on__lte=budget.ends_on,
                                         ends_on__gte=budget.starts_on).exclude(pk=budget.pk).first())
    if overlapping is not None:
        raise ValidationError({"starts_on": (
            f"{overlapping.fiscal_year} ({overlapping.starts_on:%Y-%m-%d} to {overlapping.ends_on:%Y-%m-%d}) "
            f"already covers some of these dates for {'this fund' if budget.fund else 'the whole library'}.")})
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:
        raise ValidationError({"fund": "This fiscal year already has a budget for this fund."}) from None
    return budget


def create_budget(*, library: Library, fiscal_year: str, starts_on, ends_on, amount, currency: str,
                  fund: str = "") -> Budget:
    """A borrowing budget for ``library``. Raises ``ValidationError`` (per field) for bad dates, a bad
    currency, an amount finer than the currency's minor unit, a second budget of that year and fund, or
    one whose dates overlap another budget of the same fund."""
    return _save_budget(Budget(library=library, fiscal_year=(fiscal_year or "").strip(), fund=(fund or "").strip(),
                               starts_on=starts_on, ends_on=ends_on, amount=amount, currency=_currency(currency)))


def update_budget(*, budget: Budget, fiscal_year: str, starts_on, ends_on, amount, currency: str,
                  fund: str = "") -> Budget:
    """Change ``budget``, checked as ``create_budget`` checks a new one; nothing changes when it raises."""
    with transaction.atomic():
        locked = Budget.objects.select_for_update().get(pk=budget.pk)
        locked.fiscal_year, locked.fund = (fiscal_year or "").strip(), (fund or "").strip()
        locked.starts_on, locked.ends_on, locked.amount = starts_on, ends_on, amount
        locked.currency = _currency(currency)
        return _save_budget(locked)


def create_fee_schedule(*, library: Library, direction: str, service: str, amount, currency: str, effective_from,
                        effective_to=None, partner: Library | None = None) -> FeeSchedule:
    """A fee for ``service`` from ``effective_from``. Raises ``ValidationError`` for bad input or a row that
    overlaps another for the same partner, direction and service (which fee applies would be a guess)."""
    row = FeeSchedule(library=library, partner=partner, direction=direction, service=service, amount=amount,
                      currency=_currency(currency), effective_from=effective_from, effective_to=effective_to)
    if effective_from and effective_to and effective_to < effective_from:
        raise ValidationError({"effective_to": "The last day comes before the first."})
    row.full_clean()
    overlapping = FeeSchedule.objects.filter(library=library, partner=partner, direction=direction, service=service)
    overlapping = overlapping.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
    if effective_to is not None:
        overlapping = overlapping.filter(effective_from__lte=effective_to)
    if overlapping.exists():
        raise ValidationError({"effective_from": "Another fee for this partner and service applies on these dates: "
                                                 "end it first."})
    row.save()
    return row


def add_exchange_rate(*, library: Library, currency: str, base_currency: str, rate, valid_from,
                      source: str = "") -> ExchangeRate:
    """``library``'s rate for ``currency`` in ``base_currency`` from ``valid_from``. Raises ``ValidationError``
    (per field) for a bad currency, a rate that is not positive, one currency twice, or a second rate of that day."""
    errors = {}
    codes = {}
    for field, code in (("currency", currency), ("base_currency", base_currency)):
        try:
            codes[field] = _currency(code, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not errors and codes["currency"] == codes["base_currency"]:
        errors["base_currency"] = "A rate converts one currency into another."
    if rate is None or rate <= 0:
        errors["rate"] = "The rate must be more than zero."
    if errors:
        raise ValidationError(errors)
    exchange_rate = ExchangeRate(library=library, currency=codes["currency"], base_currency=codes["base_currency"],
                                 rate=rate, valid_from=valid_from, source=(source or "").strip())
    exchange_rate.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            exchange_rate.save()
    except IntegrityError:
        raise ValidationError({"valid_from": "There is already a rate for these currencies on this day."}) from None
    return exchange_rate


def import_reference_rates(rates: ReferenceRates, *, origin: str, today: dt.date | None = None) -> int:
    """Add, from reference ``rates`` read from ``origin`` (a URL, a file), each member library's rates its
    budgets need; returns how many.

    A library needs a rate for a currency its payables were charged in during the last year, into the
    currency of one of its budgets. A rate the library already has for that day (entered by staff, or a
    run before) is kept as it is, so running this twice adds nothing; a pair the document does not quote
    is left to staff.
    """
    since = (today or timezone.localdate()) - dt.timedelta(days=366)
    budget_currencies: dict[int, set[str]] = {}
    for library_id, currency in (Budget.objects.filter(library__is_member=True)
                                 .values_list("library_id", "currency").distinct()):
        budget_currencies.setdefault(library_id, set()).add(currency)
    wanted = {
        (library_id, currency, base)
        for library_id, currency in (Charge.objects.filter(direction=Direction.PAYABLE, library__is_member=True,
                                                           incurred_at__date__gte=since)
                                     .values_list("library_id", "currency").distinct())
        for base in budget_currencies.get(library_id, ())
        if base != currency
    }
    have = set(ExchangeRate.objects.filter(valid_from=rates.day, library_id__in={w[0] for w in wanted})
               .values_list("library_id", "currency", "base_currency"))
    new = [ExchangeRate(library_id=library_id, currency=currency, base_currency=base, rate=rate,
                        valid_from=rates.day, source=f"Reference rates of {rates.day}: {origin}"[:100])
           for library_id, currency, base in sorted(wanted - have)
           if (rate := rates.rate(currency, base)) is not None]
    ExchangeRate.objects.bulk_create(new, ignore_conflicts=True)  # a rate entered meanwhile wins
    return len(new)
