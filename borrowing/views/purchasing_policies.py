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
from requests_app.policies import record_change
from requests_app.policy_views import ill_administrator

from ..forms import PurchaseRuleForm, PurchaseVendorForm
from ..models import PurchaseRule, PurchaseVendor

NOTHING_SAVED = gettext_lazy("Nothing was saved: please correct the fields marked below.")


def _plain(value) -> object:
    """A value as the change log keeps it (JSON): lists stay, everything else is text or empty."""
    if value is None or isinstance(value, (bool, int, list)):
        return value
    return str(value)


def _save(form: ModelForm, *, library: Library, actor, area: str) -> object:
    """Save the form's row for ``library`` and record what changed (one transaction)."""
    fields = list(form._meta.fields)
    with transaction.atomic():
        model = form._meta.model
        before = ({name: getattr(model.objects.select_for_update().get(pk=form.instance.pk), name)
                   for name in fields} if form.instance.pk else {})
        row = form.save(commit=False)
        row.library = library
        if hasattr(row, "updated_by"):
            row.updated_by = actor
        row.save()
        changes = {name: [_plain(before.get(name)), _plain(getattr(row, name))] for name in fields
                   if not before or before.get(name) != getattr(row, name)}
        record_change(library=library, area=f"{area} {row.name}", changes=changes, actor=actor)
    return row


@ill_administrator
def rules(request: HttpRequest, library: Library) -> HttpResponse:
    form = PurchaseRuleForm(request.POST or None, library=library)
    if request.method == "POST":
        if form.is_valid():
            rule = _save(form, library=library, actor=request.user, area="purchase rule")
            messages.success(request, _("Purchase rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("purchasing:rules")
        messages.error(request, NOTHING_SAVED)
    rows = PurchaseRule.objects.filter(library=library).select_related("updated_by").order_by("name", "pk")
    return render(request, "policies/purchase_rules.html", {
        "library": library, "rules": rows, "form": form, "tab": "purchasing",
        "has_vendor": PurchaseVendor.objects.filter(library=library, active=True).exists(),
    }, status=400 if form.errors else 200)


@ill_administrator
def rule_edit(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    rule = get_object_or_404(PurchaseRule, pk=pk, library=library)
    form = PurchaseRuleForm(request.POST or None, instance=rule, library=library)
    if request.method == "POST":
        if form.is_valid():
            _save(form, library=library, actor=request.user, area="purchase rule")
            messages.success(request, _("Purchase rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("purchasing:rules")
        messages.error(request, NOTHING_SAVED)
    return render(request, "policies/purchase_rule_edit.html", {
        "library": library, "rule": rule, "form": form, "tab": "purchasing"}, status=400 if form.errors else 200)


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
    form = PurchaseVendorForm(request.POST or None, library=library, initial={"currency": library.currency})
    if request.method == "POST":
        if form.is_valid():
            vendor = _save(form, library=library, actor=request.user, area="vendor")
            messages.success(request, _("Vendor “%(name)s” saved.") % {"name": vendor.name})
            return redirect("purchasing:vendors")
        messages.error(request, NOTHING_SAVED)
    rows = PurchaseVendor.objects.filter(library=library).order_by("name", "pk")
    return render(request, "policies/purchase_vendors.html", {
        "library": library, "vendors": rows, "form": form, "tab": "purchasing"}, status=400 if form.errors else 200)


@ill_administrator
def vendor_edit(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    vendor = get_object_or_404(PurchaseVendor, pk=pk, library=library)
    form = PurchaseVendorForm(request.POST or None, instance=vendor, library=library)
    if request.method == "POST":
        if form.is_valid():
            _save(form, library=library, actor=request.user, area="vendor")
            messages.success(request, _("Vendor “%(name)s” saved.") % {"name": vendor.name})
            return redirect("purchasing:vendors")
        messages.error(request, NOTHING_SAVED)
    return render(request, "policies/purchase_vendor_edit.html", {
        "library": library, "vendor": vendor, "form": form, "tab": "purchasing"},
        status=400 if form.errors else 200)
