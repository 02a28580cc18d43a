"""Jobs of the shared core: outgoing e-mail, the patron-data purge, patron loads and the statistics rollup
(outbox delivery is the partner side's).

Each is safe to run twice (it claims its work by compare-and-set), so each is acknowledged only
when done and given back to the broker when its worker dies (``acks_late``, ``reject_on_worker_lost``).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import mailer, privacy, rollups
from .identity import loads
from .ncip import tasks as ncip_tasks  # noqa: F401  (registers the NCIP jobs with the workers)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def purge_patron_data() -> dict[str, int]:
    """Daily: remove patron identity from requests final for longer than the retention period (idempotent)."""
    return privacy.purge_patron_identity()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_email(email_id: int) -> bool:
    """Hand one outgoing e-mail to the mail server (queued after the commit that wrote it)."""
    return mailer.send(email_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_outgoing_email(now: str | None = None) -> dict[str, int]:
    """Every minute: e-mails stuck in a dead worker's hand-over, retries due, e-mails whose task was lost."""
    return mailer.sweep(now=dt.datetime.fromisoformat(now) if now else None)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_patron_load(load_id: int) -> int:
    """Load one patron file from where it stands (it claims the load, so a second delivery does nothing)."""
    load = loads.run_load(load_id)
    return load.processed if load else 0


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def resume_patron_loads() -> int:
    """Every few minutes: queue again the patron loads whose task was lost or whose worker died."""
    return loads.resume_stalled_loads()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def refresh_statistics() -> dict[str, int]:
    """Hourly: recompute the statistics rollup's months touched since the last run (idempotent; a run that
    finds another one running does nothing)."""
    return rollups.refresh()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def load_dropped_patron_files() -> int:
    """Nightly: load the patron files the library's systems left in ILLMS_PATRON_LOAD_DROP_DIR (off when unset)."""
    return loads.load_dropped_files()
