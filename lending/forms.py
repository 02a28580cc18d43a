"""Forms of the lending pages: they check input shape; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from requests_app.action_input import ActionForm, yes_no
from requests_app.models import NoteVisibility

from .models import ImportFormat
from .services.answers import LoanCondition, ShippingMethod, UnfilledReason


class HoldingsImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header line (title, author, isbn, issn, oclc_number, call_number, "
                                     "location, barcode, format, circulates, copyable, lendable), or MARC 21.")
    file_format = forms.ChoiceField(choices=ImportFormat.choices, label="Format")


class NoteForm(ActionForm):
    """An action that asks for nothing more than an optional note."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="Sent to the borrowing library with the answer.")


class StaffNoteForm(forms.Form):
    """A note on a lending request: for our staff only, or sent to the borrowing library."""

    text = forms.CharField(label="Note", max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "A note cannot be empty."})
    visibility = forms.ChoiceField(label="For", choices=[
        (NoteVisibility.INTERNAL, "Our staff only"), (NoteVisibility.PARTNER, "The borrowing library (sent now)"),
    ], initial=NoteVisibility.INTERNAL)


class ConditionsForm(ActionForm):
    conditions = forms.MultipleChoiceField(choices=LoanCondition.choices, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Explain the conditions (and any fee).")


class UnfillForm(ActionForm):
    reason = forms.ChoiceField(choices=UnfilledReason.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    retry_after = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text="If the borrower may ask again later, from when.")


class ShipForm(ActionForm):
    shipping_method = forms.ChoiceField(choices=ShippingMethod.choices, initial=ShippingMethod.MAIL)
    carrier = forms.CharField(required=False, max_length=50)
    tracking_number = forms.CharField(required=False, max_length=100)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="Empty: today plus our loan period.")


class RenewalForm(ActionForm):
    answer = forms.TypedChoiceField(choices=[("Y", "Grant"), ("N", "Refuse")], coerce=yes_no,
                                    widget=forms.RadioSelect, initial="Y")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="Empty: one more loan period.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        data = self.cleaned_data
        return {"grant": data["answer"], "due_date": data["due_date"], "note": data["note"]}


class DeliveryForm(ActionForm):
    file = forms.FileField(label="Scanned PDF", widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        # The download link the borrower gets points at this site, as the page was reached.
        return {"upload": self.cleaned_data["file"], "note": self.cleaned_data["note"],
                "base_url": request.build_absolute_uri("/")}


class ScanForm(forms.Form):
    ACTIONS = [("open", "Open the request"), ("ship", "Ship"), ("check_in", "Check in (returned)")]
    barcode = forms.CharField(label="Request barcode", max_length=40,
                              widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    action = forms.ChoiceField(choices=ACTIONS, initial="open")
    shipping_method = forms.ChoiceField(choices=ShippingMethod.choices, initial=ShippingMethod.MAIL, required=False)
