"""Invoices and credit notes as PDF (WeasyPrint renders ``templates/billing/pdf/invoice.html``)."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import Invoice


def render_invoice(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    lines = list(invoice.lines.order_by("position"))
    html = render_to_string("billing/pdf/invoice.html", {"invoice": invoice, "lines": lines})
    return HTML(string=html).write_pdf()
