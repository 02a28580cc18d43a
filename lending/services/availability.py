"""The availability check run on every new lending request: do we hold it, may we lend it to them?"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from requests_app.catalogue import OwnedItem
from requests_app.models import EventSource, IllRequest, Role, ServiceType
from requests_app.partner_standing import standing_warnings
from requests_app.policies import policy_for
from requests_app.services import claim
from requests_app.workflow import Actor

from ..models import Holding, LendingDetail, MatchKind, PartnerLendingRule, author_key, title_key
from ..states import ON_LOAN, LendingStatus

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


def partner_rule(request: IllRequest) -> PartnerLendingRule | None:
    """Our lending rule for the partner that asks, if we made one (``/policies/``)."""
    if request.partner_id is None:
        return None
    # One row at most (unique per library and partner): without the model's ordering by the partner's
    # symbol, which joined the library table for nothing.
    return (PartnerLendingRule.objects.filter(library_id=request.library_id, partner_id=request.partner_id)
            .order_by().first())


def wants_copy(request: IllRequest) -> bool:
    return request.service_type == ServiceType.COPY or (
        request.is_copy_format and request.service_type != ServiceType.LOAN)


def partner_rule_warnings(request: IllRequest, rule: PartnerLendingRule | None) -> list[str]:
    """What our rule for this partner says against lending it this request (sentences for staff)."""
    if rule is None:
        return []
    partner, copy = request.partner, wants_copy(request)
    warnings: list[str] = []
    if copy and not rule.lends_copies:
        warnings.append(gettext("Our rule for %(partner)s: we do not supply them copies.")
                        % {"partner": partner.symbol})
    if not copy and not rule.lends_loans:
        warnings.append(gettext("Our rule for %(partner)s: we do not lend them returnables.")
                        % {"partner": partner.symbol})
    if rule.block_unpaid_after_days is not None:
        warnings.extend(standing_warnings(library=request.library, partner=partner,
                                          overdue_days=rule.block_unpaid_after_days))
    if warnings and rule.note:
        warnings.append(gettext("Note on %(partner)s: %(note)s") % {"partner": partner.symbol, "note": rule.note})
    return warnings


def policy_warnings(request: IllRequest, holding: Holding | None) -> list[str]:
    """What staff should know before answering: partner and lending-rule problems, as sentences.

    Includes our rule for this partner (loans, copies, loans out, unpaid invoices through the
    check billing registers). Not checked yet: agreements (no agreement table exists).
    """
    warnings: list[str] = []
    library, partner = request.library, request.partner
    copy = wants_copy(request)
    rule = partner_rule(request)
    if partner is not None and not partner.active:
        warnings.append(gettext("%(partner)s is an inactive partner.") % {"partner": partner.symbol})
    if copy and not library.lends_copies:
        warnings.append(gettext("Our policy: we do not supply copies."))
    if not copy and not library.lends_loans:
        warnings.append(gettext("Our policy: we do not lend returnables."))
    warnings.extend(partner_rule_warnings(request, rule))
    if holding is not None:
        if not holding.lendable:
            warnings.append(gettext("The holding is marked not lendable."))
        if copy and not holding.copyable:
            warnings.append(gettext("The holding may not be copied."))
        if not copy and not holding.circulates:
            warnings.append(gettext("The holding does not circulate (%(format)s, %(location)s).") % {
                "format": holding.get_format_display(), "location": holding.location or gettext("no location")})
    limit = library.max_loans_outstanding
    if rule is not None and rule.max_loans_outstanding is not None:
        limit = rule.max_loans_outstanding
    if limit is not None and partner is not None and not copy:
        out = IllRequest.objects.filter(library=library, partner=partner, role=Role.LENDING,
                                        status__in=ON_LOAN).count()
        if out >= limit:
            warnings.append(gettext("%(partner)s already has %(count)s of our items on loan (our limit is %(limit)s).")
                            % {"partner": partner.symbol, "count": out, "limit": limit})
    return warnings


def check_availability(*, request: IllRequest) -> LendingDetail:
    """Match ``request`` against our holdings, record the result and policy warnings.

    With the library's policy “answer not held automatically” on, a new request that matches nothing is answered
    unfilled (reason ``NotHeld``) by the system, through the workflow service. Safe to run
    again: the result is overwritten, and the unfill happens only while the request is new.
    """
    request = IllRequest.objects.select_related("library", "partner").get(pk=request.pk)
    holding, kind = find_holding(request)
    warnings = policy_warnings(request, holding)
    detail = LendingDetail(request=request, holding=holding, match_kind=kind, warnings=warnings,
                           checked_at=timezone.now())
    # One INSERT … ON CONFLICT DO UPDATE of the check's own columns (shipping details written
    # meanwhile stay), instead of update_or_create's locking SELECT, INSERT and two savepoints.
    LendingDetail.objects.bulk_create([detail], update_conflicts=True, unique_fields=["request"],
                                      update_fields=["holding", "match_kind", "warnings", "checked_at"])
    if holding is None and policy_for(request.library).auto_unfill_not_held:
        claim(request_id=request.pk, from_status=LendingStatus.NEW, action="unfill",
              actor=Actor.system(SYSTEM_ACTOR_NAME), source=EventSource.SYSTEM,
              note="We do not hold this item.", data={"reason_unfilled": "NotHeld"})
    return detail


def on_request_created(request_id: int) -> None:
    """The queued check of a new request (``lending.tasks``): a failing check is logged, never raised.

    A request deleted before the task ran (a test's rollback, a purge) is skipped.
    """
    try:
        check_availability(request=IllRequest(pk=request_id))
    except IllRequest.DoesNotExist:
        logger.info("Lending request %s is gone; no availability check.", request_id)
    except Exception:
        logger.exception("Availability check failed for lending request %s", request_id)


#: A check shared by new requests starts this long after the request that queued it (a countdown) …
SHARED_CHECK_DELAY = 2.0
#: … so the requests this process commits until this long before it starts are sure to be read by it
#: (the margin covers the worker's clock running a little ahead of ours).
SHARED_CHECK_MARGIN = 1.0
#: How far back a shared check looks for new requests without a result (older ones: the sweep's).
RECENT = dt.timedelta(minutes=15)
#: The most requests one database read of a shared check takes; it reads again until none are left.
BATCH = 200

_shared = threading.Lock()
#: Until when (``time.monotonic()``) the shared check this process last queued is sure to read a commit.
_covered_until = 0.0


def shares_checks() -> bool:
    """Whether new requests share queued checks: when tasks go to a broker (not run at once, eagerly)."""
    from ..tasks import check_new_requests_availability  # the tasks import this module; it only queues them

    return not check_new_requests_availability.app.conf.task_always_eager


def queue_check(request: IllRequest) -> None:
    """Queue the availability check of a new lending request once its transaction has committed.

    The check (holdings, our rules for the partner, auto-unfill) is not part of the answer a partner
    gets, so it runs in a Celery worker, not in the request that received the partner's message; the
    staff desk shows "Not checked" until it has run. If the queue cannot be reached the check runs
    here, so it is never lost.

    Requests a process commits close together share one check (:func:`check_recent_requests`): the
    first queues it to start ``SHARED_CHECK_DELAY`` seconds later, and those committed in the meantime
    (up to the margin) queue nothing, because it cannot have started yet and will read them.
    Publishing a Celery task is a large share of what a partner's ISO 18626 request costs (figures in
    docs/performance.md); under load a process now publishes one every second. Each process keeps its
    own window, so nothing is shared between processes but the broker; two processes' checks may
    overlap, and a check is safe to run twice.
    """
    from ..tasks import check_new_request_availability, check_new_requests_availability  # only queued here

    def send_one() -> None:
        try:
            # No publish retries: a broker that does not take the task at once is answered by checking
            # here, below. Kombu's retry policy wrapped each publish in a second layer of calls, paid on
            # every new request.
            check_new_request_availability.apply_async((request.pk,), retry=False)
        except Exception:  # the broker is down: check now rather than never
            logger.warning("Could not queue the availability check of lending request %s; checking now.",
                           request.pk, exc_info=True)
            on_request_created(request.pk)

    def send_shared() -> None:
        global _covered_until
        now = time.monotonic()
        with _shared:
            if now < _covered_until:  # committed before the queued check can start: it reads this one
                return
            _covered_until = now + SHARED_CHECK_DELAY - SHARED_CHECK_MARGIN
        try:
            # The task reads from a time fixed now, not from when a worker gets to it: a queue that is
            # long behind does not push this request out of the task's window.
            since = (timezone.now() - RECENT).isoformat()
            check_new_requests_availability.apply_async(kwargs={"since": since}, countdown=SHARED_CHECK_DELAY,
                                                        retry=False)
        except Exception:  # the broker is down: check now, this request and those that relied on it
            with _shared:
                _covered_until = 0.0
            logger.warning("Could not queue the availability check of new lending requests; checking now.",
                           exc_info=True)
            check_recent_requests()

    transaction.on_commit(send_shared if shares_checks() else send_one)


def unchecked_new_requests() -> QuerySet[IllRequest]:
    """New lending requests still without a shelf-check result, in the order they arrived (by id)."""
    return IllRequest.objects.filter(role=Role.LENDING, status=LendingStatus.NEW,
                                     lending_detail__isnull=True).order_by("pk")


def check_missed_requests(*, before: dt.datetime, limit: int) -> int:
    """Check up to ``limit`` new lending requests that arrived before ``before`` and still have no result.

    The ten-minute sweep's work (``lending.tasks.check_missed_availability``): the net under a queued
    check a broker lost. Returns how many were checked; the next run takes the rest.
    """
    ids = list(unchecked_new_requests().filter(created_at__lt=before).values_list("pk", flat=True)[:limit])
    for pk in ids:
        on_request_created(pk)
    return len(ids)


def check_recent_requests(*, since: dt.datetime | None = None) -> int:
    """Check every new lending request created since ``since`` (default: the last ``RECENT``) still
    without a result; how many were checked.

    The task :func:`queue_check` queues for the requests committed together. Safe beside another run
    and twice (a worker died before acknowledging it): a check overwrites its own result, and a request
    checked meanwhile by another run is not read again.
    """
    since = since or timezone.now() - RECENT
    checked, after = 0, 0
    while True:
        ids = list(unchecked_new_requests().filter(created_at__gte=since, pk__gt=after)
                   .values_list("pk", flat=True)[:BATCH])
        for pk in ids:
            on_request_created(pk)
        checked += len(ids)
        if len(ids) < BATCH:
            return checked
        after = ids[-1]


def owned_items(*, library, citation) -> list:
    """The finder lending registers with ``requests_app.catalogue``: our holding for a citation, if any."""
    fields = ("isbn", "issn", "oclc_number", "title", "author", "container_title")
    probe = IllRequest(library=library, **{f: citation.get(f) or "" for f in fields})
    holding, _kind = find_holding(probe)
    if holding is None:
        return []
    return [OwnedItem(title=holding.title, call_number=holding.call_number, location=holding.location,
                      circulates=holding.circulates)]
