"""Invoices and credit notes as PDF (WeasyPrint renders ``templates/billing/pdf/invoice.html``), in the language
frozen on the invoice (the partner's directory language when it was made), dates and amounts formatted for it."""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string
from django.utils import translation

from .models import Invoice, InvoiceLine


def render_invoice(invoice: Invoice, *, lines: Iterable[InvoiceLine] | None = None, preview: bool = False) -> bytes:
    """The PDF of ``invoice`` (its stored lines unless ``lines`` are given). ``preview`` marks every page
    as a preview, for a draft or an invoice not made yet: a document nobody may pay or file."""
    from weasyprint import HTML

    if lines is None:
        lines = invoice.lines.order_by("position")
    with translation.override(invoice.language):
        html = render_to_string("billing/pdf/invoice.html", {"invoice": invoice, "lines": list(lines),
                                                             "preview": preview})
    return HTML(string=html).write_pdf()
