"""Billing jobs: thin and safe to repeat; they call services. Each is acknowledged when done and given
back to the broker when its worker dies (``acks_late``, ``reject_on_worker_lost``)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings

from . import services
from .rates import RatesError, fetch_reference_rates
from .services import invoices

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def create_monthly_invoices() -> int:
    """Beat, on the 1st of each month: invoice last month's receivables (a second run creates nothing,
    a run after a worker died mid-job makes what is missing)."""
    return len(services.create_monthly_invoices())


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5, ignore_result=True)
def render_invoice_pdf(invoice_id: int) -> bool:
    """Store the invoice's PDF (unless it is there) and queue its e-mail, which waited for it."""
    return invoices.render_and_release(invoice_id=invoice_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_invoices(now: str | None = None) -> dict[str, int]:
    """Every ten minutes: PDFs and e-mail rows that issued invoices lack (a worker died before them)."""
    return invoices.sweep_invoices(now=dt.datetime.fromisoformat(now) if now else None)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def fetch_exchange_rates() -> int:
    """Beat, daily: fetch reference rates (``ILLMS_EXCHANGE_RATES_URL``) and add those the libraries need.

    Without the setting it does nothing. A document that cannot be fetched or read changes nothing
    and is logged; the next day's run, or staff, fill the gap (a budget says how many charges lack a rate).
    """
    url = settings.ILLMS_EXCHANGE_RATES_URL
    if not url:
        return 0
    try:
        rates = fetch_reference_rates(url)
    except RatesError as exc:
        logger.error("Exchange rates not fetched: %s", exc)
        return 0
    return services.import_reference_rates(rates, origin=url)
