"""Invoices and credit notes as PDF (WeasyPrint renders ``templates/billing/pdf/invoice.html``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string

from .models import Invoice, InvoiceLine


def render_invoice(invoice: Invoice, *, lines: Iterable[InvoiceLine] | None = None, preview: bool = False) -> bytes:
    """The PDF of ``invoice`` (its stored lines unless ``lines`` are given). ``preview`` marks every page
    as a preview, for a draft or an invoice not made yet: a document nobody may pay or file."""
    from weasyprint import HTML

    if lines is None:
        lines = invoice.lines.order_by("position")
    html = render_to_string("billing/pdf/invoice.html", {"invoice": invoice, "lines": list(lines),
                                                         "preview": preview})
    return HTML(string=html).write_pdf()
