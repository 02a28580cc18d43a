"""What the directory shows of our lending rule for one partner (registered in ``LendingConfig.ready``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext, ngettext

from requests_app.directory.sections import PartnerSection
from requests_app.models import Library

from .models import PartnerLendingRule

POLICY_PERMISSION = "requests_app.administer_ill"  # who edits the rule on /policies/partners/


def _yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def partner_rule_section(library: Library, partner: Library) -> PartnerSection | None:
    rule = PartnerLendingRule.objects.filter(library=library, partner=partner).first()
    heading = gettext("What %(library)s lends to %(partner)s") % {"library": library.symbol, "partner": partner.symbol}
    if rule is None:
        return PartnerSection(heading=heading, rows=[(gettext("Rule"),
                                                      gettext("None: our general lending policy applies"))],
                              edit_url=reverse("partner-rules:list"), edit_permission=POLICY_PERMISSION)
    days, unpaid = rule.loan_period_days, rule.block_unpaid_after_days
    rows = [(gettext("Books and other returnables"), _yes_no(rule.lends_loans)),
            (gettext("Copies"), _yes_no(rule.lends_copies)),
            (gettext("Loans out at once"), gettext("Our general limit") if rule.max_loans_outstanding is None
             else gettext("At most %(count)s") % {"count": rule.max_loans_outstanding}),
            (gettext("Loan period"), gettext("Our usual period") if days is None
             else ngettext("%(days)s day", "%(days)s days", days) % {"days": days}),
            (gettext("Unpaid invoices"), gettext("Not checked") if unpaid is None
             else ngettext("Warn after %(days)s day past due", "Warn after %(days)s days past due", unpaid)
             % {"days": unpaid})]
    if rule.note:
        rows.append((gettext("Note"), rule.note))
    return PartnerSection(heading=heading, rows=rows, edit_url=reverse("partner-rules:edit", args=[rule.pk]),
                          edit_permission=POLICY_PERMISSION)
