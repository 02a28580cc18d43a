"""Reads for the partner directory: the partners, what they publish, and what our requests with them show.

Every figure comes from a fixed number of aggregate queries over the member library's requests of the
last ``WINDOW_DAYS`` days (``statistics.queries``: one query per role for the fill rates, one per
measure for the turnaround), whatever the number of partners; Python only picks a page's rows out of
the groups the database returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Q, QuerySet
from django.utils import timezone

from .. import partner_standing
from ..models import Library, Role
from ..statistics import queries
from ..statistics.queries import FillRate, Scope, Turnaround

#: The period the measures cover, ending today.
WINDOW_DAYS = 365


def partners_of(library: Library) -> QuerySet[Library]:
    """Every other library of the directory: any of them may lend to or borrow from ``library``."""
    return Library.objects.exclude(pk=library.pk)


def search(partners: QuerySet[Library], *, q: str = "", country: str = "") -> QuerySet[Library]:
    """``partners`` whose name, symbol, agency id (OCLC symbol, ISIL…) or city contains ``q``, in ``country``."""
    if q:
        partners = partners.filter(Q(name__icontains=q) | Q(symbol__icontains=q) | Q(agency_id_value__icontains=q)
                                   | Q(city__icontains=q))
    if country:
        partners = partners.filter(country__iexact=country)
    return partners


def public_endpoint(url: str) -> str:
    """``url`` without what may be a secret: no user name or password, no query string, no fragment."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class Standing:
    """How one partner and the member library stand with each other over the window."""

    symbol: str
    #: Their answers to our borrowing requests (they lend to us).
    they_answered: FillRate = field(default_factory=FillRate)
    #: Our answers to their requests (we lend to them).
    we_answered: FillRate = field(default_factory=FillRate)
    turnaround: tuple[Turnaround, ...] = ()

    @property
    def lent(self) -> int:
        """What we supplied them."""
        return self.we_answered.filled

    @property
    def borrowed(self) -> int:
        """What they supplied us."""
        return self.they_answered.filled

    @property
    def balance(self) -> int:
        """Lent minus borrowed: positive when we supply them more than they supply us."""
        return self.lent - self.borrowed

    def measure(self, key: str) -> Turnaround | None:
        return next((t for t in self.turnaround if t.measure.key == key), None)

    @property
    def their_turnaround(self) -> Turnaround | None:
        """Sent to them → received by us."""
        return self.measure("borrowing_received")


def window(library: Library, *, today: dt.date | None = None, partner: Library | None = None) -> Scope:
    today = today or timezone.localdate()
    return Scope(library=library, start=today - dt.timedelta(days=WINDOW_DAYS - 1), end=today, partner=partner)


def standings(library: Library, *, today: dt.date | None = None) -> dict[str, Standing]:
    """Every partner's standing with ``library``, by symbol (partners without any answer are missing)."""
    scope = window(library, today=today)
    answered: dict[str, dict[str, FillRate]] = {}
    for rates in queries.fill_rates(scope):
        for row in rates.by_partner:
            answered.setdefault(row.partner, {})[rates.role] = row
    turnaround: dict[str, list[Turnaround]] = {}
    for row in queries.turnaround_by_partner(Scope(library=scope.library, start=scope.start, end=scope.end,
                                                   role=Role.BORROWING)):
        turnaround.setdefault(row.partner, []).append(row)
    return {symbol: Standing(symbol, they_answered=answered.get(symbol, {}).get(Role.BORROWING, FillRate()),
                             we_answered=answered.get(symbol, {}).get(Role.LENDING, FillRate()),
                             turnaround=tuple(turnaround.get(symbol, ())))
            for symbol in answered.keys() | turnaround.keys()}


def standing(library: Library, partner: Library, *, today: dt.date | None = None) -> Standing:
    """One partner's standing with ``library``, with every turnaround measure of both roles."""
    scope = window(library, today=today, partner=partner)
    by_role = {rates.role: rates.overall for rates in queries.fill_rates(scope)}
    return Standing(partner.symbol, they_answered=by_role.get(Role.BORROWING, FillRate()),
                    we_answered=by_role.get(Role.LENDING, FillRate()),
                    turnaround=tuple(queries.turnaround(scope)))


@dataclass(frozen=True)
class Reciprocity:
    shared_groups: tuple[str, ...]
    warnings: list[str]

    @property
    def agreed(self) -> bool:
        return bool(self.shared_groups)


def reciprocity(library: Library, partner: Library) -> Reciprocity:
    """The networks both lend in without fees, and billing's warnings (unpaid invoices past their due date)."""
    shared = tuple(sorted(library.reciprocal_group_set & partner.reciprocal_group_set))
    return Reciprocity(shared, partner_standing.standing_warnings(library=library, partner=partner, overdue_days=0))
