"""Borrowing jobs. Thin: they find the work, then call the workflow service per request."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from requests_app.models import EventSource, IllRequest, Role
from requests_app.services import claim
from requests_app.workflow import Actor

from .workflow import BorrowingStatus


@shared_task(acks_late=True)
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
