"""Read queries for the billing screens, the partner API, reports and jobs (constant query counts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.db.models.lookups import Exact
from django.utils import timezone

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest, Library, Role
from requests_app.utilities.batches import keyset_rows
from requests_app.workflow import registry

from .models import (
    BillingSettings,
    Budget,
    Charge,
    ChargeStatus,
    Direction,
    ExchangeRate,
    FeeSchedule,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    Service,
)
from .money import quantize
from .periods import month_bounds, zone_of

MONEY = DecimalField(max_digits=14, decimal_places=4)
ZERO = Value(Decimal("0"), output_field=MONEY)
RATE = DecimalField(max_digits=18, decimal_places=8)


# Invoices ----------------------------------------------------------------------------------

def _with_paid(qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
    paid = (Payment.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice")
            .annotate(s=Sum("amount")).values("s"))
    return qs.annotate(paid=Coalesce(Subquery(paid, output_field=MONEY), ZERO))


def staff_invoices(*, library: Library, status: str | None = None, partner: Library | None = None
                   ) -> QuerySet[Invoice]:
    qs = _with_paid(Invoice.objects.filter(library=library).select_related("partner", "credits"))
    if status:
        qs = qs.filter(status=status)
    if partner is not None:
        qs = qs.filter(partner=partner)
    return qs.order_by("-created_at", "-pk")


def invoice_detail(*, library: Library, pk: int) -> Invoice:
    return (_with_paid(Invoice.objects.filter(library=library))
            .select_related("partner", "library", "credits")
            .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
                              Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")),
                              "credit_notes")
            .get(pk=pk))


def partner_invoices(*, partner: Library) -> QuerySet[Invoice]:
    """What a partner may read: its issued, paid and void invoices and credit notes (never drafts)."""
    return (_with_paid(Invoice.objects.filter(partner=partner).exclude(status=InvoiceStatus.DRAFT))
            .select_related("library", "credits")
            .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position"))))


@dataclass(frozen=True)
class InvoiceableGroup:
    """Open receivables of one member library to one partner, in one currency and period: one invoice to make."""

    library: Library
    partner: Library
    currency: str
    period_start: dt.date
    period_end: dt.date
    charge_ids: tuple[int, ...]
    total: Decimal

    @property
    def count(self) -> int:
        return len(self.charge_ids)


def invoiceable_groups(*, library: Library | None = None, month: dt.date | None = None,
                       now: dt.datetime | None = None) -> list[InvoiceableGroup]:
    """What an invoice run would invoice at ``now``: open receivables (more than zero, with a partner) grouped
    per member library, partner, month and currency, months and days read in the partner's time zone.

    Without ``month``: every month that is over. With ``month`` (its first day): that month only, and if it
    is not over yet, its days up to yesterday (the period then ends yesterday). ``library`` keeps one member
    library's charges. A period part of which is invoiced already (an earlier run "up to yesterday") starts
    the day after that invoice's period. One query per 2,000 charges and one more, however many partners.
    """
    now = now or timezone.now()
    charges = (Charge.objects.filter(direction=Direction.RECEIVABLE, status=ChargeStatus.OPEN, invoice__isnull=True,
                                     amount__gt=0, partner__isnull=False, incurred_at__lt=now)
               .select_related("library", "partner").order_by("incurred_at", "pk"))
    if library is not None:
        charges = charges.filter(library=library)
    if month is not None:
        start, end = month_bounds(month)
        # A day's margin either side covers every time zone; the partner's zone decides below.
        charges = charges.filter(
            incurred_at__gte=dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
            incurred_at__lt=dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC))
    ids: dict[tuple, list[int]] = {}
    totals: dict[tuple, Decimal] = {}
    parties: dict[tuple[int, int], tuple[Library, Library]] = {}
    ends: dict[tuple, dt.date] = {}
    # Keyset batches in the same order: short queries, no cursor held open (pgbouncer in transaction mode).
    for charge in keyset_rows(charges, 2000, ("incurred_at", "pk")):
        zone = zone_of(charge.partner)
        today = timezone.localtime(now, zone).date()
        day = timezone.localtime(charge.incurred_at, zone).date()
        first = day.replace(day=1)
        if month is None:
            if first >= today.replace(day=1):
                continue
            last = month_bounds(first)[1]
        else:
            if first != month or day >= today:
                continue
            last = min(month_bounds(first)[1], today - dt.timedelta(days=1))
        key = (charge.library_id, charge.partner_id, first, charge.currency)
        ids.setdefault(key, []).append(charge.pk)
        totals[key] = totals.get(key, Decimal("0")) + quantize(charge.amount, charge.currency)
        ends[key] = max(ends.get(key, last), last)
        parties[(charge.library_id, charge.partner_id)] = (charge.library, charge.partner)
    if not ids:
        return []
    invoiced_until: dict[tuple, dt.date] = {}
    earlier = (Invoice.objects.filter(kind=InvoiceKind.INVOICE, library_id__in={k[0] for k in ids},
                                      partner_id__in={k[1] for k in ids}, period_start__gte=min(k[2] for k in ids))
               .exclude(status=InvoiceStatus.VOID)
               .values_list("library_id", "partner_id", "period_start", "period_end", "currency"))
    for library_id, partner_id, period_start, period_end, currency in earlier:
        key = (library_id, partner_id, period_start.replace(day=1), currency)
        invoiced_until[key] = max(invoiced_until.get(key, period_end), period_end)
    groups = []
    for key in sorted(ids):
        library_id, partner_id, first, currency = key
        start = first
        until = invoiced_until.get(key)
        if until is not None and until < ends[key]:
            start = until + dt.timedelta(days=1)
        member, partner = parties[(library_id, partner_id)]
        groups.append(InvoiceableGroup(library=member, partner=partner, currency=currency, period_start=start,
                                       period_end=ends[key], charge_ids=tuple(ids[key]),
                                       total=quantize(totals[key], currency)))
    return groups


# Charges -----------------------------------------------------------------------------------

def staff_charges(*, library: Library, direction: str | None = None, status: str | None = None
                  ) -> QuerySet[Charge]:
    qs = Charge.objects.filter(library=library).select_related("partner", "request", "invoice", "patron")
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-incurred_at", "-pk")


def open_totals(*, library: Library) -> list[dict]:
    """What is owed now, per direction and currency: open charges plus issued invoices not yet paid (one query)."""
    rows = (Charge.objects.filter(library=library, status__in=[ChargeStatus.OPEN, ChargeStatus.INVOICED])
            .exclude(invoice__status=InvoiceStatus.PAID)
            .values("direction", "currency").annotate(total=Sum("amount")).order_by("direction", "currency"))
    labels = dict(Direction.choices)
    return [{**row, "label": labels[row["direction"]]} for row in rows]


def charge_detail(*, library: Library, pk: int) -> Charge:
    return (Charge.objects.filter(library=library).select_related("partner", "request", "invoice", "patron")
            .prefetch_related("adjustments__actor").get(pk=pk))


def fee_schedules(*, library: Library) -> QuerySet:
    return (FeeSchedule.objects.filter(library=library).select_related("partner")
            .order_by("direction", "service", "partner__symbol", "-effective_from"))


def billing_settings(library: Library) -> BillingSettings:
    return BillingSettings.objects.filter(library=library).first() or BillingSettings(library=library)


def exchange_rates(*, library: Library) -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.filter(library=library).order_by("currency", "base_currency", "-valid_from")


# Budgets -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    spent: Decimal
    committed: Decimal
    threshold_percent: int
    #: Payables in the budget's dates in another currency with no exchange rate for their day: not in ``spent``.
    unconverted: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.budget.amount - self.spent - self.committed

    @property
    def _used_ratio(self) -> Decimal:
        if not self.budget.amount:
            return Decimal("100") if (self.spent or self.committed) else Decimal("0")
        return (self.spent + self.committed) * 100 / self.budget.amount

    @property
    def used_percent(self) -> Decimal:
        """Shown to one decimal, rounded down so 79.99 % does not read as the 80 % that warns."""
        return self._used_ratio.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    @property
    def warning(self) -> bool:
        return self._used_ratio >= self.threshold_percent

    @property
    def over(self) -> bool:
        return self.remaining < 0


def budget(*, library: Library, pk: int) -> Budget:
    return Budget.objects.get(library=library, pk=pk)


def budget_statuses(*, library: Library, on: dt.date | None = None) -> list[BudgetStatus]:
    """``library``'s budgets (current ones when ``on`` is given) with spent, committed and remaining.

    Spent: payables (not waived) in the budget's dates, of its fund if it has one. A payable in another
    currency counts at the library's exchange rate into the budget's currency valid on the day it was
    incurred; one with no such rate is not counted but counted up in ``unconverted``, so the page can say
    so. Committed: open borrowing requests with a maximum cost and no payable yet, made in its dates, of
    its fund (the patron's department), and purchases ordered instead of borrowed and not yet received (their
    order's cost, in the budget's currency). Subqueries: one query for any number of budgets.
    """
    final = list(registry.get(Role.BORROWING).final_states)
    payables = (Charge.objects.filter(library=OuterRef("library"), direction=Direction.PAYABLE,
                                      incurred_at__date__gte=OuterRef("starts_on"),
                                      incurred_at__date__lte=OuterRef("ends_on"))
                .exclude(status=ChargeStatus.WAIVED)
                .filter(Q(Exact(OuterRef("fund"), Value(""))) | Q(fund=OuterRef("fund"))))
    # A purchase ordered and not yet received is committed, not spent: its invoice may still differ.
    purchase_ordered = Q(service=Service.PURCHASE, request__status=BorrowingStatus.PURCHASE_ORDERED)
    in_budget = payables.exclude(purchase_ordered)
    # Inside the charges' subquery: OuterRef is the charge, OuterRef(OuterRef(…)) the budget.
    rate = (ExchangeRate.objects.filter(library=OuterRef("library"), currency=OuterRef("currency"),
                                        base_currency=OuterRef(OuterRef("currency")),
                                        valid_from__lte=OuterRef("incurred_day"))
            .order_by("-valid_from").values("rate")[:1])
    converted = in_budget.annotate(incurred_day=TruncDate("incurred_at")).annotate(
        factor=Case(When(currency=OuterRef("currency"), then=Value(Decimal(1))),
                    default=Subquery(rate), output_field=RATE))
    spent = (converted.order_by().values("library").annotate(s=Sum(F("amount") * F("factor"), output_field=MONEY))
             .values("s"))
    unconverted = (converted.filter(factor__isnull=True).order_by().values("library")
                   .annotate(n=Count("pk")).values("n"))
    payable_of_request = Charge.objects.filter(request=OuterRef("pk"), direction=Direction.PAYABLE)
    committed_requests = (IllRequest.objects.filter(role=Role.BORROWING, max_cost__isnull=False)
                          .exclude(status__in=final).annotate(has_payable=Exists(payable_of_request))
                          .filter(has_payable=False))
    committed = (committed_requests.filter(library=OuterRef("library"), max_cost_currency=OuterRef("currency"),
                                           created_at__date__gte=OuterRef("starts_on"),
                                           created_at__date__lte=OuterRef("ends_on"))
                 .filter(Q(Exact(OuterRef("fund"), Value(""))) | Q(patron__patron_profile__department=OuterRef("fund")))
                 .order_by().values("library").annotate(s=Sum("max_cost")).values("s"))
    ordered = (payables.filter(purchase_ordered, currency=OuterRef("currency")).order_by().values("library")
               .annotate(s=Sum("amount")).values("s"))
    budgets = (Budget.objects.filter(library=library)
               .annotate(spent=Coalesce(Subquery(spent, output_field=MONEY), ZERO),
                         committed=Coalesce(Subquery(committed, output_field=MONEY), ZERO)
                         + Coalesce(Subquery(ordered, output_field=MONEY), ZERO),
                         unconverted=Coalesce(Subquery(unconverted, output_field=IntegerField()), 0))
               .order_by("-starts_on", "fund"))
    if on is not None:
        budgets = budgets.filter(starts_on__lte=on, ends_on__gte=on)
    threshold = billing_settings(library).budget_warning_percent
    return [BudgetStatus(b, quantize(b.spent, b.currency), quantize(b.committed, b.currency), threshold,
                         b.unconverted) for b in budgets]


# Reports -----------------------------------------------------------------------------------

def totals_by_partner_and_month(*, library: Library, direction: str, start: dt.date, end: dt.date) -> list[dict]:
    """Charges (not waived) per partner, month and currency between ``start`` and ``end`` (inclusive)."""
    rows = (Charge.objects.filter(library=library, direction=direction, incurred_at__date__gte=start,
                                  incurred_at__date__lte=end)
            .exclude(status=ChargeStatus.WAIVED)
            .annotate(month=TruncMonth("incurred_at", tzinfo=timezone.get_current_timezone()))
            .values("partner__symbol", "partner__name", "month", "currency")
            .annotate(total=Sum("amount"))
            .order_by("partner__symbol", "month", "currency"))
    return [{**row, "partner__symbol": row["partner__symbol"] or "—",
             "partner__name": row["partner__name"] or "(no partner: copyright fees)",
             "month": row["month"].date() if hasattr(row["month"], "date") else row["month"]}
            for row in rows]


AGING_BUCKETS = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def aging(*, library: Library, today: dt.date | None = None) -> list[dict]:
    """Unpaid issued invoices with what is still owed and how many days past due, oldest first."""
    today = today or timezone.localdate()
    invoices = (_with_paid(Invoice.objects.filter(library=library, kind=InvoiceKind.INVOICE,
                                                  status=InvoiceStatus.ISSUED))
                .select_related("partner").order_by("due_on", "pk"))
    rows = []
    for invoice in invoices:
        days = (today - invoice.due_on).days if invoice.due_on else 0
        bucket = next(name for name, low, high in AGING_BUCKETS
                      if (low is None or days >= low) and (high is None or days <= high))
        rows.append({"invoice": invoice, "outstanding": invoice.total - invoice.paid, "days_overdue": max(days, 0),
                     "bucket": bucket})
    return rows
