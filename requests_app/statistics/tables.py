"""The statistics as named tables: one definition feeds the page, its chart and its CSV download,
so the CSV holds exactly the numbers the page shows.

``Figures`` runs each selector at most once (lazily), so a CSV download of one table runs only
the queries that table needs.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.utils import formats
from django.utils.dates import MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from ..figure_cells import MEASURES
from ..models import Role
from . import monthly, queries
from .charts import Bar

ALL_PARTNERS = gettext_lazy("All partners")
#: Partners the page lists in a per-partner table, per role or measure: the busiest ones. A large member
#: library answers thousands of partners a year; every one of them is in the table's CSV download.
PAGE_PARTNERS = 25


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    headers: Sequence[str]
    #: The CSV's rows, or what builds them when first asked for: a page showing a few of thousands of partners
    #: (``page_rows``) never builds the rest.
    given_rows: list[tuple] | Callable[[], list[tuple]]
    #: Bars of the chart drawn beside the table (label, value, the value as shown), if any.
    bars: list[Bar] = field(default_factory=list)
    #: The largest value a bar can have (100 for percentages), or ``None``: the largest bar.
    scale: float | None = None
    unit: str = ""
    #: The rows the page shows, when it shows fewer than the CSV holds (``None``: all of them).
    page_rows: list[tuple] | None = None
    #: How many rows the CSV holds, when they are built only when asked for (``None``: count them).
    row_count: int | None = None

    @cached_property
    def rows(self) -> list[tuple]:
        return self.given_rows() if callable(self.given_rows) else self.given_rows

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def shown_rows(self) -> list[tuple]:
        return self.rows if self.page_rows is None else self.page_rows

    @property
    def rows_not_shown(self) -> int:
        """Rows of the CSV the page leaves out."""
        total = len(self.rows) if self.row_count is None else self.row_count
        return total - len(self.shown_rows)


def busiest(items: Sequence, size: Callable[[object], int]) -> set[int]:
    """The ``id()`` of the ``PAGE_PARTNERS`` largest items by ``size`` (ties: the earlier one first)."""
    return {id(item) for item in heapq.nlargest(PAGE_PARTNERS, items, key=size)}


def percent(rate: float | None) -> str:
    """A rate as a percentage with one decimal, written as the language writes numbers."""
    return "" if rate is None else one_decimal(rate * 100)


def days(value: float | None) -> str:
    return "" if value is None else one_decimal(value)


def one_decimal(value: float) -> str:
    """``value`` rounded to one decimal, with the language's decimal separator (``number_format`` cuts a float off
    rather than round it, and costs ten times as much: a CSV holds thousands of these)."""
    return f"{value:.1f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))


class Figures:
    """The selectors' results for one scope, each computed on first use."""

    def __init__(self, scope: queries.Scope) -> None:
        self.scope = scope

    @cached_property
    def covered(self):
        """Months that ended by then are read from the rollup (one query)."""
        return monthly.covered_until()

    @cached_property
    def split(self) -> monthly.Split:
        return monthly.period_split(self.scope, self.covered)

    @cached_property
    def volume(self) -> queries.Volume:
        return monthly.request_volume(self.scope, self.split)

    @cached_property
    def months(self) -> list[queries.MonthVolume]:
        return monthly.monthly_volume(self.scope, self.covered)

    @cached_property
    def patrons(self) -> queries.PatronVolume:
        return monthly.patron_volume(self.scope, self.split)

    @cached_property
    def answers(self) -> list[monthly.Answer]:
        return monthly.answers(self.scope, self.split)

    @cached_property
    def fill_rates(self) -> list[queries.FillRates]:
        return monthly.fill_rates(self.scope, self.split, self.answers)

    @cached_property
    def histograms(self) -> monthly.Histograms:
        return monthly.histograms(self.scope, self.split)

    @cached_property
    def turnaround(self) -> list[queries.Turnaround]:
        return monthly.turnaround(self.scope, self.split, self.histograms)

    @cached_property
    def turnaround_by_partner(self) -> list[queries.Turnaround]:
        return monthly.turnaround_by_partner(self.scope, self.split, self.histograms)

    @cached_property
    def top_journals(self) -> list[queries.TopTitle]:
        return queries.top_journals(self.scope)

    @cached_property
    def top_books(self) -> list[queries.TopTitle]:
        return queries.top_books(self.scope)

    @cached_property
    def unfilled_reasons(self) -> list[queries.Reason]:
        return monthly.unfilled_reasons(self.scope, self.split, self.answers)

    @cached_property
    def closed_reasons(self) -> list[queries.Closing]:
        return monthly.closed_reasons(self.scope, self.split)


def _role(role: str) -> str:
    return Role(role).label


def _counts(rows: list[queries.Tally], *, with_role: bool) -> tuple[list[tuple], list[Bar]]:
    table = [((_role(r.role), r.label, r.count) if with_role else (r.label, r.count)) for r in rows]
    bars = [Bar(f"{_role(r.role)} · {r.label}" if with_role else r.label, r.count, str(r.count)) for r in rows]
    return table, bars


def volume_by_role(f: Figures) -> Table:
    rows = [(r.label, r.count) for r in f.volume.by_role]
    return Table("requests-by-role", _("Requests by role"),
                 _("Requests made in the period: borrowing (our patrons') and lending (partners' requests to us)."),
                 [_("Role"), _("Requests")], rows, [Bar(r.label, r.count, str(r.count)) for r in f.volume.by_role])


def month_name(month: int) -> str:
    """The month's short name in the active language (“Jan”, “Mär”, “févr.”)."""
    return capfirst(str(MONTHS_3[month]))


def monthly_trend(f: Figures) -> Table:
    year = f.scope.end.year
    names = {m.month: month_name(m.month) for m in f.months}
    rows = [(names[m.month], m.last_year, m.this_year, percent(m.change)) for m in f.months]
    bars = [bar for m in f.months for bar in (
        Bar(f"{names[m.month]} {year - 1}", m.last_year, str(m.last_year)),
        Bar(f"{names[m.month]} {year}", m.this_year, str(m.this_year)))]
    return Table("requests-by-month", _("Requests per month, this year and last"),
                 _("Requests made each month of %(year)s beside the same month of %(last_year)s (the year of the "
                   "period's end; the partner and role filters apply, the period's days do not).")
                 % {"year": year, "last_year": year - 1},
                 [_("Month"), str(year - 1), str(year), _("Change (%)")], rows, bars)


def volume_by_format(f: Figures) -> Table:
    rows, bars = _counts(f.volume.by_format, with_role=True)
    return Table("requests-by-format", _("Requests by format"),
                 _("Requests made in the period, by the citation's format."),
                 [_("Role"), _("Format"), _("Requests")], rows, bars)


def volume_by_service_type(f: Figures) -> Table:
    rows, bars = _counts(f.volume.by_service_type, with_role=True)
    return Table("requests-by-service-type", _("Requests by service type"),
                 _("Requests made in the period, by ISO 18626 service type (loan, copy, either)."),
                 [_("Role"), _("Service type"), _("Requests")], rows, bars)


def volume_by_state(f: Figures) -> Table:
    rows, bars = _counts(f.volume.by_state, with_role=True)
    return Table("requests-by-state", _("Requests by state"),
                 _("Requests made in the period, by the state they are in today."),
                 [_("Role"), _("State"), _("Requests")], rows, bars)


def fill_rate(f: Figures) -> Table:
    """The fill rates of all partners together and of the busiest ones on the page; every partner in the CSV."""
    shown = []
    for result in f.fill_rates:
        busy = busiest(result.by_partner, lambda r: r.answered)
        shown.append((result.role, result.overall, [r for r in result.by_partner if id(r) in busy]))
    page = _rate_rows(shown)
    bars = [Bar(f"{row[0]} · {row[1]}", rate.rate * 100, _("%(rate)s %%") % {"rate": row[-1]})
            for row, rate in page if rate.rate is not None]
    every = [(r.role, r.overall, r.by_partner) for r in f.fill_rates]
    return Table("fill-rate", _("Fill rate"),
                 _("Filled ÷ (filled + unfilled) answers given in the period; cancelled requests are left out. "
                   "Borrowing: our lenders' answers (a lender's silence past the rota limit counts as unfilled). "
                   "Lending: our answers to partners."),
                 [_("Role"), _("Partner"), _("Partner name"), pgettext_lazy("answers", "Filled"),
                  pgettext_lazy("answers", "Unfilled"), _("Answered"), _("Fill rate (%)")],
                 lambda: [row for row, _rate in _rate_rows(every)], bars, scale=100, unit="%",
                 page_rows=[row for row, _rate in page], row_count=sum(1 + len(r.by_partner) for r in f.fill_rates))


Chosen = list[tuple[str, queries.FillRate, list[queries.FillRate]]]


def _rate_rows(chosen: Chosen) -> list[tuple[tuple, queries.FillRate]]:
    """Per role, the row of all partners and those of ``chosen``'s partners, each beside its rate; the partners'
    names are looked up for these partners alone (one query)."""
    names = queries.partner_names(r.partner for _role_code, _overall, by_partner in chosen for r in by_partner)
    rows = []
    for role_code, overall, by_partner in chosen:
        role = _role(role_code)
        for rate, symbol, name in [(overall, ALL_PARTNERS, ""),
                                   *((r, r.partner or _("(unknown)"), names.get(r.partner, "")) for r in by_partner)]:
            rows.append(((role, symbol, name, rate.filled, rate.unfilled, rate.answered, percent(rate.rate)), rate))
    return rows


def turnaround(f: Figures) -> Table:
    """Each measure for all partners together and for its busiest partners on the page; every partner in the CSV.
    The page computes the percentiles of the partners it shows only."""
    merged = f.histograms
    measures = [m for m in MEASURES if m.role in f.scope.roles]
    partners = {m.key: [] for m in measures}
    for (key, symbol), spans in merged.sizes.items():
        if key in partners:
            partners[key].append((symbol, spans))
    shown = [*f.turnaround]
    for measure in measures:
        # The busiest, ties by symbol, then in symbol order: only they are sorted.
        busy = heapq.nsmallest(PAGE_PARTNERS, partners[measure.key], key=lambda item: (-item[1], item[0]))
        shown += [monthly.partner_turnaround(measure, merged, symbol) for symbol, _spans in sorted(busy)]
    bars = []
    for t in f.turnaround:
        if t.count:
            bars.append(Bar(_("%(measure)s, median") % {"measure": t.measure.short_label}, t.median_days,
                            _("%(days)s days") % {"days": days(t.median_days)}))
            bars.append(Bar(_("%(measure)s, 90th pct.") % {"measure": t.measure.short_label}, t.p90_days,
                            _("%(days)s days") % {"days": days(t.p90_days)}))
    return Table("turnaround", _("Turnaround"),
                 _("Days between two events of the log, for spans that ended in the period: the median and the "
                   "90th percentile (interpolated between the closest ranks, like PostgreSQL's percentile_cont, "
                   "from each measure's histogram of whole hours: within half an hour of the exact value)."),
                 [_("Measure"), _("Partner"), _("Requests measured"), _("Median (days)"),
                  _("90th percentile (days)")],
                 lambda: [_span_row(t) for t in [*f.turnaround, *f.turnaround_by_partner]], bars, unit="days",
                 page_rows=[_span_row(t) for t in shown],
                 row_count=len(f.turnaround) + sum(len(each) for each in partners.values()))


def _span_row(t: queries.Turnaround) -> tuple:
    return (t.measure.label, t.partner or ALL_PARTNERS, t.count, days(t.median_days), days(t.p90_days))


def patron_category(f: Figures) -> Table:
    rows, bars = _counts(f.patrons.by_category, with_role=False)
    return Table("patron-category", _("Borrowing by patron category"),
                 _("Our patrons' requests made in the period, by the patron's category when they asked."),
                 [_("Patron category"), _("Requests")], rows, bars)


def department(f: Figures) -> Table:
    rows, bars = _counts(f.patrons.by_department, with_role=False)
    return Table("department", _("Borrowing by department"),
                 _("Our patrons' requests made in the period, by the patron's department when they asked."),
                 [_("Department"), _("Requests")], rows, bars[:15])


def _lending_titles(f: Figures) -> bool:
    return queries.top_titles_role(f.scope) == Role.LENDING


def top_journals(f: Figures) -> Table:
    rows = [(j.title, j.identifier, j.count) for j in f.top_journals]
    return Table("top-journals", _("Most requested journals"),
                 _("Articles asked for in partners' requests to us made in the period, per journal (by ISSN, else "
                   "by title).") if _lending_titles(f) else
                 _("Articles asked for in our patrons' requests made in the period, per journal (by ISSN, else by "
                   "title)."),
                 [_("Journal"), "ISSN", _("Requests")], rows,
                 [Bar(j.title, j.count, str(j.count)) for j in f.top_journals])


def top_books(f: Figures) -> Table:
    rows = [(b.title, b.author, b.identifier, b.count) for b in f.top_books]
    return Table("top-books", _("Most requested books"),
                 _("Books asked for in partners' requests to us made in the period (by ISBN, else by title).")
                 if _lending_titles(f) else
                 _("Books asked for in our patrons' requests made in the period (by ISBN, else by title)."),
                 [_("Title"), _("Author"), "ISBN", _("Requests")], rows,
                 [Bar(b.title, b.count, str(b.count)) for b in f.top_books])


def unfilled_reasons(f: Figures) -> Table:
    rows = [(r.role_label, r.code, r.label, r.count) for r in f.unfilled_reasons]
    return Table("unfilled-reasons", _("Unfilled reasons"),
                 _("Unfilled answers given in the period, by their ISO 18626 reason code."),
                 [_("Role"), _("Reason code"), _("Reason"), _("Answers")], rows,
                 [Bar(f"{r.role_label} · {r.label}", r.count, str(r.count)) for r in f.unfilled_reasons])


def closed_reasons(f: Figures) -> Table:
    rows = [(c.code, c.label, c.count) for c in f.closed_reasons]
    return Table("closed-reasons", _("Ended without borrowing"),
                 _("Borrowing requests ended in the period without a loan: the library owns the item, a free copy "
                   "is online (open access), it was bought instead, or it was cancelled for another reason."),
                 [_("Reason code"), _("Reason"), _("Requests")], rows,
                 [Bar(c.label, c.count, str(c.count)) for c in f.closed_reasons])


#: Every table, in page order, by the name of its CSV download.
TABLES: dict[str, Callable[[Figures], Table]] = {
    "requests-by-month": monthly_trend,
    "requests-by-role": volume_by_role,
    "requests-by-format": volume_by_format,
    "requests-by-service-type": volume_by_service_type,
    "requests-by-state": volume_by_state,
    "fill-rate": fill_rate,
    "turnaround": turnaround,
    "patron-category": patron_category,
    "department": department,
    "top-journals": top_journals,
    "top-books": top_books,
    "unfilled-reasons": unfilled_reasons,
    "closed-reasons": closed_reasons,
}


@dataclass(frozen=True)
class Section:
    """A tab of the statistics page: some tables, loaded on their own (``views.section``)."""

    name: str
    title: str
    tables: tuple[str, ...]


#: The page's sections in tab order; the first opens the page. Every table is in exactly one.
SECTIONS: dict[str, Section] = {section.name: section for section in (
    Section("trend", gettext_lazy("Monthly trend"), ("requests-by-month",)),
    Section("volume", gettext_lazy("Volumes"), ("requests-by-role", "requests-by-format",
                                                "requests-by-service-type", "requests-by-state")),
    Section("fill-rate", gettext_lazy("Fill rate"), ("fill-rate",)),
    Section("turnaround", gettext_lazy("Turnaround"), ("turnaround",)),
    Section("patrons", gettext_lazy("Patrons"), ("patron-category", "department")),
    Section("titles", gettext_lazy("Top titles"), ("top-journals", "top-books")),
    Section("unfilled", gettext_lazy("Unfilled reasons"), ("unfilled-reasons", "closed-reasons")),
)}
FIRST_SECTION = next(iter(SECTIONS))


def build(scope: queries.Scope, names: Sequence[str] | None = None) -> list[Table]:
    figures = Figures(scope)
    return [TABLES[name](figures) for name in (names or TABLES)]
