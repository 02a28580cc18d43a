"""Billing jobs: thin and safe to repeat; they call services."""

from __future__ import annotations

import logging

from celery import shared_task

from .models import Invoice

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def create_monthly_invoices() -> int:
    """Beat, on the 1st of each month: invoice last month's receivables (a second run creates nothing)."""
    from .services import create_monthly_invoices as create

    return len(create())


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_invoice_pdf(invoice_id: int) -> None:
    from .services import store_invoice_pdf

    invoice = Invoice.objects.filter(pk=invoice_id).select_related("library", "partner").first()
    if invoice is not None:
        store_invoice_pdf(invoice=invoice)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def email_invoice(invoice_id: int) -> None:
    from .emails import send_invoice

    send_invoice(invoice_id)


@shared_task(acks_late=True)
def fetch_exchange_rates() -> int:
    """Beat, daily: fetch reference rates (``ILLMS_EXCHANGE_RATES_URL``) and add those the libraries need.

    Without the setting it does nothing. A document that cannot be fetched or read changes nothing
    and is logged; the next day's run, or staff, fill the gap (a budget says how many charges lack a rate).
    """
    from django.conf import settings

    from .rates import RatesError, fetch_reference_rates
    from .services import import_reference_rates

    url = settings.ILLMS_EXCHANGE_RATES_URL
    if not url:
        return 0
    try:
        rates = fetch_reference_rates(url)
    except RatesError as exc:
        logger.error("Exchange rates not fetched: %s", exc)
        return 0
    return import_reference_rates(rates, origin=url)
