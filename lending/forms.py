"""Forms of the lending pages: they check input shape; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from requests_app.action_input import ActionForm, yes_no
from requests_app.form_fields import LibrarySymbolField
from requests_app.models import Library, NoteVisibility

from .models import ImportFormat, PartnerLendingRule
from .services.answers import LoanCondition, ShippingMethod, UnfilledReason


class HoldingsImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_(
        "CSV with a header line (title, author, isbn, issn, oclc_number, call_number, location, barcode, format, "
        "circulates, copyable, lendable), or MARC 21."))
    file_format = forms.ChoiceField(choices=ImportFormat.choices, label=_("Format"))


class NoteForm(ActionForm):
    """An action that asks for nothing more than an optional note."""

    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Sent to the borrowing library with the answer."))


class StaffNoteForm(forms.Form):
    """A note on a lending request: for our staff only, or sent to the borrowing library."""

    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("A note cannot be empty.")})
    visibility = forms.ChoiceField(label=pgettext_lazy("a note", "For"), choices=[
        (NoteVisibility.INTERNAL, _("Our staff only")), (NoteVisibility.PARTNER, _("The borrowing library (sent now)")),
    ], initial=NoteVisibility.INTERNAL)


class ConditionsForm(ActionForm):
    """Conditions, and the fee they cost the borrower (sent as ISO 18626 offeredCosts)."""

    conditions = forms.MultipleChoiceField(label=_("Conditions"), choices=LoanCondition.choices,
                                           widget=forms.CheckboxSelectMultiple)
    fee_amount = forms.DecimalField(label=_("Fee"), required=False, min_value=0, max_digits=10, decimal_places=2,
                                    help_text=_("The amount the borrower pays if it accepts; empty: no fee."))
    fee_currency = forms.CharField(label=_("Currency"), required=False, max_length=3, min_length=3,
                                   help_text=_("ISO 4217 code, e.g. USD or EUR; empty: our library's."))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Explain the conditions (and any fee)."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fee_currency"].initial = self.ill_request.library.currency

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        data = self.cleaned_data
        return {"conditions": data["conditions"], "note": data["note"], "fee_amount": data["fee_amount"],
                "fee_currency": (data["fee_currency"] or "").upper()}


class UnfillForm(ActionForm):
    # No reason is chosen for the clerk: "cannot supply" is a decision, never a default.
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose a reason")), *UnfilledReason.choices])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    retry_after = forms.DateField(label=_("Retry after"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("If the borrower may ask again later, from when."))


class ShipForm(ActionForm):
    shipping_method = forms.ChoiceField(label=_("Shipping method"), choices=ShippingMethod.choices,
                                        initial=ShippingMethod.MAIL)
    carrier = forms.CharField(label=_("Carrier"), required=False, max_length=50)
    tracking_number = forms.CharField(label=_("Tracking number"), required=False, max_length=100)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: today plus our loan period."))


class RenewalForm(ActionForm):
    # No answer is chosen for the clerk: granting and refusing are both a decision.
    answer = forms.TypedChoiceField(label=_("Answer"), choices=[("Y", _("Grant")), ("N", _("Refuse"))],
                                    coerce=yes_no, widget=forms.RadioSelect)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: one more loan period."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        data = self.cleaned_data
        return {"grant": data["answer"], "due_date": data["due_date"], "note": data["note"]}


class DeliveryForm(ActionForm):
    file = forms.FileField(label=_("Scanned PDF"),
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        # The download link the borrower gets points at this site, as the page was reached.
        return {"upload": self.cleaned_data["file"], "note": self.cleaned_data["note"],
                "base_url": request.build_absolute_uri("/")}


class ScanForm(forms.Form):
    ACTIONS = [("open", _("Open the request")), ("ship", _("Ship")), ("check_in", _("Check in (returned)"))]
    barcode = forms.CharField(label=_("Request barcode"), max_length=40,
                              widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, initial="open")
    shipping_method = forms.ChoiceField(label=_("Shipping method"), choices=ShippingMethod.choices,
                                        initial=ShippingMethod.MAIL, required=False)


RULE_FIELDS = ["lends_loans", "lends_copies", "max_loans_outstanding", "loan_period_days",
               "block_unpaid_after_days", "note"]


class PartnerRuleForm(forms.ModelForm):
    partner = LibrarySymbolField(label=_("Partner symbol"),
                                 help_text=_("The partner's symbol in the directory, e.g. EYM."),
                                 error_messages={"unknown": _("No partner library has the symbol %(symbol)s.")})

    class Meta:
        model = PartnerLendingRule
        fields = ["partner", *RULE_FIELDS]
        labels = {"note": _("Note")}

    def __init__(self, *args, library: Library, **kwargs):
        super().__init__(*args, **kwargs)
        self.library = library
        self.fields["partner"].queryset = Library.objects.exclude(pk=library.pk)
        if self.instance.pk:
            self.fields["partner"].disabled = True
        for name, low, high in (("max_loans_outstanding", 0, 10000), ("loan_period_days", 1, 365),
                                ("block_unpaid_after_days", 0, 3650)):
            field = self.fields[name]
            field.min_value, field.max_value = low, high
            field.widget.attrs.update({"min": low, "max": high})
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]

    def clean_partner(self):
        partner = self.cleaned_data["partner"]
        others = PartnerLendingRule.objects.filter(library=self.library, partner=partner)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(gettext("%(symbol)s already has a rule: edit that one.")
                                        % {"symbol": partner.symbol})
        return partner
