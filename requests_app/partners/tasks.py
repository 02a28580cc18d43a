"""Jobs of the partner side: outbox delivery.

Their names stay those they had in the core's ``tasks`` module (the beat schedule and queued tasks
name them). Each is safe to run twice (it claims its work by compare-and-set), so each is acknowledged
only when done and given back to the broker when its worker dies (``acks_late``, ``reject_on_worker_lost``).
"""

from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task(name="requests_app.tasks.deliver_request_outbox", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def deliver_request_outbox(request_id: int) -> int:
    """Send a request's pending messages in order (queued after the commit that wrote them)."""
    return outbox.deliver_request(request_id)


@shared_task(name="requests_app.tasks.deliver_outbox", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_outbox() -> int:
    """The retry sweep (every minute): every request with a message due now."""
    return outbox.deliver_due()
