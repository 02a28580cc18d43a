"""Selectors for the statistics pages: plain data, computed in the database, a fixed number of queries.

Which actions count as *filled*, *unfilled*, *sent* and *received* is read from the workflow
tables through their ISO 18626 mapping (a lender's ``Loaned`` or ``CopyCompleted`` fills, its
``Unfilled`` does not), so this core module needs no import of ``borrowing`` or ``lending``
and follows their tables when they change. docs/statistics.md defines every figure.

Python only ever loops over groups the database already aggregated (one row per role × format
× service × state, per partner, per reason), never over requests or events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Lower, Trim, TruncMonth
from django.utils.translation import gettext_lazy

from ..figure_cells import (  # noqa: F401 (the figures' definitions, named here for the pages and tests)
    CLOSING_REASONS,
    FILLED_CODES,
    MEASURES,
    NO_ANSWER_OUTCOME,
    NO_ANSWER_REASON,
    RECEIVED_CODES,
    SENT_CODES,
    UNFILLED_CODES,
    UNSPECIFIED_REASON,
    Measure,
    Ranges,
    Where,
    actions_for,
    answers,
    durations,
    library_zone,
    unfilled_reason,
)
from ..models import IllRequest, Library, PatronCategory, RequestFormat, Role, ServiceType
from ..states import AVAILABLE_TO_PATRON  # noqa: F401
from ..unfilled import UnfilledReason
from ..utilities.aggregates import as_duration, percentile_groups
from ..workflow import registry

FRACTIONS = (0.5, 0.9)
#: A patron category or department the request did not record.
NOT_RECORDED = gettext_lazy("Not recorded")
TOP_TITLES = 20



@dataclass(frozen=True)
class Scope:
    """What the figures are about: one member library, a period of days (both ends included),
    optionally one partner and one role (``None``: both)."""

    library: Library
    start: dt.date
    end: dt.date
    partner: Library | None = None
    role: str | None = None

    @property
    def roles(self) -> list[str]:
        return [self.role] if self.role else [Role.BORROWING, Role.LENDING]

    @property
    def role_label(self) -> str:
        """The chosen role's name in the active language (empty: both roles)."""
        return str(Role(self.role).label) if self.role else ""

    @property
    def zone(self) -> dt.tzinfo:
        """Days start at midnight in the library's own time zone."""
        return library_zone(self.library)

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone)

    @property
    def until(self) -> dt.datetime:
        """The first moment after the period (exclusive bound)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=self.zone)

    def where(self, ranges: Ranges | str = "period", roles: Iterable[str] | None = None) -> Where:
        """The rows of this scope in ``ranges`` (default: the period's days)."""
        return Where(library=self.library, zone=self.zone, roles=tuple(roles or self.roles),
                     ranges=[(self.since, self.until)] if ranges == "period" else ranges, partner=self.partner)


# Volumes -----------------------------------------------------------------------------------

def _requests(scope: Scope, roles: Iterable[str] | None = None) -> QuerySet[IllRequest]:
    """The library's requests made in the period (of ``roles``, default the scope's)."""
    requests = IllRequest.objects.filter(library=scope.library, role__in=list(roles or scope.roles),
                                         created_at__gte=scope.since, created_at__lt=scope.until)
    if scope.partner is not None:
        requests = requests.filter(partner=scope.partner)
    return requests


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int
    role: str = ""


@dataclass(frozen=True)
class Volume:
    """Requests made in the period, counted by role, format, service type and current state."""

    by_role: list[Tally]
    by_format: list[Tally]
    by_service_type: list[Tally]
    by_state: list[Tally]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.by_role)


def request_volume(scope: Scope) -> Volume:
    """One query: the requests grouped by role, format, service type and status."""
    groups = list(_requests(scope).values("role", "format", "service_type", "status")
                  .annotate(count=Count("pk")).order_by())
    return volume_from(groups, scope.roles)


def volume_from(groups: Iterable[dict], roles: Iterable[str]) -> Volume:
    """The volumes of rows counted by ``role``, ``format``, ``service_type`` and ``status`` (in any grouping)."""
    sums: dict[str, dict[tuple, int]] = {"role": defaultdict(int), "format": defaultdict(int),
                                         "service_type": defaultdict(int), "status": defaultdict(int)}
    for group in groups:
        sums["role"][(group["role"],)] += group["count"]
        sums["format"][(group["role"], group["format"])] += group["count"]
        sums["service_type"][(group["role"], group["service_type"])] += group["count"]
        sums["status"][(group["role"], group["status"])] += group["count"]
    roles = list(roles)
    by_role = [Tally(role, Role(role).label, sums["role"].get((role,), 0), role) for role in roles]
    by_format = [Tally(value, label, sums["format"][(role, value)], role)
                 for role in roles for value, label in RequestFormat.choices if sums["format"].get((role, value))]
    by_service = [Tally(value, label, sums["service_type"][(role, value)], role)
                  for role in roles for value, label in ServiceType.choices
                  if sums["service_type"].get((role, value))]
    by_state = []
    for role in roles:
        workflow = registry.get(role)
        known = list(workflow.states)
        unknown = sorted(status for r, status in sums["status"] if r == role and status not in workflow.states)
        by_state += [Tally(status, workflow.state(status).label, sums["status"][(role, status)], role)
                     for status in known + unknown if sums["status"].get((role, status))]
    return Volume(by_role=by_role, by_format=by_format, by_service_type=by_service, by_state=by_state)


@dataclass(frozen=True)
class MonthVolume:
    """Requests made in one calendar month of the scope's year and in the same month a year before."""

    month: int
    this_year: int
    last_year: int

    @property
    def change(self) -> float | None:
        """This year over last year, minus one (``None`` when last year had none)."""
        return self.this_year / self.last_year - 1 if self.last_year else None


def monthly_volume(scope: Scope) -> list[MonthVolume]:
    """The trend: requests made per month (days in the library's time zone) in the year of the period's end
    and in the year before, all twelve months of each, with the scope's roles and partner. One query that
    groups by month in the database."""
    year = scope.end.year
    since = dt.datetime(year - 1, 1, 1, tzinfo=scope.zone)
    until = dt.datetime(year + 1, 1, 1, tzinfo=scope.zone)
    requests = IllRequest.objects.filter(library=scope.library, role__in=scope.roles,
                                         created_at__gte=since, created_at__lt=until)
    if scope.partner is not None:
        requests = requests.filter(partner=scope.partner)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for row in (requests.annotate(month=TruncMonth("created_at", tzinfo=scope.zone)).values("month")
                .annotate(count=Count("pk")).order_by()):
        month = row["month"]
        counts[(month.year, month.month)] += row["count"]
    return [MonthVolume(month, counts[(year, month)], counts[(year - 1, month)]) for month in range(1, 13)]


@dataclass(frozen=True)
class PatronVolume:
    """Borrowing requests made in the period by patron category and by department."""

    by_category: list[Tally]
    by_department: list[Tally]


def patron_volume(scope: Scope) -> PatronVolume:
    """One query on the category and department copied onto each request (never the patron's account,
    so the figures stay the same after the privacy purge)."""
    if Role.BORROWING not in scope.roles:
        return PatronVolume([], [])
    groups = list(_requests(scope, [Role.BORROWING]).values("patron_category", "patron_department")
                  .annotate(count=Count("pk")).order_by())
    return patron_volume_from({**group, "department": group["patron_department"]} for group in groups)


def patron_volume_from(groups: Iterable[dict]) -> PatronVolume:
    """The patron volumes of rows counted by ``patron_category`` and ``department`` (in any grouping)."""
    categories: dict[str, int] = defaultdict(int)
    departments: dict[str, int] = defaultdict(int)
    for group in groups:
        categories[group["patron_category"]] += group["count"]
        departments[group["department"].strip()] += group["count"]
    labels = dict(PatronCategory.choices)
    by_category = [Tally(value, labels.get(value) or value or NOT_RECORDED, count)
                   for value, count in sorted(categories.items(), key=lambda item: (-item[1], item[0]))]
    by_department = [Tally(value, value or NOT_RECORDED, count)
                     for value, count in sorted(departments.items(), key=lambda item: (-item[1], item[0].lower()))]
    return PatronVolume(by_category=by_category, by_department=by_department)


# Fill rates --------------------------------------------------------------------------------

@dataclass(frozen=True)
class FillRate:
    filled: int = 0
    unfilled: int = 0
    partner: str = ""
    partner_name: str = ""

    @property
    def answered(self) -> int:
        return self.filled + self.unfilled

    @property
    def rate(self) -> float | None:
        """filled / (filled + unfilled); ``None`` without any answer."""
        return self.filled / self.answered if self.answered else None


@dataclass(frozen=True)
class FillRates:
    role: str
    overall: FillRate
    by_partner: list[FillRate] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


def partner_names(symbols: Iterable[str]) -> dict[str, str]:
    """The directory's names of the libraries of ``symbols`` (one query; none without a symbol)."""
    wanted = [s for s in symbols if s]
    return dict(Library.objects.filter(symbol__in=wanted).values_list("symbol", "name")) if wanted else {}


def fill_rates(scope: Scope) -> list[FillRates]:
    """Per role, one query for the answers of the period grouped by partner."""
    groups = []
    for role in scope.roles:
        filled, unfilled = actions_for(role, FILLED_CODES), actions_for(role, UNFILLED_CODES)
        groups += [{**row, "role": role} for row in
                   answers(scope.where(), role, filled + unfilled).values("partner_symbol")
                   .annotate(filled=Count("pk", filter=Q(action__in=filled)),
                             unfilled=Count("pk", filter=Q(action__in=unfilled))).order_by()]
    return fill_rates_from(groups, scope.roles)


def fill_rates_from(groups: Iterable[dict], roles: Iterable[str]) -> list[FillRates]:
    """Fill rates of rows counting ``filled`` and ``unfilled`` answers by ``role`` and ``partner_symbol``
    (in any grouping), partners in symbol order. No query: the partners' names are looked up by whoever shows
    them (``partner_names``), for the partners shown (a large library answers thousands a year)."""
    sums: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for group in groups:
        counts = sums[group["role"]][group["partner_symbol"] or ""]
        counts[0] += group["filled"]
        counts[1] += group["unfilled"]
    return fill_rates_of(sums, roles)


def fill_rates_of(sums: Mapping[str, Mapping[str, Sequence[int]]], roles: Iterable[str]) -> list[FillRates]:
    """Fill rates of ``{role: {partner symbol: (filled, unfilled)}}``, partners in symbol order."""
    results = []
    for role in roles:
        by_partner = [FillRate(filled, unfilled, symbol)
                      for symbol, (filled, unfilled) in sorted(sums.get(role, {}).items())]
        overall = FillRate(sum(r.filled for r in by_partner), sum(r.unfilled for r in by_partner))
        results.append(FillRates(role=role, overall=overall, by_partner=by_partner))
    return results


# Turnaround --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Turnaround:
    measure: Measure
    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None
    partner: str = ""

    @staticmethod
    def days(value: dt.timedelta | None) -> float | None:
        return None if value is None else value.total_seconds() / 86400

    @property
    def median_days(self) -> float | None:
        return self.days(self.median)

    @property
    def p90_days(self) -> float | None:
        return self.days(self.p90)


def turnaround(scope: Scope) -> list[Turnaround]:
    """Median and 90th percentile of each measure of the scope's roles: one query per measure."""
    results = []
    for measure in MEASURES:
        if measure.role not in scope.roles:
            continue
        group = percentile_groups(durations(scope.where(), measure), value="took", fractions=FRACTIONS).get(None)
        if group is None:
            results.append(Turnaround(measure, 0, None, None))
        else:
            results.append(Turnaround(measure, group.size, as_duration(group.values[0.5]),
                                      as_duration(group.values[0.9])))
    return results


def turnaround_by_partner(scope: Scope) -> list[Turnaround]:
    """The same per partner (one query per measure), partners in symbol order within each measure."""
    results = []
    for measure in MEASURES:
        if measure.role not in scope.roles:
            continue
        groups = percentile_groups(durations(scope.where(), measure), value="took", by="request__partner__symbol",
                                   fractions=FRACTIONS)
        results += [Turnaround(measure, group.size, as_duration(group.values[0.5]), as_duration(group.values[0.9]),
                               partner=symbol or "")
                    for symbol, group in sorted(groups.items(), key=lambda item: item[0] or "")]
    return results


# Top titles --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopTitle:
    title: str
    identifier: str
    count: int
    author: str = ""


def top_titles_role(scope: Scope) -> str:
    """Top titles serve collection development: our patrons' requests, unless lending alone is chosen."""
    return Role.LENDING if scope.role == Role.LENDING else Role.BORROWING


def top_journals(scope: Scope, limit: int = TOP_TITLES) -> list[TopTitle]:
    """Articles requested in the period per journal: by ISSN, or by the journal title lower-cased and
    trimmed when the request has no ISSN (one query)."""
    key = Case(When(~Q(issn=""), then=Concat(Value("issn:"), F("issn"))),
               default=Lower(Trim("container_title")), output_field=CharField())
    rows = (_requests(scope, [top_titles_role(scope)]).filter(format=RequestFormat.ARTICLE)
            .exclude(issn="", container_title="")
            .annotate(key=key).values("key")
            .annotate(count=Count("pk"), title=Max("container_title"), issn=Max("issn"))
            .order_by("-count", "title")[:limit])
    return [TopTitle(row["title"], row["issn"], row["count"]) for row in rows]


def top_books(scope: Scope, limit: int = TOP_TITLES) -> list[TopTitle]:
    """Books requested in the period: by ISBN, or by the title lower-cased and trimmed (one query)."""
    key = Case(When(~Q(isbn=""), then=Concat(Value("isbn:"), F("isbn"))),
               default=Lower(Trim("title")), output_field=CharField())
    rows = (_requests(scope, [top_titles_role(scope)]).filter(format=RequestFormat.BOOK)
            .annotate(key=key).values("key")
            .annotate(count=Count("pk"), title=Max("title"), isbn=Max("isbn"), author=Max("author"))
            .order_by("-count", "title")[:limit])
    return [TopTitle(row["title"], row["isbn"], row["count"], row["author"]) for row in rows]


# Unfilled reasons --------------------------------------------------------------------------

#: The labels of the ISO 18626 ``reasonUnfilled`` codes, in the active language: the lending desk's list and our
#: own two; another code is worded from its CamelCase words.
REASON_LABELS = {NO_ANSWER_REASON: gettext_lazy("No answer in time"), UNSPECIFIED_REASON: gettext_lazy("Unspecified"),
                 **dict(UnfilledReason.choices)}


def reason_label(code: str) -> str:
    """The label of an ISO 18626 reason code: a known one in the active language (``REASON_LABELS``), another
    from its words (``NotOnShelf`` → ``Not on shelf``): the codes are an open list of CamelCase words."""
    if code in REASON_LABELS:
        return str(REASON_LABELS[code])
    words, current = [], ""
    for char in code:
        if char.isupper() and current and not current[-1].isupper():
            words.append(current)
            current = ""
        current += char
    words.append(current)
    text = " ".join(w if w.isupper() else w.lower() for w in words if w)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Reason:
    role: str
    code: str
    count: int

    @property
    def label(self) -> str:
        return reason_label(self.code)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


def unfilled_reasons(scope: Scope) -> list[Reason]:
    """The ISO 18626 ``reasonUnfilled`` code of every unfilled answer of the period (kept in the event's
    data), a lender's silence as ``NoAnswer``, no code as ``Unspecified``: one query per role."""
    groups = []
    for role in scope.roles:
        groups += [{**row, "role": role} for row in
                   answers(scope.where(), role, actions_for(role, UNFILLED_CODES)).annotate(reason=unfilled_reason())
                   .values("reason").annotate(count=Count("pk")).order_by()]
    return reasons_from(groups, scope.roles)


@dataclass(frozen=True)
class Closing:
    code: str
    count: int

    @property
    def label(self) -> str:
        return CLOSING_REASONS.get(self.code, self.code)


def closings_from(groups: Iterable[dict]) -> list[Closing]:
    """Requests ended without a loan, from rows counting them by ``reason``: the most frequent first, ties by code."""
    sums: dict[str, int] = defaultdict(int)
    for group in groups:
        sums[group["reason"]] += group["count"]
    return [Closing(code, count) for code, count in sorted(sums.items(), key=lambda item: (-item[1], item[0]))]


def reasons_from(groups: Iterable[dict], roles: Iterable[str]) -> list[Reason]:
    """Unfilled reasons of rows counting answers by ``role`` and ``reason`` (in any grouping): per role,
    the most frequent first, ties by code."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for group in groups:
        sums[(group["role"], group["reason"])] += group["count"]
    return [Reason(role, code, count) for role in roles
            for (_, code), count in sorted(((key, count) for key, count in sums.items() if key[0] == role),
                                           key=lambda item: (-item[1], item[0][1]))]
