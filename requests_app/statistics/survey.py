"""The annual-survey export: the interlibrary loan questions of the ACRL and IPEDS academic library
surveys for one member library and fiscal year, from the monthly rollup (docs/statistics.md).

- *Total interlibrary loans and documents provided to other libraries*: our filled answers to
  partners' requests, returnables (a loan shipped) and non-returnables (a copy delivered).
- *Total interlibrary loans and documents received*: what reached us for our patrons, returnables
  (a loan received at the desk) and non-returnables (a copy delivered).

Each is also given for partners that are member libraries of this installation, for a library that
must leave loans within its own institution out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import figure_cells
from ..figure_cells import COPY, FILLED, LOAN
from ..models import FigureKind, Library, Role
from . import monthly
from .queries import Scope

#: The survey's questions, quoted as the ACRL and IPEDS forms word them (in every language, like the NCIP profiles).
PROVIDED = "Total interlibrary loans and documents provided to other libraries"
RECEIVED = "Total interlibrary loans and documents received"
HEADERS = [_("Library"), _("Fiscal year"), pgettext_lazy("date", "From"), pgettext_lazy("date", "To"), _("Question"),
           _("Partners"), _("Returnables"), _("Non-returnables"), _("Total")]
ALL_PARTNERS, MEMBER_PARTNERS = _("All partners"), _("Of which member libraries of this installation")


def fiscal_year_period(year: int, start_month: int | None = None) -> tuple[dt.date, dt.date]:
    """The days of fiscal year ``year``, named by the calendar year it ends in (as IPEDS does): with the
    year starting in July, fiscal year 2026 runs from 1 July 2025 to 30 June 2026."""
    start_month = start_month or settings.ILLMS_FISCAL_YEAR_START_MONTH
    if start_month == 1:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return dt.date(year - 1, start_month, 1), dt.date(year, start_month, 1) - dt.timedelta(days=1)


def last_closed_fiscal_year(today: dt.date | None = None) -> int:
    """The latest fiscal year that has ended by ``today`` (default: today)."""
    today = today or timezone.localdate()
    year = today.year + (1 if settings.ILLMS_FISCAL_YEAR_START_MONTH > 1 else 0)
    while fiscal_year_period(year)[1] >= today:
        year -= 1
    return year


@dataclass(frozen=True)
class SurveyLine:
    question: str
    partners: str
    returnables: int
    non_returnables: int

    @property
    def total(self) -> int:
        return self.returnables + self.non_returnables


@dataclass(frozen=True)
class Survey:
    library: Library
    fiscal_year: int
    start: dt.date
    end: dt.date
    lines: list[SurveyLine]

    @property
    def rows(self) -> list[tuple]:
        return [(self.library.symbol, self.fiscal_year, self.start.isoformat(), self.end.isoformat(), line.question,
                 line.partners, line.returnables, line.non_returnables, line.total) for line in self.lines]


def annual_survey(library: Library, fiscal_year: int) -> Survey:
    """The survey's lines: a query for how far the rollup covers, one on it for the answers and one for the
    receipts, the live months' queries (none for a closed year) and one for which partners are members."""
    start, end = fiscal_year_period(fiscal_year)
    scope = Scope(library=library, start=start, end=end)
    part = monthly.period_split(scope, monthly.covered_until())
    provided = [row for row in monthly.stored_cells(scope, part, FigureKind.ANSWER, "partner", "outcome",
                                                    "service_type", roles=[Role.LENDING])
                if row["outcome"] == FILLED]
    received = monthly.stored_cells(scope, part, FigureKind.RECEIVED, "partner", "service_type",
                                    roles=[Role.BORROWING])
    if part.live:
        provided += [{**row, "partner": row["partner_symbol"]} for row in figure_cells.answer_cells(
            scope.where(list(part.live), [Role.LENDING])) if row["outcome"] == FILLED]
        received += [{**row, "partner": row["partner_symbol"]} for row in figure_cells.received_cells(
            scope.where(list(part.live), [Role.BORROWING]))]
    symbols = {row["partner"] for row in [*provided, *received] if row["partner"]}
    members = set(Library.objects.filter(is_member=True, symbol__in=symbols).values_list("symbol", flat=True))
    lines = []
    for question, rows in ((PROVIDED, provided), (RECEIVED, received)):
        for partners, chosen in ((ALL_PARTNERS, rows), (MEMBER_PARTNERS, [r for r in rows if r["partner"] in members])):
            counts: dict[str, int] = defaultdict(int)
            for row in chosen:
                counts[row["service_type"]] += row["count"]
            lines.append(SurveyLine(question, partners, counts[LOAN], counts[COPY]))
    return Survey(library=library, fiscal_year=fiscal_year, start=start, end=end, lines=lines)
