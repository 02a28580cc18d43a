"""The statistics' figures as cells: counts grouped in the database, optionally per month, ready to add up.

One definition of every figure serves both the live statistics and their monthly rollup
(``rollups.py``): the rollup stores these cells per month, the statistics pages add the stored cells
of closed months to the cells computed live for the rest of the period, so a figure read from the
rollup is the live figure by construction (docs/statistics.md, "Rollups").

Which actions count as *filled*, *unfilled*, *sent* and *received* is read from the workflow tables
through their ISO 18626 mapping (a lender's ``Loaned`` or ``CopyCompleted`` fills, its ``Unfilled``
does not), so this core module imports neither ``borrowing`` nor ``lending``.

A turnaround distribution is a fixed-bucket histogram: the number of spans per whole hour taken.
Histograms of any months and partners merge by adding counts; a percentile read from one is within
half an hour of the exact one (``percentile``).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf, TruncMonth
from django.utils.translation import gettext_lazy as _

from .models import Event, IllRequest, Library, Role
from .states import AVAILABLE_TO_PATRON
from .workflow import registry

#: ISO 18626 codes of the transitions that answer a request: the lender supplied it (a loan
#: shipped, a copy delivered) or could not.
FILLED_CODES = frozenset({"status:Loaned", "status:CopyCompleted"})
UNFILLED_CODES = frozenset({"status:Unfilled"})
#: Borrowing: our request goes to a lender (the ISO 18626 ``request`` message).
SENT_CODES = frozenset({"request"})
#: Borrowing: the item is in our hands: a loan received at the desk, or a copy delivered.
RECEIVED_CODES = frozenset({"action:Received", "status:CopyCompleted"})
#: What the rota records on a lender's silence past the auto-advance limit.
NO_ANSWER_OUTCOME = "no_answer"
NO_ANSWER_REASON = "NoAnswer"
UNSPECIFIED_REASON = "Unspecified"
FILLED, UNFILLED = "filled", "unfilled"
#: What an answer or a receipt supplied: a loan (a returnable) or a copy (a non-returnable).
LOAN_CODES = frozenset({"status:Loaned", "action:Received"})
COPY_CODES = frozenset({"status:CopyCompleted"})
LOAN, COPY = "loan", "copy"

#: The histogram's bucket: a whole hour. A percentile read from it is within half of it of the exact one.
BUCKET = dt.timedelta(hours=1)

#: A period as half-open ranges of time ``[since, until)``; ``None``: all time.
Ranges = Sequence[tuple[dt.datetime, dt.datetime]] | None


def library_zone(library: Library) -> dt.tzinfo:
    """The member library's time zone (the directory's), where its days and months start at midnight."""
    try:
        return zoneinfo.ZoneInfo(library.timezone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_start(month: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """Midnight of the month's first day in ``zone``."""
    return dt.datetime.combine(month, dt.time.min, tzinfo=zone)


def actions_for(role: str, codes: Iterable[str]) -> tuple[str, ...]:
    """The actions of ``role``'s workflow whose ISO 18626 mapping is one of ``codes``."""
    return tuple(sorted(t.action for t in registry.get(role).mapped_to(codes)))


@dataclass(frozen=True, eq=False)
class Measure:
    """A turnaround measure. Equal and hashed by its key: its words are translated lazily, and a statistics page
    groups thousands of partners' figures by measure."""

    key: str
    role: str
    label: str
    start: str
    end: str
    short_label: str = ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Measure) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


MEASURES = (
    Measure("lending_shipped", Role.LENDING, _("Lending: request received → shipped or copy sent"),
            _("the partner's request arrives (its first event)"), _("we ship the loan or deliver the copy"),
            _("Lending received → shipped")),
    Measure("borrowing_received", Role.BORROWING, _("Borrowing: sent to the lender → received"),
            _("the latest send to a lender before the item came"),
            _("we receive the loan, or the lender delivers the copy"), _("Borrowing sent → received")),
    Measure("borrowing_available", Role.BORROWING, _("Borrowing: submitted → available to the patron"),
            _("the patron submits the request (its first event)"),
            _("the item first waits for pickup, is checked out, or the copy is ready to download"),
            _("Borrowing submitted → available")),
)
MEASURE_BY_KEY = {measure.key: measure for measure in MEASURES}


@dataclass(frozen=True)
class Where:
    """Which rows a cell query reads: one member library, some roles, a period, optionally one partner."""

    library: Library
    zone: dt.tzinfo
    roles: Sequence[str] = (Role.BORROWING, Role.LENDING)
    ranges: Ranges = None
    partner: Library | None = None


def in_ranges(field: str, ranges: Ranges) -> Q:
    """``field`` falls in one of ``ranges`` (everything when ``ranges`` is ``None``; nothing when empty)."""
    if ranges is None:
        return Q()
    condition = Q(pk__in=[])
    for since, until in ranges:
        condition |= Q(**{f"{field}__gte": since, f"{field}__lt": until})
    return condition


def _month(field: str, where: Where) -> TruncMonth:
    return TruncMonth(field, tzinfo=where.zone)


def _grouped(queryset: QuerySet, dims: dict, *, month_of: str | None) -> list[dict]:
    """``queryset`` grouped by ``dims`` (each a field's own name or an expression) and the month of
    ``month_of`` in the library's zone, counted."""
    if month_of is not None:
        dims = {**dims, "month": month_of}
    fields = [name for name, dim in dims.items() if dim == name]
    expressions = {name: dim for name, dim in dims.items() if dim != name}
    rows = list(queryset.values(*fields, **expressions).annotate(count=Count("pk")).order_by())
    for row in rows:
        if "month" in row:
            row["month"] = _as_date(row["month"])
    return rows


def _as_date(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# Requests made -----------------------------------------------------------------------------

def _requests(where: Where, roles: Iterable[str] | None = None) -> QuerySet[IllRequest]:
    requests = IllRequest.objects.filter(in_ranges("created_at", where.ranges), library=where.library,
                                         role__in=list(roles or where.roles))
    if where.partner is not None:
        requests = requests.filter(partner=where.partner)
    return requests


def made_cells(where: Where, *, by_month: bool = False) -> list[dict]:
    """Requests made, by role, format, service type and the state they are in now (one query). Not by
    partner: a library's partners are too many for that to be smaller than the requests; a partner's own
    requests are read live (``Where.partner``)."""
    dims = {"role": "role", "format": "format", "service_type": "service_type", "status": "status"}
    return _grouped(_requests(where), dims, month_of=_month("created_at", where) if by_month else None)


def patron_cells(where: Where, *, by_month: bool = False) -> list[dict]:
    """Borrowing requests made, by patron category and department as copied onto the request
    (never the patron's account, so the figures survive the privacy purge); one query, none without
    the borrowing role."""
    if Role.BORROWING not in where.roles:
        return []
    dims = {"patron_category": "patron_category", "department": F("patron_department")}
    return _grouped(_requests(where, [Role.BORROWING]), dims,
                    month_of=_month("created_at", where) if by_month else None)


# Answers -----------------------------------------------------------------------------------

def answering_partner(role: str):
    """The partner an answer is about.

    Lending: the requesting library. Borrowing: the lender that answered; a lender's silence is
    recorded by the system, so then the lender of the latest ``send`` before it (its event names
    it), and only failing both the request's current lender.
    """
    if role == Role.LENDING:
        return F("request__partner__symbol")
    sent_to = (Event.objects.filter(request=OuterRef("request"), action__in=actions_for(role, SENT_CODES),
                                    created_at__lte=OuterRef("created_at"))
               .order_by("-created_at", "-pk").values(lender=KT("data__lender"))[:1])
    return Coalesce(F("actor_library__symbol"), NullIf(Subquery(sent_to), Value("")), F("request__partner__symbol"),
                    output_field=CharField())


def unfilled_reason():
    """The ISO 18626 ``reasonUnfilled`` code kept in the event's data, a lender's silence as ``NoAnswer``,
    no code as ``Unspecified``."""
    return Coalesce(
        NullIf(KT("data__reason_unfilled"), Value("")),
        Case(When(data__rota_outcome=NO_ANSWER_OUTCOME, then=Value(NO_ANSWER_REASON))),
        Value(UNSPECIFIED_REASON), output_field=CharField())


def answers(where: Where, role: str, actions: Iterable[str]) -> QuerySet[Event]:
    """The answering events of ``role`` among ``actions`` in the period, annotated ``partner_symbol``."""
    events = (Event.objects.filter(in_ranges("created_at", where.ranges), request__library=where.library,
                                   request__role=role, action__in=list(actions))
              .annotate(partner_symbol=answering_partner(role)))
    if where.partner is not None:
        events = events.filter(partner_symbol=where.partner.symbol)
    return events


def supplied(role: str):
    """What an answering or receiving event of ``role`` supplied: ``loan``, ``copy`` or empty (none)."""
    return Case(When(action__in=actions_for(role, LOAN_CODES), then=Value(LOAN)),
                When(action__in=actions_for(role, COPY_CODES), then=Value(COPY)),
                default=Value(""), output_field=CharField())


#: Why a borrowing request ended without a loan, by the code its action's ``Transition.closes_as`` gives.
CLOSING_REASONS = {
    "owned_locally": _("Owned locally"),
    "open_access": _("Free online (open access)"),
    "purchased": _("Purchased instead"),
    "cancelled": _("Cancelled for another reason"),
}


def closing_actions(role: str) -> dict[str, str]:
    """``role``'s actions that end a request without a loan, with the closing reason of each."""
    return {t.action: t.closes_as for t in registry.get(role).transitions.values() if t.closes_as}


def closed_cells(where: Where, *, by_month: bool = False) -> list[dict]:
    """Borrowing requests ended without a loan in the period (owned locally, free online, bought instead,
    cancelled), by reason: one query, none without the borrowing role or with a partner chosen (no lender
    had the request)."""
    actions = closing_actions(Role.BORROWING) if Role.BORROWING in where.roles else {}
    if not actions or where.partner is not None:
        return []
    events = Event.objects.filter(in_ranges("created_at", where.ranges), request__library=where.library,
                                  request__role=Role.BORROWING, action__in=list(actions))
    dims = {"reason": Case(*[When(action=action, then=Value(code)) for action, code in actions.items()],
                           output_field=CharField())}
    return [{**row, "role": Role.BORROWING}
            for row in _grouped(events, dims, month_of=_month("created_at", where) if by_month else None)]


def answer_cells(where: Where, *, by_month: bool = False) -> list[dict]:
    """Answers given, by role, answering partner, outcome (filled, unfilled), what a filled answer supplied
    (loan, copy) and an unfilled answer's reason: one query per role."""
    rows = []
    for role in where.roles:
        filled, unfilled = actions_for(role, FILLED_CODES), actions_for(role, UNFILLED_CODES)
        dims = {"partner_symbol": Coalesce(F("partner_symbol"), Value("")),
                "outcome": Case(When(action__in=filled, then=Value(FILLED)), default=Value(UNFILLED),
                                output_field=CharField()),
                "service_type": supplied(role),
                "reason": Case(When(action__in=filled, then=Value("")), default=unfilled_reason(),
                               output_field=CharField())}
        rows += [{**row, "role": role} for row in _grouped(
            answers(where, role, filled + unfilled), dims,
            month_of=_month("created_at", where) if by_month else None)]
    return rows


def received_cells(where: Where, *, by_month: bool = False) -> list[dict]:
    """Borrowing: items that reached us (a loan received at the desk, a copy delivered), by the request's
    partner and what came (loan, copy); one query, none without the borrowing role."""
    if Role.BORROWING not in where.roles:
        return []
    events = Event.objects.filter(in_ranges("created_at", where.ranges), request__library=where.library,
                                  request__role=Role.BORROWING,
                                  action__in=actions_for(Role.BORROWING, RECEIVED_CODES))
    if where.partner is not None:
        events = events.filter(request__partner=where.partner)
    dims = {"partner_symbol": Coalesce(F("request__partner__symbol"), Value("")),
            "service_type": supplied(Role.BORROWING)}
    return [{**row, "role": Role.BORROWING}
            for row in _grouped(events, dims, month_of=_month("created_at", where) if by_month else None)]


# Turnaround --------------------------------------------------------------------------------

class WholeHours(Func):
    """The whole hours of a duration, rounded down: ``FLOOR(seconds / 3600)`` on PostgreSQL and SQLite."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"WholeHours is written for PostgreSQL and SQLite, not {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection,
                              template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 3600)::integer", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps a duration on SQLite as whole microseconds.
        return super().as_sql(compiler, connection,
                              template="CAST(FLOOR(%(expressions)s / 3600000000.0) AS INTEGER)", **extra)


def _latest_before(actions: Iterable[str]) -> Subquery:
    """The time of a request's latest event among ``actions`` up to the outer event."""
    events = (Event.objects.filter(request=OuterRef("request"), action__in=list(actions),
                                   created_at__lte=OuterRef("created_at"))
              .order_by("-created_at", "-pk"))
    return Subquery(events.values("created_at")[:1])


def durations(where: Where, measure: Measure) -> QuerySet[Event]:
    """One event per measured request (the end of the span), annotated with ``took``.

    A span that starts when the request was made reads the request's ``created_at``: the time
    of its first event (``create_request`` writes both from one value, and neither changes),
    without a subquery per row.
    """
    events = Event.objects.filter(in_ranges("created_at", where.ranges), request__library=where.library,
                                  request__role=measure.role)
    if where.partner is not None:
        events = events.filter(request__partner=where.partner)
    if measure.key == "lending_shipped":
        events = events.filter(action__in=actions_for(Role.LENDING, FILLED_CODES))
        started = F("request__created_at")
    elif measure.key == "borrowing_received":
        events = events.filter(action__in=actions_for(Role.BORROWING, RECEIVED_CODES))
        started = _latest_before(actions_for(Role.BORROWING, SENT_CODES))
    else:
        earlier = Event.objects.filter(request=OuterRef("request"), to_status__in=AVAILABLE_TO_PATRON).filter(
            Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
        events = events.filter(to_status__in=AVAILABLE_TO_PATRON).filter(~Exists(earlier))
        started = F("request__created_at")
    return events.annotate(started_at=started).annotate(
        took=ExpressionWrapper(F("created_at") - F("started_at"), output_field=DurationField()))


def span_cells(where: Where, *, by_month: bool = False, by_partner: bool = True) -> list[dict]:
    """Spans ended in the period, by measure, the request's partner and whole hours taken (the histogram):
    one query per measure of the roles."""
    rows = []
    for measure in MEASURES:
        if measure.role not in where.roles:
            continue
        dims = {"hour": WholeHours("took")}
        if by_partner:
            dims["partner_symbol"] = Coalesce(F("request__partner__symbol"), Value(""))
        spans = durations(where, measure).filter(took__isnull=False)
        rows += [{**row, "hour": int(row["hour"]), "measure": measure.key, "role": measure.role}
                 for row in _grouped(spans, dims, month_of=_month("created_at", where) if by_month else None)]
    return rows


def percentile(histogram: Mapping[int, int], fraction: float) -> dt.timedelta | None:
    """The ``fraction`` percentile of a histogram of whole hours, as PostgreSQL's ``percentile_cont``
    takes it of the exact values: linear interpolation between the closest ranks, each rank's value read
    as the middle of its bucket. ``None`` for an empty histogram.

    Every exact value lies within half a bucket of its bucket's middle, and so does any weighted mean
    of two of them: the result is within half an hour of the exact percentile.
    """
    return percentiles(histogram, (fraction,))[0]


def percentiles(histogram: Mapping[int, int], fractions: Sequence[float]) -> list[dt.timedelta | None]:
    """``percentile`` of each of ``fractions``, in their order: the buckets sorted once and walked once
    (a statistics page reads two of them from each of thousands of partners' histograms)."""
    for fraction in fractions:
        if not 0 <= fraction <= 1:
            raise ValueError(f"A percentile fraction lies between 0 and 1, not {fraction}.")
    buckets = sorted((hour, count) for hour, count in histogram.items() if count > 0)
    size = sum(count for _, count in buckets)
    if not size:
        return [None] * len(fractions)
    positions = [(size - 1) * fraction for fraction in fractions]
    # Every rank the interpolations need, in increasing order, read off in one walk over the buckets.
    ranks = sorted({rank for position in positions for rank in (math.floor(position), math.ceil(position))})
    value_at: dict[int, float] = {}
    seen, index = 0, 0
    for hour, count in buckets:
        seen += count
        while index < len(ranks) and ranks[index] < seen:
            value_at[ranks[index]] = hour + 0.5
            index += 1
        if index == len(ranks):
            break
    for rank in ranks[index:]:
        value_at[rank] = buckets[-1][0] + 0.5
    results = []
    for position in positions:
        low, high = math.floor(position), math.ceil(position)
        low_value, high_value = value_at[low], value_at[high]
        results.append((low_value + (high_value - low_value) * (position - low)) * BUCKET)
    return results
