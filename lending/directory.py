"""What the directory shows of our lending rule for one partner (registered in ``LendingConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse

from requests_app.directory.sections import PartnerSection
from requests_app.models import Library

from .models import PartnerLendingRule

POLICY_PERMISSION = "requests_app.administer_ill"  # who edits the rule on /policies/partners/


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def partner_rule_section(library: Library, partner: Library) -> PartnerSection | None:
    rule = PartnerLendingRule.objects.filter(library=library, partner=partner).first()
    heading = f"What {library.symbol} lends to {partner.symbol}"
    if rule is None:
        return PartnerSection(heading=heading, rows=[("Rule", "None: our general lending policy applies")],
                              edit_url=reverse("partner-rules:list"), edit_permission=POLICY_PERMISSION)
    rows = [("Books and other returnables", _yes_no(rule.lends_loans)), ("Copies", _yes_no(rule.lends_copies)),
            ("Loans out at once", "Our general limit" if rule.max_loans_outstanding is None
             else f"At most {rule.max_loans_outstanding}"),
            ("Loan period", "Our usual period" if rule.loan_period_days is None else f"{rule.loan_period_days} days"),
            ("Unpaid invoices", "Not checked" if rule.block_unpaid_after_days is None
             else f"Warn after {rule.block_unpaid_after_days} days past due")]
    if rule.note:
        rows.append(("Note", rule.note))
    return PartnerSection(heading=heading, rows=rows, edit_url=reverse("partner-rules:edit", args=[rule.pk]),
                          edit_permission=POLICY_PERMISSION)
