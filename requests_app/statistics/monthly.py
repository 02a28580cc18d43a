"""The statistics page's figures: closed months from the monthly rollup, the rest of the period live.

A period splits into the whole months the rollup covers (``Split.months``: they ended before the
rollup's last run, and the period holds them entirely) and up to two ranges computed live from the
requests and the event log (``Split.live``: the days before the first whole month, and everything
from the first month the rollup does not cover, the current month always among them). Both sides give
the same cells (``requests_app.figure_cells``), added up here, so the figures are the live figures; a
closed period reads only the rollup, and reads the same every time.

Each figure costs one query on the rollup and its live queries (none when nothing is live), whatever the
length of the period or the size of the history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Sum

from .. import figure_cells
from ..figure_cells import FILLED, MEASURES, UNFILLED, month_start, next_month
from ..models import FigureKind, MonthlyFigure, Role, RollupState
from . import queries
from .queries import Scope

Range = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Split:
    """Where a period's figures come from: the rollup's months (first and last, both included) and the
    ranges of time computed live."""

    months: tuple[dt.date, dt.date] | None
    live: tuple[Range, ...]


def covered_until() -> dt.datetime | None:
    """Every month that ended by this moment is in the rollup (``None``: the rollup never ran). One query."""
    return RollupState.objects.filter(pk=1).values_list("covered_until", flat=True).first()


def split(zone: dt.tzinfo, start: dt.date, end: dt.date, covered: dt.datetime | None) -> Split:
    """The split of the days ``start``–``end`` (both included, in ``zone``)."""
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    first = start if start.day == 1 else next_month(start.replace(day=1))
    month, rolled = first, []
    while covered is not None and month_start(next_month(month), zone) <= min(until, covered):
        rolled.append(month)
        month = next_month(month)
    if not rolled:
        return Split(None, ((since, until),))
    rolled_since, rolled_until = month_start(rolled[0], zone), month_start(next_month(rolled[-1]), zone)
    live = tuple(r for r in ((since, rolled_since), (rolled_until, until)) if r[0] < r[1])
    return Split((rolled[0], rolled[-1]), live)


def period_split(scope: Scope, covered: dt.datetime | None) -> Split:
    return split(scope.zone, scope.start, scope.end, covered)


#: Cells the rollup keeps for all partners together only: with a partner chosen, these figures are read live.
WITHOUT_PARTNER = frozenset({FigureKind.MADE, FigureKind.PATRON})


def for_kind(scope: Scope, part: Split, kind: str) -> Split:
    """The split a figure of ``kind`` reads: with a partner chosen, a kind the rollup keeps for all partners
    together is live for the whole period (the partner's own requests, a small part of the table)."""
    if scope.partner is None or kind not in WITHOUT_PARTNER or part.months is None:
        return part
    return Split(None, _joined(part.live, (month_start(part.months[0], scope.zone),
                                           month_start(next_month(part.months[1]), scope.zone))))


def _joined(ranges: Iterable[Range], extra: Range) -> tuple[Range, ...]:
    """``ranges`` and ``extra`` as one range from the earliest start to the latest end (they are adjacent)."""
    every = [*ranges, extra]
    return ((min(r[0] for r in every), max(r[1] for r in every)),)


def _stored(scope: Scope, part: Split, kind: str, roles: Iterable[str] | None = None):
    """The rollup's cells of ``kind`` in the split's months (``None``: the split has no months)."""
    if part.months is None:
        return None
    cells = MonthlyFigure.objects.filter(library=scope.library, kind=kind, month__gte=part.months[0],
                                         month__lte=part.months[1], role__in=list(roles or scope.roles))
    if scope.partner is not None:
        cells = cells.filter(partner=scope.partner.symbol)
    return cells


def stored_cells(scope: Scope, part: Split, kind: str, *dims: str, roles: Iterable[str] | None = None) -> list[dict]:
    """The rollup's cells of ``kind`` in the split's months, summed by ``dims`` (one query; none without
    months)."""
    cells = _stored(scope, part, kind, roles)
    return [] if cells is None else list(cells.values(*dims).annotate(count=Sum("count")).order_by())


def stored_tuples(scope: Scope, part: Split, kind: str, *columns: str,
                  roles: Iterable[str] | None = None) -> list[tuple]:
    """The rollup's cells of ``kind`` in the split's months as the database's plain tuples (``columns``' values, then
    the count), one per cell and not summed: the caller adds them up as it reads them. For the kinds a large library
    holds tens of thousands of cells of a year, nearly one per group: summing them in the database costs more
    than it saves, and a tuple costs neither a dictionary nor a converter per cell."""
    cells = _stored(scope, part, kind, roles)
    if cells is None:
        return []
    rows = cells.order_by().values_list(*columns, "count")
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _live(scope: Scope, part: Split, roles: Iterable[str] | None = None) -> figure_cells.Where:
    return scope.where(list(part.live), roles)


def request_volume(scope: Scope, part: Split) -> queries.Volume:
    part = for_kind(scope, part, FigureKind.MADE)
    stored = stored_cells(scope, part, FigureKind.MADE, "role", "format", "service_type", "status")
    live = figure_cells.made_cells(_live(scope, part)) if part.live else []
    return queries.volume_from([*stored, *live], scope.roles)


def monthly_volume(scope: Scope, covered: dt.datetime | None) -> list[queries.MonthVolume]:
    """Requests made per month of the year of the period's end and of the year before."""
    year = scope.end.year
    part = for_kind(scope, split(scope.zone, dt.date(year - 1, 1, 1), dt.date(year, 12, 31), covered), FigureKind.MADE)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    rows = stored_cells(scope, part, FigureKind.MADE, "month")
    if part.live:
        rows += figure_cells.made_cells(_live(scope, part), by_month=True)
    for row in rows:
        counts[(row["month"].year, row["month"].month)] += row["count"]
    return [queries.MonthVolume(month, counts[(year, month)], counts[(year - 1, month)]) for month in range(1, 13)]


def patron_volume(scope: Scope, part: Split) -> queries.PatronVolume:
    if Role.BORROWING not in scope.roles:
        return queries.PatronVolume([], [])
    part = for_kind(scope, part, FigureKind.PATRON)
    stored = stored_cells(scope, part, FigureKind.PATRON, "patron_category", "department", roles=[Role.BORROWING])
    live = figure_cells.patron_cells(_live(scope, part, [Role.BORROWING])) if part.live else []
    return queries.patron_volume_from([*stored, *live])


#: An answer cell: role, partner symbol ("" for none), outcome, reason, answers.
Answer = tuple[str, str, str, str, int]


def answers(scope: Scope, part: Split) -> list[Answer]:
    """The answers of the period by role, partner, outcome and reason: the rollup's, then the live ones."""
    stored = stored_tuples(scope, part, FigureKind.ANSWER, "role", "partner", "outcome", "reason")
    live = figure_cells.answer_cells(_live(scope, part)) if part.live else []
    return [*stored, *((row["role"], row["partner_symbol"] or "", row["outcome"], row["reason"], row["count"])
                       for row in live)]


def fill_rates(scope: Scope, part: Split, given: list[Answer] | None = None) -> list[queries.FillRates]:
    rows = answers(scope, part) if given is None else given
    sums: dict[str, dict[str, list[int]]] = {role: {} for role in scope.roles}
    for role, partner, outcome, _reason, count in rows:
        by_partner = sums.get(role)
        if by_partner is None or outcome not in (FILLED, UNFILLED):
            continue
        counts = by_partner.get(partner)
        if counts is None:
            counts = by_partner[partner] = [0, 0]
        counts[0 if outcome == FILLED else 1] += count
    return queries.fill_rates_of(sums, scope.roles)


def unfilled_reasons(scope: Scope, part: Split, given: list[Answer] | None = None) -> list[queries.Reason]:
    rows = answers(scope, part) if given is None else given
    return queries.reasons_from(({"role": role, "reason": reason, "count": count}
                                 for role, _partner, outcome, reason, count in rows if outcome == UNFILLED),
                                scope.roles)


def closed_reasons(scope: Scope, part: Split) -> list[queries.Closing]:
    """Borrowing requests ended without a loan, by reason (none with a partner chosen: no lender had them)."""
    if Role.BORROWING not in scope.roles or scope.partner is not None:
        return []
    stored = stored_cells(scope, part, FigureKind.CLOSED, "reason", roles=[Role.BORROWING])
    live = figure_cells.closed_cells(_live(scope, part, [Role.BORROWING])) if part.live else []
    return queries.closings_from([*stored, *live])


@dataclass
class Histograms:
    """The turnaround histograms of a period (``{hour: spans}``), added up once for what a page reads of them."""

    #: ``{(measure, partner symbol or ""): histogram}``.
    by_partner: dict[tuple[str, str], dict[int, int]] = field(default_factory=dict)
    #: ``{measure: histogram}``: all partners together.
    overall: dict[str, dict[int, int]] = field(default_factory=dict)
    #: ``{(measure, partner symbol or ""): spans}``: what ranks the partners.
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, cells: Iterable[tuple[str, str, int, int]]) -> None:
        """Add ``(measure, partner symbol or "", hour, spans)`` cells: one pass, the dictionaries bound locally (a
        large library's year is tens of thousands of cells)."""
        by_partner, overall, sizes = self.by_partner, self.overall, self.sizes
        for measure, partner, hour, count in cells:
            key = (measure, partner)
            histogram = by_partner.get(key)
            if histogram is None:
                by_partner[key] = {hour: count}
                sizes[key] = count
            else:
                histogram[hour] = histogram.get(hour, 0) + count
                sizes[key] += count
            total = overall.get(measure)
            if total is None:
                overall[measure] = {hour: count}
            else:
                total[hour] = total.get(hour, 0) + count


def histograms(scope: Scope, part: Split) -> Histograms:
    """The rollup's and the live histograms added (one query on the rollup, one live per measure). The rollup's
    cells are read as the database's plain tuples: a large library's year holds tens of thousands of them."""
    merged = Histograms()
    merged.add(stored_tuples(scope, part, FigureKind.SPAN, "measure", "partner", "hour"))  # partner: never NULL
    if part.live:
        merged.add((row["measure"], row["partner_symbol"] or "", row["hour"], row["count"])
                   for row in figure_cells.span_cells(_live(scope, part)))
    return merged


def _turnaround(measure: figure_cells.Measure, histogram: dict[int, int], partner: str = "") -> queries.Turnaround:
    median, p90 = figure_cells.percentiles(histogram, (0.5, 0.9))
    return queries.Turnaround(measure, sum(histogram.values()), median, p90, partner=partner)


def turnaround(scope: Scope, part: Split, given: Histograms | None = None) -> list[queries.Turnaround]:
    """Median and 90th percentile of each measure of the scope's roles, from the partners' histograms added."""
    merged = histograms(scope, part) if given is None else given
    return [_turnaround(measure, merged.overall.get(measure.key, {}))
            for measure in MEASURES if measure.role in scope.roles]


def partner_turnaround(measure: figure_cells.Measure, merged: Histograms, symbol: str) -> queries.Turnaround:
    """The measure's median and 90th percentile for one partner, from ``histograms``' result."""
    return _turnaround(measure, merged.by_partner.get((measure.key, symbol), {}), symbol)


def turnaround_by_partner(scope: Scope, part: Split, given: Histograms | None = None) -> list[queries.Turnaround]:
    """The same per partner, partners in symbol order within each measure."""
    merged = histograms(scope, part) if given is None else given
    return [_turnaround(measure, merged.by_partner[(measure.key, symbol)], symbol)
            for measure in MEASURES if measure.role in scope.roles
            for symbol in sorted(symbol for key, symbol in merged.by_partner if key == measure.key)]
