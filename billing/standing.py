"""Billing's answer to ``requests_app.partner_standing``: invoices a partner has left unpaid."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min
from django.utils import timezone

from requests_app.models import Library

from .models import Invoice, InvoiceKind, InvoiceStatus


def unpaid_invoices(*, library: Library, partner: Library, overdue_days: int) -> list[str]:
    """One sentence when ``partner`` has invoices from ``library`` unpaid ``overdue_days`` past their due date."""
    cutoff = timezone.localdate() - dt.timedelta(days=overdue_days)
    found = Invoice.objects.filter(library=library, partner=partner, kind=InvoiceKind.INVOICE,
                                   status=InvoiceStatus.ISSUED, due_on__lt=cutoff).aggregate(
        count=Count("pk"), oldest=Min("due_on"))
    if not found["count"]:
        return []
    return [f"{partner.symbol} has {found['count']} unpaid invoice(s) of ours, "
            f"the oldest due {found['oldest']:%d %B %Y} (our rule: warn after {overdue_days} days)."]
