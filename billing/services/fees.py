"""What a service costs between a member library and a partner on a given day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q

from requests_app.models import Library

from ..models import Direction, FeeSchedule, Service
from ..money import quantize

#: Services a reciprocal agreement waives; a lost item or a copyright royalty is still owed.
RECIPROCAL_SERVICES = frozenset({Service.LOAN, Service.COPY, Service.RUSH})


@dataclass(frozen=True)
class Fee:
    amount: Decimal
    currency: str
    note: str = ""
    waived: bool = False


def fee_for(*, library: Library, partner: Library, direction: str, service: str, on: dt.date) -> Fee:
    """The fee ``library`` charges ``partner`` (receivable) or ``partner`` charges ``library`` (payable).

    Order: reciprocity (loan, copy, rush: nothing owed between members of one network), the
    partner's own schedule row, the schedule row for any partner, then the directory's
    ``loan_fee``/``copy_fee`` (ours for receivables, the lender's for payables); otherwise zero.
    """
    if service in RECIPROCAL_SERVICES and library.is_reciprocal_with(partner):
        groups = " ".join(sorted(library.reciprocal_group_set & partner.reciprocal_group_set))
        return Fee(Decimal("0"), library.currency, f"Waived: reciprocal agreement ({groups})", waived=True)
    row = (FeeSchedule.objects
           .filter(library=library, direction=direction, service=service, effective_from__lte=on)
           .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
           .filter(Q(partner=partner) | Q(partner__isnull=True))
           .order_by(F("partner").asc(nulls_last=True), "-effective_from", "-pk")
           .first())
    if row is not None:
        who = partner.symbol if row.partner_id else "all partners"
        return Fee(quantize(row.amount, row.currency), row.currency,
                   f"Fee schedule ({who}, from {row.effective_from:%Y-%m-%d})")
    source = library if direction == Direction.RECEIVABLE else partner
    directory_fee = {Service.LOAN: source.loan_fee, Service.COPY: source.copy_fee}.get(service)
    if directory_fee:
        return Fee(quantize(directory_fee, source.currency), source.currency, f"{source.symbol} directory fee")
    return Fee(Decimal("0"), library.currency, "No fee")
