"""The availability check run on every new lending request: do we hold it, may we lend it to them?"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app.models import EventSource, IllRequest, Role, ServiceType
from requests_app.services import claim
from requests_app.workflow import Actor

from ..models import Holding, LendingDetail, MatchKind, author_key, title_key
from ..workflow import ON_LOAN, LendingStatus

logger = logging.getLogger(__name__)

SYSTEM_ACTOR_NAME = "availability check"


def find_holding(request: IllRequest) -> tuple[Holding | None, str]:
    """The best holding of ``request.library`` for the request, and how it matched.

    Identifiers first (ISBN, ISSN, OCLC number), then the normalised title with the author's
    surname. A lendable holding is preferred over one that is not.
    """
    holdings = Holding.objects.filter(library_id=request.library_id)
    for field, kind in (("isbn", MatchKind.ISBN), ("issn", MatchKind.ISSN), ("oclc_number", MatchKind.OCLC)):
        value = getattr(request, field)
        if value:
            found = holdings.filter(**{field: value}).order_by("-lendable", "-circulates", "pk").first()
            if found:
                return found, kind
    titles = {title_key(request.title)}
    if request.container_title:
        titles.add(title_key(request.container_title))
    titles.discard("")
    if titles:
        candidates = holdings.filter(title_key__in=titles)
        surname = author_key(request.author)
        if surname:
            candidates = candidates.filter(author_key__in=[surname, ""])
        found = candidates.order_by("-lendable", "-circulates", "pk").first()
        if found:
            return found, MatchKind.TITLE
    return None, MatchKind.NONE


def policy_warnings(request: IllRequest, holding: Holding | None) -> list[str]:
    """What staff should know before answering: partner and lending-rule problems, as sentences.

    Not checked yet: agreements (no agreement table exists) and unpaid invoices (billing
    has no invoices yet).
    """
    warnings: list[str] = []
    library, partner = request.library, request.partner
    wants_copy = request.service_type == ServiceType.COPY or (
        request.is_copy_format and request.service_type != ServiceType.LOAN)
    if partner is not None and not partner.active:
        warnings.append(f"{partner.symbol} is an inactive partner.")
    if wants_copy and not library.lends_copies:
        warnings.append("Our policy: we do not supply copies.")
    if not wants_copy and not library.lends_loans:
        warnings.append("Our policy: we do not lend returnables.")
    if holding is not None:
        if not holding.lendable:
            warnings.append("The holding is marked not lendable.")
        if wants_copy and not holding.copyable:
            warnings.append("The holding may not be copied.")
        if not wants_copy and not holding.circulates:
            warnings.append(f"The holding does not circulate ({holding.get_format_display()}, "
                            f"{holding.location or 'no location'}).")
    if library.max_loans_outstanding is not None and partner is not None and not wants_copy:
        out = IllRequest.objects.filter(library=library, partner=partner, role=Role.LENDING,
                                        status__in=ON_LOAN).count()
        if out >= library.max_loans_outstanding:
            warnings.append(f"{partner.symbol} already has {out} of our items on loan "
                            f"(our limit is {library.max_loans_outstanding}).")
    return warnings


def check_availability(*, request: IllRequest) -> LendingDetail:
    """Match ``request`` against our holdings, record the result and policy warnings.

    With ``ILLMS_AUTO_UNFILL_NOT_HELD`` on, a new request that matches nothing is answered
    unfilled (reason ``NotHeld``) by the system, through the workflow service. Safe to run
    again: the result is overwritten, and the unfill happens only while the request is new.
    """
    request = IllRequest.objects.select_related("library", "partner").get(pk=request.pk)
    holding, kind = find_holding(request)
    warnings = policy_warnings(request, holding)
    with transaction.atomic():
        detail, _ = LendingDetail.objects.update_or_create(
            request=request,
            defaults={"holding": holding, "match_kind": kind, "warnings": warnings, "checked_at": timezone.now()},
        )
    if holding is None and getattr(settings, "ILLMS_AUTO_UNFILL_NOT_HELD", False):
        claim(request_id=request.pk, from_status=LendingStatus.NEW, action="unfill",
              actor=Actor.system(SYSTEM_ACTOR_NAME), source=EventSource.SYSTEM,
              note="We do not hold this item.", data={"reason_unfilled": "NotHeld"})
    return detail


def on_request_created(request: IllRequest) -> None:
    """Listener entry point: never let a failing check stop a partner's request from arriving."""
    try:
        check_availability(request=request)
    except Exception:
        logger.exception("Availability check failed for lending request %s", request.pk)


def owned_items(*, library, citation) -> list:
    """The finder lending registers with ``requests_app.catalogue``: our holding for a citation, if any."""
    from requests_app.catalogue import OwnedItem

    fields = ("isbn", "issn", "oclc_number", "title", "author", "container_title")
    probe = IllRequest(library=library, **{f: citation.get(f) or "" for f in fields})
    holding, _kind = find_holding(probe)
    if holding is None:
        return []
    return [OwnedItem(title=holding.title, call_number=holding.call_number, location=holding.location,
                      circulates=holding.circulates)]
