"""Jobs of the shared core: outbox delivery, the patron-data purge."""

from __future__ import annotations

from celery import shared_task

from . import outbox, privacy


@shared_task(acks_late=True, ignore_result=True)
def deliver_request_outbox(request_id: int) -> int:
    """Send a request's pending messages in order (queued after the commit that wrote them)."""
    return outbox.deliver_request(request_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_outbox() -> int:
    """The retry sweep (every minute): every request with a message due now."""
    return outbox.deliver_due()


@shared_task(acks_late=True, ignore_result=True)
def purge_patron_data() -> dict[str, int]:
    """Daily: remove patron identity from requests final for longer than the retention period (idempotent)."""
    return privacy.purge_patron_identity()
