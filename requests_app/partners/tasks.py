"""Jobs of the partner side: outbox delivery, and applying the messages partners sent us.

Their names stay those they had in the core's ``tasks`` module (the beat schedule and queued tasks
name them). Each is safe to run twice (it claims its work by compare-and-set), so each is acknowledged
only when done and given back to the broker when its worker dies (``acks_late``, ``reject_on_worker_lost``).
"""

from __future__ import annotations

from celery import shared_task

from . import intake, outbox


@shared_task(name="requests_app.tasks.deliver_request_outbox", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def deliver_request_outbox(request_id: int) -> int:
    """Send a request's pending messages in order (queued after the commit that wrote them)."""
    return outbox.deliver_request(request_id)


@shared_task(name="requests_app.tasks.deliver_outbox", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_outbox() -> int:
    """The retry sweep (every minute): every request with a message due now."""
    return outbox.deliver_due()


#: One task applies for at most this long, then queues the next (a long backlog is worked off in turns).
APPLY_SECONDS = 50.0


@shared_task(name="requests_app.tasks.apply_inbound_messages", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def apply_inbound_messages() -> int:
    """Apply stored partner messages in batches, each transaction's in order (``intake.apply_pending``).

    Queued after messages are stored, and run every minute as a sweep, so a message whose task the broker
    lost, or whose worker died, is applied all the same. Two at once share the work (claims skip locked rows).
    """
    done = intake.apply_pending(seconds=APPLY_SECONDS)
    if done and intake.claimable().exists():
        apply_inbound_messages.apply_async(retry=False)
    return done
