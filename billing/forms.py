"""Staff billing forms: they validate input; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.form_fields import LibrarySymbolField
from requests_app.models import Library
from requests_app.utilities.ids import parse_id

from .models import Budget, FeeSchedule
from .periods import previous_month, zone_of

#: How many complete months before this one staff may invoice from the screen.
MONTHS_BACK = 12


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=0.01)
    received_on = forms.DateField(label=_("Received on"), initial=timezone.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class AdjustForm(ReasonForm):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=4, min_value=0)


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("start") or today.replace(month=1, day=1)
        end = data.get("end") or today
        return (start, end) if start <= end else (end, start)


class LostItemForm(ReasonForm):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=4, min_value=0, required=False,
                                help_text=_("Empty: the lost-item fee of the fee schedule."))
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False,
                               help_text=_("ISO 4217; empty: the library's currency."))


class BudgetForm(forms.ModelForm):
    class Meta:
        model = Budget
        fields = ["fiscal_year", "fund", "starts_on", "ends_on", "amount", "currency"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"})}
        labels = {"fiscal_year": _("Fiscal year"), "fund": _("Fund"), "starts_on": _("Starts on"),
                  "ends_on": _("Ends on"), "amount": _("Amount"), "currency": _("Currency")}
        help_texts = {"fiscal_year": _("How the library names it, e.g. FY2026."),
                      "fund": _("Department or fund; empty: the whole library's borrowing budget.")}


class FeeScheduleForm(forms.ModelForm):
    partner = LibrarySymbolField(queryset=Library.objects.filter(active=True), required=False,
                                 label=_("Partner symbol"), help_text=_("Empty: every partner."),
                                 error_messages={"unknown": _("No active library has the symbol %(symbol)s.")})

    class Meta:
        model = FeeSchedule
        fields = ["partner", "direction", "service", "amount", "currency", "effective_from", "effective_to"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}),
                   "effective_to": forms.DateInput(attrs={"type": "date"})}
        labels = {"direction": _("Direction"), "service": _("Service"), "amount": _("Amount"),
                  "currency": _("Currency"), "effective_from": _("Effective from"), "effective_to": _("Effective to")}
        help_texts = {"effective_to": _("Last day it applies; empty: open-ended.")}


class SettleForm(forms.Form):
    charge = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={
        "required": _("Choose the charges that were paid.")})
    settled_on = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service settles only the library's own open payables.
        self.fields["charge"].valid_value = lambda value: parse_id(value) is not None


class ExchangeRateForm(forms.Form):
    """The fields of a rate; ``services.add_exchange_rate`` normalises and checks them (codes, rate, day)."""

    currency = forms.CharField(label=_("Currency"), max_length=10, help_text=_("The charge's currency, e.g. EUR."))
    base_currency = forms.CharField(label=_("Base currency"), max_length=10,
                                    help_text=_("The budget's currency, e.g. USD."))
    rate = forms.DecimalField(label=_("Rate"), max_digits=18, decimal_places=8,
                              help_text=_("One unit of the currency in the base currency, e.g. 1.0850 for EUR in "
                                          "USD."))
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(label=_("Source"), max_length=100, required=False,
                             help_text=_("Where the rate comes from, e.g. the bank."))


def invoice_months(library: Library, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """This month (its days up to yesterday) and the 12 before it, newest first, as ``("2026-11", label)``."""
    today = timezone.localtime(now or timezone.now(), zone_of(library)).date()
    month = today.replace(day=1)
    choices = [(f"{month:%Y-%m}", gettext("%(month)s (this month, up to yesterday)")
                % {"month": formats.date_format(month, "YEAR_MONTH_FORMAT")})]
    for _month in range(MONTHS_BACK):
        month = previous_month(month)
        choices.append((f"{month:%Y-%m}", formats.date_format(month, "YEAR_MONTH_FORMAT")))
    return choices


class InvoiceRunForm(forms.Form):
    """Which month to invoice now; the choices are the library's (``invoice_months``)."""

    month = forms.ChoiceField(choices=(), error_messages={
        "invalid_choice": _("Choose this month or one of the 12 months before it.")})
    issue = forms.BooleanField(required=False, label=_("Issue and e-mail them at once"),
                               help_text=_("Unticked: drafts, to preview and issue one by one."))

    def __init__(self, *args, library: Library, now: dt.datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = invoice_months(library, now)
        self.fields["month"].initial = self.fields["month"].choices[1][0]

    def clean_month(self) -> dt.date:
        return dt.datetime.strptime(self.cleaned_data["month"], "%Y-%m").date()
