"""Our lending rules for one partner at a time, edited by the ILL administrator under /policies/partners/.

Scoped to the administrator's own member library: a rule of another library is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from requests_app.models import Library
from requests_app.policies import record_change, save_policy_form
from requests_app.policy_views import ill_administrator

from ..forms import RULE_FIELDS, PartnerRuleForm
from ..models import PartnerLendingRule


def _save(form: PartnerRuleForm, *, library: Library, actor) -> PartnerLendingRule:
    """Save the rule and record what changed (one transaction)."""
    return save_policy_form(form, library=library, actor=actor, fields=RULE_FIELDS,
                            area=f"partner {form.cleaned_data['partner'].symbol}")


@ill_administrator
def rule_list(request: HttpRequest, library: Library) -> HttpResponse:
    form = PartnerRuleForm(request.POST or None, library=library)
    if request.method == "POST":
        if form.is_valid():
            rule = _save(form, library=library, actor=request.user)
            messages.success(request, gettext("Rule for %(symbol)s saved.") % {"symbol": rule.partner.symbol})
            return redirect("partner-rules:list")
        messages.error(request, gettext("Nothing was saved: please correct the fields marked below."))
    rules = PartnerLendingRule.objects.filter(library=library).select_related("partner", "updated_by")
    return render(request, "policies/partner_rules.html", {"library": library, "rules": rules, "form": form,
                                                           "tab": "partners"})


@ill_administrator
def rule_edit(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    rule = get_object_or_404(PartnerLendingRule.objects.select_related("partner"), pk=pk, library=library)
    form = PartnerRuleForm(request.POST or None, instance=rule, library=library)
    if request.method == "POST":
        if form.is_valid():
            _save(form, library=library, actor=request.user)
            messages.success(request, gettext("Rule for %(symbol)s saved.") % {"symbol": rule.partner.symbol})
            return redirect("partner-rules:list")
        messages.error(request, gettext("Nothing was saved: please correct the fields marked below."))
    return render(request, "policies/partner_rule_edit.html", {"library": library, "rule": rule, "form": form,
                                                               "tab": "partners"})


@require_POST
@ill_administrator
def rule_delete(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    rule = get_object_or_404(PartnerLendingRule.objects.select_related("partner"), pk=pk, library=library)
    symbol = rule.partner.symbol
    with transaction.atomic():
        rule.delete()
        record_change(library=library, area=f"partner {symbol}", changes={"rule": ["own rule", "deleted"]},
                      actor=request.user)
    messages.success(request, gettext("The rule for %(symbol)s is deleted: our general lending policy applies to it "
                                       "again.") % {"symbol": symbol})
    return redirect("partner-rules:list")
