"""Lending jobs. Thin: they find the work, then call a service; each is safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from requests_app.models import EventSource, IllRequest, Role
from requests_app.services import claim
from requests_app.workflow import Actor

from .services.availability import check_missed_requests, check_recent_requests, on_request_created
from .services.edelivery import expire_deliveries
from .services.holdings import run_import
from .states import LendingStatus

#: A new request still without a shelf check this long after it arrived is checked by the sweep.
UNCHECKED_GRACE = dt.timedelta(minutes=5)
#: The most requests one sweep checks; the next sweep takes the rest.
SWEEP_BATCH = 500


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mark_overdue_loans(today: str | None = None) -> int:
    """Move our items out on loan past their due date to overdue (once per loan)."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    ids = list(IllRequest.objects.filter(
        role=Role.LENDING, status=LendingStatus.SHIPPED, due_date__lt=day,
    ).values_list("pk", flat=True).order_by("pk"))
    actor = Actor.system("overdue job")
    return sum(
        1 for pk in ids
        if claim(request_id=pk, from_status=LendingStatus.SHIPPED, action="mark_overdue", actor=actor,
                 source=EventSource.JOB, note=f"Due date passed (as of {day}).")
    )


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_holdings(import_id: int) -> int:
    """Import one uploaded holdings file (a second delivery of the task finds it started and does nothing)."""
    job = run_import(import_id)
    return job.imported if job else 0


@shared_task(acks_late=True, reject_on_worker_lost=True)
def expire_electronic_deliveries() -> int:
    """Daily: delete the files behind expired download links (idempotent)."""
    return expire_deliveries()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_new_request_availability(request_id: int) -> None:
    """The availability check of a new lending request, queued when the request is committed.

    Idempotent: the check overwrites its own result and auto-unfills only a request still new, so a
    task delivered twice (a worker died before acknowledging it) changes nothing the second time.
    """
    on_request_created(request_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_new_requests_availability(since: str | None = None) -> int:
    """The availability check of the new lending requests created since ``since`` (ISO 8601) and not
    checked yet: those a process committed together (``availability.queue_check``). Idempotent.
    """
    return check_recent_requests(since=dt.datetime.fromisoformat(since) if since else None)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_missed_availability(now: str | None = None) -> int:
    """Every ten minutes: new requests still not checked five minutes after they arrived.

    Each new request's check is queued on the broker when it is committed. A queue that lost the task
    (a broker restarted without persistence, a publish that failed silently) would leave the request
    "Not checked" for good; this sweep is the net, so no request waits longer than one period. Safe to
    run twice and beside the queued tasks: the check overwrites its own result.
    """
    cutoff = (dt.datetime.fromisoformat(now) if now else timezone.now()) - UNCHECKED_GRACE
    return check_missed_requests(before=cutoff, limit=SWEEP_BATCH)
