"""Read queries for the lending pages and jobs (each list in a constant number of queries)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from requests_app import identifiers, search
from requests_app import selectors as core
from requests_app.models import AddressPurpose, IllRequest, Library, RequesterAddress, RequesterDetails, Role

from .models import (
    DownloadLog,
    ElectronicDelivery,
    Holding,
    HoldingsImport,
    LendingDetail,
    MatchKind,
    PartnerLendingRule,
)


def _identifier_search(text: str) -> Q:
    """Exact matches on whichever identifiers ``text`` is a valid form of (ISBN-10 finds the ISBN-13)."""
    condition = Q(pk__in=[])
    for field in ("isbn", "issn", "oclc_number"):
        try:
            condition |= Q(**{field: identifiers.NORMALIZERS[field](text)})
        except ValidationError:
            continue
    return condition


def queue_counts(*, library: Library) -> list[dict]:
    """Every lending state with the number of ``library``'s requests in it (one query)."""
    return core.queue_counts(library=library, role=Role.LENDING)


def lending_queue(*, library: Library, status: str | None = None, q: str = "", partner: str = "",
                  match: str = "", renewals: bool = False) -> QuerySet[IllRequest]:
    """``library``'s lending requests, newest activity first, with partner and availability result joined.

    ``q`` searches the request number (``L123``), title, author, identifiers and the
    partner's request id; ``partner`` is a symbol; ``match`` a ``MatchKind`` (``held``
    means any match); ``renewals`` keeps those with a renewal request waiting.
    """
    qs = (IllRequest.objects.filter(library=library, role=Role.LENDING)
          .select_related("partner", "lending_detail", "lending_detail__holding")
          .order_by("-updated_at", "-pk"))
    if status:
        qs = qs.filter(status=status)
    if partner:
        qs = qs.filter(partner__symbol__iexact=partner.strip())
    if match == "held":
        qs = qs.filter(lending_detail__holding__isnull=False)
    elif match == MatchKind.NONE:
        qs = qs.filter(Q(lending_detail__isnull=True) | Q(lending_detail__match_kind=MatchKind.NONE))
    elif match in MatchKind.values:
        qs = qs.filter(lending_detail__match_kind=match)
    if renewals:
        qs = qs.filter(renewal_requested_at__isnull=False)
    text = (q or "").strip()
    if text:
        qs = search.requests_matching(qs, text)
    return qs


def request_detail(*, library: Library, pk: int) -> IllRequest:
    """One lending request with history, messages, availability and e-delivery links; ``DoesNotExist`` otherwise."""
    request = core.request_detail(library=library, pk=pk)
    if request.role != Role.LENDING:
        raise IllRequest.DoesNotExist
    return request


def lending_extras(*, request: IllRequest) -> dict:
    """The lending side tables of ``request``: its availability result, e-delivery links and where to ship."""
    detail = LendingDetail.objects.select_related("holding").filter(request=request).first()
    deliveries = list(ElectronicDelivery.objects.filter(request=request).prefetch_related(
        Prefetch("downloads", queryset=DownloadLog.objects.order_by("at"))))
    return {"detail": detail, "deliveries": deliveries, "requester": requester(request),
            "return_shipped": return_shipped(request)}


def return_shipped(request: IllRequest):
    """The borrower's latest ShippedReturn (its note names the carrier and tracking number), or ``None``.

    Read from the history the page already prefetched; one query when it did not.
    """
    events = [e for e in request.events.all() if e.action == "borrower_return_shipped"]
    return max(events, key=lambda e: (e.created_at, e.pk)) if events else None


# Where a loan goes: the partner's request, else the directory --------------------------------

@dataclass(frozen=True)
class ShipTo:
    """The address a loan is shipped to, and where it comes from."""

    name: str
    lines: list[str]
    #: The partner's request gave it (its first postal ship-to address); else the directory entry's.
    from_request: bool

    @property
    def known(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True)
class Requester:
    """What the lending desk shows of the requesting library: where to ship, its contact, who to bill."""

    ship_to: ShipTo
    details: RequesterDetails | None
    ship_to_addresses: list[RequesterAddress]
    contact_addresses: list[RequesterAddress]
    billing_addresses: list[RequesterAddress]


def _details(request: IllRequest) -> RequesterDetails | None:
    try:
        return request.requester_details
    except RequesterDetails.DoesNotExist:
        return None


def _addresses(request: IllRequest, purpose: str) -> list[RequesterAddress]:
    # Read from the prefetched rows where the caller prefetched them (the label and slip batches).
    return sorted((a for a in request.requester_addresses.all() if a.purpose == purpose),
                  key=lambda a: (a.position, a.pk or 0))


def ship_to(request: IllRequest) -> ShipTo:
    """The first postal ship-to address of the partner's request, else the partner's directory address."""
    details = _details(request)
    partner = request.partner
    name = (details.name if details is not None else "") or (partner.name if partner is not None else "")
    for address in _addresses(request, AddressPurpose.SHIP_TO):
        if address.is_physical:
            return ShipTo(name=name, lines=address.lines, from_request=True)
    if partner is None:
        return ShipTo(name=name, lines=[], from_request=False)
    lines = partner.postal_address.splitlines()[1:] if partner.has_address else []
    return ShipTo(name=partner.name, lines=lines, from_request=False)


def requester(request: IllRequest) -> Requester:
    """Everything the partner's request said of itself, read in two queries at most (none when prefetched)."""
    prefetch_related_objects([request], "requester_addresses")
    return Requester(ship_to=ship_to(request), details=_details(request),
                     ship_to_addresses=_addresses(request, AddressPurpose.SHIP_TO),
                     contact_addresses=_addresses(request, AddressPurpose.CONTACT),
                     billing_addresses=_addresses(request, AddressPurpose.BILLING))


def loan_periods(requests: list[IllRequest]) -> dict[int, int]:
    """Our loan period in days for each request, by id: its partner's lending rule's, else its library's.

    One query for any number of requests (the pull slips of a batch); ``workflow.loan_period_days`` reads
    one request's through it.
    """
    pairs = {(r.library_id, r.partner_id) for r in requests if r.partner_id}
    rules = {}
    if pairs:
        condition = Q()
        for library_id, partner_id in pairs:
            condition |= Q(library_id=library_id, partner_id=partner_id)
        rules = {(library_id, partner_id): days for library_id, partner_id, days in PartnerLendingRule.objects.filter(
            condition, loan_period_days__isnull=False).values_list("library_id", "partner_id", "loan_period_days")}
    return {r.pk: rules.get((r.library_id, r.partner_id)) or r.library.loan_period_days for r in requests}


def requests_for_printing(*, library: Library, ids: list[int]) -> QuerySet[IllRequest]:
    """``library``'s lending requests ``ids`` for pull slips and labels, with what the partner said of itself."""
    return (IllRequest.objects.filter(library=library, role=Role.LENDING, pk__in=ids)
            .select_related("library", "partner", "lending_detail", "lending_detail__holding", "requester_details")
            .prefetch_related("requester_addresses").order_by("pk"))


def other_copies(holding: Holding, *, limit: int = 19) -> list[Holding]:
    """The library's other copies (with a barcode) of ``holding``'s bibliographic record: the same OCLC number,
    else ISBN, else ISSN, else title and author (one query)."""
    same = Holding.objects.filter(library_id=holding.library_id).exclude(pk=holding.pk).exclude(barcode="")
    if holding.oclc_number:
        same = same.filter(oclc_number=holding.oclc_number)
    elif holding.isbn:
        same = same.filter(isbn=holding.isbn)
    elif holding.issn:
        same = same.filter(issn=holding.issn)
    else:
        same = same.filter(title_key=holding.title_key, author_key=holding.author_key)
    return list(same.order_by("pk")[:limit])


def holdings(*, library: Library, q: str = "") -> QuerySet[Holding]:
    qs = Holding.objects.filter(library=library).order_by("title_key", "pk")
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(author__icontains=text) | _identifier_search(text)
                       | Q(barcode=text) | Q(call_number__istartswith=text))
    return qs


def holdings_imports(*, library: Library) -> QuerySet[HoldingsImport]:
    return HoldingsImport.objects.filter(library=library).select_related("uploaded_by").order_by("-created_at")
