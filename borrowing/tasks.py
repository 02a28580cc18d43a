"""Borrowing jobs. Thin: they find the work, then call the workflow service per request. Each is safe
to run twice, so each is acknowledged when done and given back when its worker dies."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from requests_app.models import EventSource, IllRequest, Role
from requests_app.services import claim
from requests_app.workflow import Actor

from .services import notifications, rota
from .states import BorrowingStatus


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mark_overdue_loans(today: str | None = None) -> int:
    """Move loans whose patron due date has passed from checked out to overdue.

    Safe to run twice or on two workers at once: each request is claimed with a
    compare-and-set on its status, so it is marked (and logged) once.
    """
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    ids = list(IllRequest.objects.filter(
        role=Role.BORROWING, status=BorrowingStatus.CHECKED_OUT, patron_due_date__lt=day,
    ).values_list("pk", flat=True).order_by("pk"))
    actor = Actor.system("overdue job")
    return sum(
        1 for pk in ids
        if claim(request_id=pk, from_status=BorrowingStatus.CHECKED_OUT, action="mark_overdue", actor=actor,
                 source=EventSource.JOB, note=f"Patron due date passed (as of {day}).")
    )


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def advance_rota(request_id: int, after_event_id: int | None = None) -> bool:
    """Try the next lender after an unfilled answer (queued after commit by the workflow)."""
    return rota.advance_rota(request_id=request_id, after_event_id=after_event_id) is not None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def advance_silent_lenders(now: str | None = None) -> int:
    """Hourly: a lender silent past its library's auto-advance days (a policy) counts as unfilled."""
    return rota.advance_silent_lenders(now=dt.datetime.fromisoformat(now) if now else None)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_reminders(today: str | None = None) -> dict:
    """Daily: due-date reminders and overdue notices, each once per loan, stage and due date; a run
    after a worker died mid-job writes the ones still missing."""
    return notifications.send_reminders(today=dt.date.fromisoformat(today) if today else None)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def place_supplier_api_order(order_id: int) -> bool:
    """Place one order with a document supplier's API (queued after the order commits; idempotent)."""
    from .services import suppliers

    return suppliers.place_api_order(order_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def follow_supplier_api_orders(now: str | None = None) -> dict:
    """Every few minutes: orders not yet placed (their API was down) are placed again, placed ones are asked how
    they stand; a delivered copy goes to the patron, a failed order on in the rota. Each order is claimed."""
    from .services import suppliers

    moment = dt.datetime.fromisoformat(now) if now else None
    done = {"placed": 0, "delivered": 0, "failed": 0}
    for order_id, placed in suppliers.due_api_orders(now=moment):
        if not placed:
            done["placed"] += bool(suppliers.place_api_order(order_id, now=moment))
            continue
        outcome = suppliers.poll_api_order(order_id, now=moment)
        if outcome in done:
            done[outcome] += 1
    return done
