"""Billing jobs: thin and safe to repeat; they call services."""

from __future__ import annotations

from celery import shared_task

from .models import Invoice


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
