"""The rota (lender string): who is asked, in which order, and moving on when a lender cannot supply.

``build_rota`` asks the partners' catalogues who holds the item (``directory.holdings``, time-limited)
and ranks the directory in a few aggregate queries (never a query per lender): active partners that
lend the format, whose fee is within the patron's maximum, and of those only the holders when any is
known; ordered by a score whose parts are kept on each entry as sentences (``Candidate.rank``;
docs/sourcing.md). ``send_to_next_lender`` sends
the request to the next waiting entry, or ends the rota. An unfilled answer (or a lender's
silence past the library's auto-advance days, a policy) closes the entry and, after commit,
``advance_rota`` tries the next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from requests_app.actors import ActorKind
from requests_app.directory.holdings import HoldingsLookup, PartnerHolding, find_holdings
from requests_app.models import Event, EventSource, IllRequest, Library, LibraryPolicy, RequestFormat, Role, ServiceType
from requests_app.policies import Policy, policies_by_library_id, policy_for
from requests_app.regions import parse_preferences, preference_for
from requests_app.services import claim, perform
from requests_app.states import CLOSED_STATUSES
from requests_app.utilities.aggregates import as_duration, percentiles
from requests_app.workflow import Actor, WorkflowError

from ..models import ROTA_CLOSED, DocumentSupplier, RotaEntry, RotaStatus, SupplierSpeed
from ..states import BorrowingStatus as S
from . import suppliers
from .suppliers import Quote

#: Lender answers that count as filled and as unfilled for the fill rate.
FILLED_ACTIONS = ("lender_shipped", "lender_delivered_copy", "lender_shipped_anyway")
UNFILLED_ACTIONS = ("lender_unfilled",)


#: Each format in the plural, as the rota's reasons name it (“fill rate 80% (4 of 5) for books”).
FORMAT_PLURALS = {
    RequestFormat.BOOK: gettext_lazy("books"), RequestFormat.ARTICLE: gettext_lazy("journal articles"),
    RequestFormat.CHAPTER: gettext_lazy("book chapters"), RequestFormat.THESIS: gettext_lazy("theses or dissertations"),
    RequestFormat.CONFERENCE: gettext_lazy("conference papers"), RequestFormat.OTHER: gettext_lazy("other items"),
}


def auto_advance_days(library: Library | None = None) -> int:
    """Days a lender may stay silent: ``library``'s policy (``ILLMS_ROTA_AUTO_ADVANCE_DAYS`` without one)."""
    return policy_for(library).rota_auto_advance_days


def max_rota_length(library: Library | None = None) -> int:
    """Lenders a rota lists: ``library``'s policy (``ILLMS_ROTA_MAX_LENDERS`` without one)."""
    return policy_for(library).rota_max_lenders


#: The score's weights (docs/sourcing.md explains each; a higher score is asked first).
RECIPROCITY_POINTS = 40.0
COST_POINTS = 10.0
FILL_RATE_POINTS = 30.0
TURNAROUND_POINTS = 20.0
#: Turnaround at or beyond this many days earns no points.
TURNAROUND_HORIZON_DAYS = 14.0
AVAILABLE_POINTS = 10.0
AVAILABILITY_UNKNOWN_POINTS = 5.0
#: Load: at most this many points off, half of them at ``LOAD_HALF`` requests open with the lender.
LOAD_POINTS = 30.0
LOAD_HALF = 10.0
#: A lender without history in the format counts as an even chance (fill rate) and half the turnaround points.
NO_HISTORY_FILL_RATE = 0.5


def _points(value: float) -> str:
    return f"{value:+.1f}".replace("-", "−")


@dataclass
class Candidate:
    """A partner library (``lender``) or, for a copy, a commercial document supplier (``supplier``, with its
    ``quote``) that the rota may ask."""

    lender: Library | None
    fee: Decimal
    reciprocal: bool
    filled: int
    unfilled: int
    turnaround: dt.timedelta | None
    open_requests: int = 0
    holding: PartnerHolding | None = None
    holdings_known: bool = False
    supplier: DocumentSupplier | None = None
    quote: Quote | None = None
    #: The turnaround is the supplier's own word (its price list), not measured from its deliveries.
    turnaround_stated: bool = False
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.supplier.code if self.supplier is not None else self.lender.symbol

    @property
    def country(self) -> str:
        return (self.supplier.country if self.supplier is not None else self.lender.country) or ""

    @property
    def fill_rate(self) -> float | None:
        answered = self.filled + self.unfilled
        return self.filled / answered if answered else None

    @property
    def turnaround_days(self) -> float | None:
        return self.turnaround.total_seconds() / 86400 if self.turnaround is not None else None

    def rank(self, *, max_cost: Decimal | None, dearest: Decimal, home_country: str, format_label: str,
             countries: dict[str, int] | None = None) -> None:
        """Compute ``score`` and its ``reasons``: one sentence per part, with its points."""
        parts: list[tuple[float, str]] = []
        if self.supplier is not None:
            q = self.quote
            delivery = gettext("express delivery") if q.speed == SupplierSpeed.EXPRESS else gettext("standard delivery")
            parts.append((0.0, gettext("commercial document supplier: %(delivery)s in about %(hours)s h, price "
                                       "%(price)s %(currency)s, %(copyright)s") % {
                "delivery": delivery, "hours": q.delivery_hours, "price": q.price,
                "currency": self.supplier.currency, "copyright": q.copyright_note}))
        elif self.holdings_known and self.holding is not None:
            h = self.holding
            # The sentences are kept on the entry in the language of whoever built the rota (the site's for a job).
            where = ", ".join(p for p in (h.call_number, h.location) if p) or gettext("no call number given")
            said = {"where": where, "source": h.source}
            if h.available is True:
                parts.append((AVAILABLE_POINTS, gettext("holds it (%(where)s), available, says %(source)s") % said))
            elif h.available is None:
                parts.append((AVAILABILITY_UNKNOWN_POINTS,
                              gettext("holds it (%(where)s), availability not said, says %(source)s") % said))
            else:
                parts.append((0.0, gettext("holds it (%(where)s) but %(status)s, says %(source)s")
                              % {**said, "status": h.status or gettext("not available")}))
        else:
            parts.append((0.0, gettext("holdings unknown: in the rota because its policy lends this format")))
        if self.reciprocal:
            parts.append((RECIPROCITY_POINTS, gettext("reciprocal: lends to us without fees")))
        reference = max_cost if max_cost is not None else dearest
        cost = COST_POINTS if not self.fee else (
            COST_POINTS * max(0.0, 1 - float(self.fee) / float(reference)) if reference else 0.0)
        against = (gettext("the patron's maximum %(cost)s") % {"cost": max_cost} if max_cost is not None
                   else gettext("the dearest %(cost)s") % {"cost": dearest})
        parts.append((cost, gettext("no fee") if not self.fee
                      else gettext("fee %(fee)s against %(against)s") % {"fee": self.fee, "against": against}))
        rate = self.fill_rate
        kind = {"format": format_label}
        if rate is None:
            parts.append((FILL_RATE_POINTS * NO_HISTORY_FILL_RATE,
                          gettext("no answers yet for %(format)s: an even chance") % kind))
        else:
            parts.append((FILL_RATE_POINTS * rate, gettext("fill rate %(rate)s (%(filled)s of %(answered)s) for "
                                                           "%(format)s") % {
                **kind, "rate": f"{rate:.0%}", "filled": self.filled, "answered": self.filled + self.unfilled}))
        days = self.turnaround_days
        if self.turnaround_stated and days is not None:
            parts.append((TURNAROUND_POINTS * max(0.0, 1 - days / TURNAROUND_HORIZON_DAYS),
                          gettext("its stated delivery time, %(days)s days") % {"days": f"{days:.1f}"}))
        elif days is None:
            parts.append((TURNAROUND_POINTS / 2, gettext("no turnaround measured for %(format)s") % kind))
        else:
            parts.append((TURNAROUND_POINTS * max(0.0, 1 - days / TURNAROUND_HORIZON_DAYS),
                          gettext("median turnaround %(days)s days for %(format)s") % {**kind, "days": f"{days:.1f}"}))
        preference = preference_for(self.country, home_country=home_country,
                                    preferences=country_preferences() if countries is None else countries)
        if preference is not None:
            parts.append((preference.points, preference.reason))
        if self.open_requests:
            parts.append((-LOAD_POINTS * self.open_requests / (self.open_requests + LOAD_HALF),
                          ngettext("%(count)s of our requests open with it (load-levelling)",
                                   "%(count)s of our requests open with it (load-levelling)", self.open_requests)
                          % {"count": self.open_requests}))
        self.score = round(sum(points for points, _ in parts), 2)
        self.reasons = [f"{text}: {_points(points)}" for points, text in parts]

    def sort_key(self) -> tuple:
        return (-self.score, self.fee, self.supplier is not None, self.code)


def country_preferences(library: Library | None = None, *, policy: Policy | None = None) -> dict[str, int]:
    """The country part's points by code: ``library``'s policy (or ``policy``), else
    ``ILLMS_ROTA_COUNTRY_PREFERENCES`` (``own=10``: our own country 10 points; ``requests_app.regions``)."""
    if policy is None and library is not None:
        policy = policy_for(library)
    preferences = policy.country_preferences if policy is not None else {}
    if preferences:
        return dict(preferences)
    try:
        return parse_preferences(settings.ILLMS_ROTA_COUNTRY_PREFERENCES.replace(",", "\n"))
    except ValueError:
        return {"own": 10}


def _wants_copy(request: IllRequest) -> bool:
    return request.service_type == ServiceType.COPY or (
        request.service_type != ServiceType.LOAN and request.is_copy_format)


def find_item(request: IllRequest) -> HoldingsLookup:
    """Who holds ``request``'s item, asked of the partners' catalogues (``directory.holdings``; time-limited)."""
    return find_holdings(requester=request.library, isbn=request.isbn, issn=request.issn,
                         oclc_number=request.oclc_number,
                         title=request.container_title if request.is_copy_format and request.container_title
                         else request.title,
                         author="" if request.is_copy_format else request.author)


def lender_candidates(request: IllRequest, lookup: HoldingsLookup | None = None, *,
                      policy: Policy | None = None) -> list[Candidate]:
    """The lenders for ``request``, best first (four queries whatever the directory size, and its library's
    policy unless ``policy`` is given).

    Active partners whose policy lends the format, within the patron's maximum cost; of those, only
    the ones that hold the item when ``lookup`` names any holder (else all, marked holdings unknown);
    ordered by ``Candidate.rank``'s score.
    """
    copy = _wants_copy(request)
    fee_field = "copy_fee" if copy else "loan_fee"
    offers = _supplier_candidates(request) if copy else []
    lenders = Library.objects.filter(active=True).exclude(pk=request.library_id)
    lenders = lenders.filter(lends_copies=True) if copy else lenders.filter(lends_loans=True)
    if request.max_cost is not None:
        lenders = lenders.filter(**{f"{fee_field}__lte": request.max_cost})
    lenders = list(lenders.order_by("symbol"))
    holders = set(lookup.holder_ids) if lookup is not None else set()
    if holders & {lender.pk for lender in lenders}:
        lenders = [lender for lender in lenders if lender.pk in holders]
    else:
        holders = set()
    if not lenders and not offers:
        return []
    ids = [lender.pk for lender in lenders]
    answers = {
        row["actor_library"]: row for row in
        Event.objects.filter(request__role=Role.BORROWING, request__format=request.format,
                             actor_kind=ActorKind.PARTNER, actor_library__in=ids)
        .values("actor_library")
        .annotate(filled=Count("pk", filter=Q(action__in=FILLED_ACTIONS)),
                  unfilled=Count("pk", filter=Q(action__in=UNFILLED_ACTIONS)))
        .order_by()
    }
    turnaround = _turnaround_by_lender(ids, request.format)
    load = dict(IllRequest.objects.filter(role=Role.BORROWING, library_id=request.library_id, partner_id__in=ids)
                .exclude(status__in=CLOSED_STATUSES).exclude(pk=request.pk)
                .values("partner").annotate(n=Count("pk")).order_by().values_list("partner", "n"))
    own = request.library
    candidates = [
        Candidate(lender=lender, fee=getattr(lender, fee_field), reciprocal=own.is_reciprocal_with(lender),
                  filled=answers.get(lender.pk, {}).get("filled", 0),
                  unfilled=answers.get(lender.pk, {}).get("unfilled", 0),
                  turnaround=turnaround.get(lender.pk), open_requests=load.get(lender.pk, 0),
                  holding=lookup.holding_for(lender.pk) if holders else None, holdings_known=bool(holders))
        for lender in lenders
    ] + offers
    dearest = max((c.fee for c in candidates), default=Decimal("0"))
    label = str(FORMAT_PLURALS.get(request.format) or gettext("this format"))
    countries = country_preferences(own, policy=policy)
    for candidate in candidates:
        candidate.rank(max_cost=request.max_cost, dearest=dearest, home_country=own.country, format_label=label,
                       countries=countries)
    return sorted(candidates, key=Candidate.sort_key)


def _supplier_candidates(request: IllRequest) -> list[Candidate]:
    """The library's document suppliers in the rota that price this copy within the patron's maximum, with their
    own measured delivery rate and time (three queries when the library has suppliers, one otherwise)."""
    offers = []
    for supplier in suppliers.rota_suppliers(request):
        offer = suppliers.quote(supplier, request)
        if offer is None or (request.max_cost is not None and offer.total > request.max_cost):
            continue
        offers.append(Candidate(lender=None, supplier=supplier, quote=offer, fee=offer.total, reciprocal=False,
                                filled=0, unfilled=0, turnaround=dt.timedelta(hours=offer.delivery_hours),
                                turnaround_stated=True))
    if offers:
        history = suppliers.supplier_history([c.supplier.pk for c in offers], request.format)
        for candidate in offers:
            past = history.get(candidate.supplier.pk)
            if past:
                candidate.filled, candidate.unfilled = past["delivered"], past["failed"]
                if past["median_hours"] is not None:
                    candidate.turnaround = dt.timedelta(hours=past["median_hours"])
                    candidate.turnaround_stated = False
    return offers


def _turnaround_by_lender(ids: list[int], request_format: str) -> dict[int, dt.timedelta]:
    """Median time from our request being sent to the lender shipping it, per lender, for one format (one query)."""
    sent_at = Subquery(
        Event.objects.filter(request=OuterRef("request"), action="send_to_lender",
                             created_at__lte=OuterRef("created_at"))
        .order_by("-created_at", "-pk").values("created_at")[:1]
    )
    answers = (Event.objects.filter(request__role=Role.BORROWING, request__format=request_format,
                                    actor_kind=ActorKind.PARTNER, actor_library__in=ids, action__in=FILLED_ACTIONS)
               .annotate(sent_at=sent_at)
               .annotate(took=ExpressionWrapper(F("created_at") - F("sent_at"), output_field=DurationField())))
    medians = percentiles(answers, value="took", by="actor_library")
    return {lender: as_duration(by_fraction[0.5]) for lender, by_fraction in medians.items()}


def build_rota(*, request: IllRequest, limit: int | None = None, lookup: HoldingsLookup | None = None
               ) -> list[RotaEntry]:
    """(Re)build ``request``'s rota from who holds the item and the directory; return its entries in order.

    The partners' catalogues are asked first (``find_item``, at most ``ILLMS_SRU_TIME_LIMIT_SECONDS``,
    outside any transaction; pass ``lookup`` to reuse one). Entries that already had their turn stay as
    they are; waiting entries are replaced by the current ranking of lenders not yet tried, each with its
    holding, fee, fill rate, turnaround, load, score and reasons. Raises ``WorkflowError('invalid')`` for
    a request that is not a borrowing request.
    """
    if request.role != Role.BORROWING:
        raise WorkflowError("invalid", gettext("Only borrowing requests have a rota."))
    if lookup is None:
        lookup = find_item(request)
    return _store_rota(request=request, limit=limit, lookup=lookup)


@transaction.atomic
def _store_rota(*, request: IllRequest, limit: int | None, lookup: HoldingsLookup) -> list[RotaEntry]:
    IllRequest.objects.select_for_update().filter(pk=request.pk).first()
    RotaEntry.objects.filter(request=request, status=RotaStatus.PENDING).delete()
    kept = list(RotaEntry.objects.filter(request=request))
    tried = {entry.lender_id for entry in kept if entry.lender_id}
    tried_suppliers = {entry.supplier_id for entry in kept if entry.supplier_id}
    start = max((entry.position for entry in kept), default=0) + 1
    policy = policy_for(request.library)  # read always: the same queries with or without ``limit``
    limit = limit or policy.rota_max_lenders
    def untried(candidate: Candidate) -> bool:
        if candidate.supplier is not None:
            return candidate.supplier.pk not in tried_suppliers
        return candidate.lender.pk not in tried

    fresh = [c for c in lender_candidates(request, lookup, policy=policy) if untried(c)]
    if not any(c.lender is not None for c in fresh) and tried and lookup.holder_ids:
        # Every holder had its turn: catalogues are never complete, so the others are asked next, as unknown.
        fresh = [c for c in lender_candidates(request, None, policy=policy) if untried(c)]
    fresh = fresh[:limit]
    RotaEntry.objects.bulk_create(_entry(request, c, start + i) for i, c in enumerate(fresh))
    return rota_of(request)


def _entry(request: IllRequest, c: Candidate, position: int) -> RotaEntry:
    h = c.holding
    return RotaEntry(
        request=request, lender=c.lender, supplier=c.supplier, position=position,
        holdings_known=c.holdings_known if c.supplier is None else None,
        call_number=(h.call_number if h else "")[:100], location=(h.location if h else "")[:100],
        available=h.available if h else None, availability=(h.status if h else "")[:100],
        holdings_source=(h.source if h else "")[:32], fee=c.fee, fill_rate=c.fill_rate,
        turnaround_days=c.turnaround_days, open_requests=c.open_requests, score=c.score, reasons=c.reasons)


def rota_of(request: IllRequest) -> list[RotaEntry]:
    return list(RotaEntry.objects.filter(request=request).select_related("lender", "supplier").order_by("position"))


def next_entry(request: IllRequest) -> RotaEntry | None:
    return (RotaEntry.objects.filter(request=request, status=RotaStatus.PENDING)
            .select_related("lender", "supplier").order_by("position").first())


def send_to_next_lender(*, request: IllRequest, actor: Actor, source: str = EventSource.WEB) -> IllRequest:
    """Send ``request`` (in sourcing) to the next waiting lender of its rota, or end the rota.

    Sets the request's partner to that lender and performs ``send_to_lender``, which writes
    the ISO 18626 request to the outbox in the same transaction. With no waiting entry left
    it performs ``end_rota``: the request lands in the end-of-rota queue. Raises
    ``WorkflowError`` as ``perform`` does (``conflict`` if the request left sourcing).
    """
    with transaction.atomic():
        locked = IllRequest.objects.select_for_update().filter(pk=request.pk, status=S.SOURCING).first()
        if locked is None:
            current = IllRequest.objects.get(pk=request.pk)
            raise WorkflowError("conflict", gettext("Request %(number)s is no longer being sourced.")
                                % {"number": current.number},
                                status=current.status)
        entry = next_entry(locked)
        while entry is not None and entry.supplier_id:
            problem = suppliers.order_problem(locked, suppliers.supplier_for_entry(entry), None)
            if problem is None:
                return perform(request=request, action="order_from_supplier", actor=actor, source=source,
                               note=f"Ordered from {entry.supplier.name}", expected_status=S.SOURCING,
                               data={**suppliers.order_data(locked, entry.supplier_id),
                                     "rota_position": entry.position})
            # A supplier switched off or repriced since the rota was built is passed over, saying why.
            RotaEntry.objects.filter(pk=entry.pk).update(status=RotaStatus.SKIPPED, answered_at=timezone.now(),
                                                         reason=problem[:200])
            entry = next_entry(locked)
        if entry is None:
            return perform(request=request, action="end_rota", actor=actor, source=source,
                           note="No lender left in the rota.", expected_status=S.SOURCING)
        IllRequest.objects.filter(pk=locked.pk).update(partner=entry.lender)
        now = timezone.now()
        RotaEntry.objects.filter(pk=entry.pk).update(status=RotaStatus.SENT, sent_at=now)
        result = perform(request=request, action="send_to_lender", actor=actor, source=source,
                         data={"lender": entry.lender.symbol, "rota_position": entry.position},
                         expected_status=S.SOURCING)
    request.partner = entry.lender
    request.partner_id = entry.lender.pk
    return result


def auto_send_first_lender(request: IllRequest) -> IllRequest | None:
    """Send ``request`` (in sourcing) to the first waiting lender of its rota when its library's policy sends its
    format automatically (``auto_send_formats``). Does nothing otherwise, when no lender waits (staff decide),
    or when the request left sourcing meanwhile; the send is the system's, recorded as auto-routing."""
    if not policy_for(request.library).auto_send_formats.get(request.format):
        return None
    if next_entry(request) is None:
        return None
    try:
        return send_to_next_lender(request=request, actor=Actor.system("auto-routing"), source=EventSource.JOB)
    except WorkflowError as exc:
        if exc.code in {"conflict", "not_allowed"}:
            return None
        raise


def close_current_entry(request: IllRequest, status: str, reason: str = "", *, now: dt.datetime | None = None) -> int:
    """Close the rota entry of ``request``'s current lender (used inside the answering transition)."""
    if not request.partner_id:
        return 0
    return (RotaEntry.objects.filter(request=request, lender_id=request.partner_id, status=RotaStatus.SENT)
            .update(status=status, answered_at=now or timezone.now(), reason=reason[:200]))


def advance_rota(*, request_id: int, after_event_id: int | None = None) -> IllRequest | None:
    """Try the next lender of a request that came back to sourcing from its lender.

    Idempotent: does nothing unless the request is still in sourcing, has a rota, and (when
    ``after_event_id`` is given) nothing happened to it since that event. A request sourced
    by hand (no rota) stays for staff.
    """
    request = IllRequest.objects.filter(pk=request_id, role=Role.BORROWING, status=S.SOURCING).first()
    if request is None or not RotaEntry.objects.filter(request=request).exists():
        return None
    if RotaEntry.objects.filter(request=request, status=RotaStatus.SENT).exists():
        return None  # a lender still holds it
    if after_event_id is not None:
        latest = Event.objects.filter(request=request).aggregate(latest=Max("pk"))["latest"]
        if latest != after_event_id:
            return None
    try:
        return send_to_next_lender(request=request, actor=Actor.system("rota"), source=EventSource.JOB)
    except WorkflowError as exc:
        if exc.code in {"conflict", "not_allowed"}:
            return None
        raise


def _silent_since(now: dt.datetime, days: int | None) -> Q:
    """Sent before the cutoff: ``days`` for everyone, or else each member library's own policy.

    Libraries are grouped by their number of days, so the condition has one branch per distinct
    value (a handful), not one per library.
    """
    if days is not None:
        return Q(rota_entries__sent_at__lt=now - dt.timedelta(days=days))
    by_days: dict[int, list[int]] = {}
    for row in LibraryPolicy.objects.values("library_id", "rota_auto_advance_days"):
        by_days.setdefault(row["rota_auto_advance_days"], []).append(row["library_id"])
    own = [pk for pks in by_days.values() for pk in pks]
    condition = Q(rota_entries__sent_at__lt=now - dt.timedelta(days=auto_advance_days())) & ~Q(library_id__in=own)
    for value, pks in by_days.items():
        condition |= Q(library_id__in=pks, rota_entries__sent_at__lt=now - dt.timedelta(days=value))
    return condition


def _silent(now: dt.datetime | None, days: int | None) -> list[tuple[int, int]]:
    now = now or timezone.now()
    return list(
        IllRequest.objects.filter(
            _silent_since(now, days), role=Role.BORROWING, status=S.SENT, rota_entries__status=RotaStatus.SENT,
            rota_entries__lender=F("partner"),
        ).values_list("pk", "library_id").distinct().order_by("pk")
    )


def silent_lenders(*, now: dt.datetime | None = None, days: int | None = None) -> list[int]:
    """Ids of requests sent to a lender that has not answered at all, for more than ``days`` or, without
    ``days``, for longer than the requesting library's policy allows."""
    return [pk for pk, _ in _silent(now, days)]


def advance_silent_lenders(*, now: dt.datetime | None = None) -> int:
    """Move every request whose lender stayed silent past its library's limit on to the next lender.

    Performs ``lender_unfilled`` as the system (the entry is recorded as no answer); the
    transition's hook then tries the next lender. Each request is claimed with a
    compare-and-set on ``sent``, so two runs act once.
    """
    silent = _silent(now, None)
    policies = policies_by_library_id(library_id for _, library_id in silent)
    actor = Actor.system("rota auto-advance")
    return sum(
        1 for pk, library_id in silent
        if claim(request_id=pk, from_status=S.SENT, action="lender_unfilled", actor=actor, source=EventSource.JOB,
                 note=f"No answer in {policies[library_id].rota_auto_advance_days} days",
                 data={"rota_outcome": RotaStatus.NO_ANSWER})
    )


# Staff edits ---------------------------------------------------------------------------------

def _pending(request: IllRequest, entry_id: int) -> RotaEntry:
    entry = RotaEntry.objects.filter(request=request, pk=entry_id).first()
    if entry is None:
        raise WorkflowError("invalid", gettext("No such rota entry."))
    if entry.status in ROTA_CLOSED or entry.status == RotaStatus.SENT:
        raise WorkflowError("invalid", gettext("That lender already had its turn; it cannot be changed."))
    return entry


@transaction.atomic
def reorder_rota(*, request: IllRequest, entry_ids: list[int]) -> list[RotaEntry]:
    """Put the waiting entries in the order of ``entry_ids`` (after the entries already tried)."""
    IllRequest.objects.select_for_update().filter(pk=request.pk).first()
    pending = {e.pk: e for e in RotaEntry.objects.filter(request=request, status=RotaStatus.PENDING)}
    if set(entry_ids) != set(pending):
        raise WorkflowError("conflict", gettext("The rota changed meanwhile; reload it and try again."))
    start = (RotaEntry.objects.filter(request=request).exclude(status=RotaStatus.PENDING)
             .aggregate(m=Max("position"))["m"] or 0) + 1
    # Move them out of the way first: positions are unique per request.
    offset = 10000
    RotaEntry.objects.filter(pk__in=entry_ids).update(position=F("position") + offset)
    moved = [RotaEntry(pk=pk, position=start + index) for index, pk in enumerate(entry_ids)]
    RotaEntry.objects.bulk_update(moved, ["position"])
    return rota_of(request)


def move_entry(*, request: IllRequest, entry_id: int, up: bool) -> list[RotaEntry]:
    """Swap a waiting entry with its waiting neighbour above (``up``) or below."""
    _pending(request, entry_id)
    order = list(RotaEntry.objects.filter(request=request, status=RotaStatus.PENDING)
                 .order_by("position").values_list("pk", flat=True))
    index = order.index(entry_id)
    other = index - 1 if up else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
    return reorder_rota(request=request, entry_ids=order)


@transaction.atomic
def remove_entry(*, request: IllRequest, entry_id: int) -> None:
    entry = _pending(request, entry_id)
    entry.delete()


@transaction.atomic
def add_lender(*, request: IllRequest, lender: Library) -> RotaEntry:
    """Append ``lender`` to the rota (staff's choice: the directory filters do not apply)."""
    if lender.pk == request.library_id:
        raise WorkflowError("invalid", gettext("A library cannot borrow from itself."))
    if not lender.active:
        raise WorkflowError("invalid", gettext("%(symbol)s is not an active library.") % {"symbol": lender.symbol})
    IllRequest.objects.select_for_update().filter(pk=request.pk).first()
    if RotaEntry.objects.filter(request=request, lender=lender, status=RotaStatus.PENDING).exists():
        raise WorkflowError("invalid", gettext("%(symbol)s is already waiting in the rota.")
                            % {"symbol": lender.symbol})
    position = (RotaEntry.objects.filter(request=request).aggregate(m=Max("position"))["m"] or 0) + 1
    return RotaEntry.objects.create(request=request, lender=lender, position=position)
