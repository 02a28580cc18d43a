"""Jobs of the NCIP calls: sending a request's calls after the commit that decided them, and the retry sweep.

Each is safe to run twice (calls are claimed by compare-and-set), so each is acknowledged only when done
and given back to the broker when its worker dies.
"""

from __future__ import annotations

from celery import shared_task

from . import calls, circulation


@shared_task(name="requests_app.ncip.tasks.send_request_ncip_calls", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def send_request_ncip_calls(request_id: int) -> int:
    """Send a request's unfinished NCIP calls in order."""
    return calls.send_request(request_id)


@shared_task(name="requests_app.ncip.tasks.send_due_ncip_calls", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def send_due_ncip_calls() -> int:
    """The retry sweep (every minute): every request with an NCIP call due now."""
    return calls.send_due()


@shared_task(name="requests_app.ncip.tasks.learn_ncip_circulation", acks_late=True, reject_on_worker_lost=True,
             ignore_result=True)
def learn_ncip_circulation() -> int:
    """Every few minutes: the check-outs and check-ins the ILS's desk did, for libraries whose desk checks out there."""
    return len(circulation.learn_from_ils())
