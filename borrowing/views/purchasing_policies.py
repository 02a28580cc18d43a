"""Purchase on demand under Policies: the library's purchase rules and its vendors (/policies/purchasing/).

For the ILL administrator of a member library, scoped to it: another library's rule or vendor is a 404.
A form with anything wrong saves nothing and says what; every saved change is recorded (``PolicyChange``).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from requests_app.models import Library
from requests_app.policies import record_change, save_policy_form
from requests_app.policy_views import ill_administrator

from ..forms import PurchaseRuleForm, PurchaseVendorForm
from ..models import PurchaseRule, PurchaseVendor

NOTHING_SAVED = gettext_lazy("Nothing was saved: please correct the fields marked below.")


def _form_page(request: HttpRequest, form: ModelForm, *, library: Library, area: str, saved: str, list_url: str,
               template: str, context) -> HttpResponse:
    """A rule's or vendor's form page: a valid POST saves the row with its change log (``area`` and the row's
    name) and goes back to ``list_url``; anything wrong saves nothing and the page says what (400).
    ``context()`` gives the page's own values, read only when it is shown."""
    if request.method == "POST":
        if form.is_valid():
            row = save_policy_form(form, library=library, actor=request.user,
                                   area=f"{area} {form.cleaned_data['name']}")
            messages.success(request, saved % {"name": row.name})
            return redirect(list_url)
        messages.error(request, NOTHING_SAVED)
    return render(request, template, {"library": library, "form": form, "tab": "purchasing", **context()},
                  status=400 if form.errors else 200)


@ill_administrator
def rules(request: HttpRequest, library: Library) -> HttpResponse:
    return _form_page(
        request, PurchaseRuleForm(request.POST or None, library=library), library=library, area="purchase rule",
        saved=_("Purchase rule “%(name)s” saved."), list_url="purchasing:rules",
        template="policies/purchase_rules.html", context=lambda: {
            "rules": PurchaseRule.objects.filter(library=library).select_related("updated_by").order_by("name", "pk"),
            "has_vendor": PurchaseVendor.objects.filter(library=library, active=True).exists()})


@ill_administrator
def rule_edit(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    rule = get_object_or_404(PurchaseRule, pk=pk, library=library)
    return _form_page(
        request, PurchaseRuleForm(request.POST or None, instance=rule, library=library), library=library,
        area="purchase rule", saved=_("Purchase rule “%(name)s” saved."), list_url="purchasing:rules",
        template="policies/purchase_rule_edit.html", context=lambda: {"rule": rule})


@require_POST
@ill_administrator
def rule_delete(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    rule = get_object_or_404(PurchaseRule, pk=pk, library=library)
    name = rule.name
    with transaction.atomic():
        rule.delete()
        record_change(library=library, area=f"purchase rule {name}", changes={"rule": [name, "deleted"]},
                      actor=request.user)
    messages.success(request, _("Purchase rule “%(name)s” deleted.") % {"name": name})
    return redirect("purchasing:rules")


@ill_administrator
def vendors(request: HttpRequest, library: Library) -> HttpResponse:
    return _form_page(
        request, PurchaseVendorForm(request.POST or None, library=library, initial={"currency": library.currency}),
        library=library, area="vendor", saved=_("Vendor “%(name)s” saved."), list_url="purchasing:vendors",
        template="policies/purchase_vendors.html",
        context=lambda: {"vendors": PurchaseVendor.objects.filter(library=library).order_by("name", "pk")})


@ill_administrator
def vendor_edit(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    vendor = get_object_or_404(PurchaseVendor, pk=pk, library=library)
    return _form_page(
        request, PurchaseVendorForm(request.POST or None, instance=vendor, library=library), library=library,
        area="vendor", saved=_("Vendor “%(name)s” saved."), list_url="purchasing:vendors",
        template="policies/purchase_vendor_edit.html", context=lambda: {"vendor": vendor})
