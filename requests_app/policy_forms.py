"""Forms of the ILL administrator's policy pages (``/policies/``): they validate; services save."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from .models import Library, LibraryPolicy, PatronCategory
from .policy_declarations import BORROWING, BY_NAME, PRIVACY, in_areas


def _bound(field: forms.Field, name: str) -> None:
    low, high = BY_NAME[name].bounds
    field.min_value, field.max_value = low, high
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update({"min": low, "max": high})


def _declared_field(name: str, **overrides) -> forms.Field:
    """The form field of a declared policy that a plain form (not the policy row's model form) edits."""
    policy = BY_NAME[name]
    options = {"label": policy.label.capitalize(), "help_text": policy.help_text, **overrides}
    if policy.type is bool:
        return forms.BooleanField(required=False, **options)
    low, high = policy.bounds
    return forms.IntegerField(min_value=low, max_value=high, **options)


class BorrowingPolicyForm(forms.ModelForm):
    """Loans to our patrons, the rota, reminders, copyright, privacy; plus a limit per patron category."""

    class Meta:
        model = LibraryPolicy
        fields = [policy.name for policy in in_areas(BORROWING, PRIVACY) if policy.type is int]

    def __init__(self, *args, library: Library, **kwargs):
        super().__init__(*args, **kwargs)
        self.library = library
        for name in self.Meta.fields:
            _bound(self.fields[name], name)
        limits = self.instance.max_active_requests_by_category or {}
        for code, label in PatronCategory.choices:
            field = forms.IntegerField(
                label=f"Active requests: {label.lower()}", required=False, min_value=0, max_value=1000,
                initial=limits.get(code),
                help_text="Empty: the general limit above. 0: this category may not request.")
            self.fields[f"category_{code}"] = field

    def category_fields(self):
        return [self[f"category_{code}"] for code, _label in PatronCategory.choices]

    def clean(self):
        cleaned = super().clean()
        buffer = cleaned.get("due_date_buffer_days")
        period = self.library.loan_period_days
        if buffer is not None and buffer >= period:
            self.add_error("due_date_buffer_days",
                           f"The buffer must be shorter than a loan period ({period} days): "
                           f"patrons would get items already due.")
        reminder = cleaned.get("reminder_days_before")
        if reminder is not None and reminder >= period:
            self.add_error("reminder_days_before", f"Reminders must go out within a loan period ({period} days).")
        return cleaned

    def policy_values(self) -> dict:
        """What to save: the model fields, and the category limits as one map (empty ones left out)."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["max_active_requests_by_category"] = {
            code: self.cleaned_data[f"category_{code}"] for code, _label in PatronCategory.choices
            if self.cleaned_data.get(f"category_{code}") is not None}
        return values


class LendingPolicyForm(forms.Form):
    """What we lend to everyone (the directory entry partners read) and what we answer automatically."""

    lends_loans = forms.BooleanField(label="We lend returnables (books, media)", required=False)
    lends_copies = forms.BooleanField(label="We supply copies (articles, chapters)", required=False)
    loan_period_days = forms.IntegerField(label="Loan period (days)", min_value=1, max_value=365,
                                          help_text="How long a partner may keep an item we lend.")
    max_loans_outstanding = forms.IntegerField(
        label="Most loans one partner may have out", required=False, min_value=1, max_value=10000,
        help_text="Empty: no limit. A partner's own rule may set another number.")
    auto_unfill_not_held = _declared_field("auto_unfill_not_held")
    lending_auto_renew = _declared_field("lending_auto_renew")
    edelivery_days = _declared_field("edelivery_days",
                                     help_text="Days an electronic copy can be downloaded, ours and our patrons'.")
    edelivery_max_downloads = _declared_field("edelivery_max_downloads")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("lends_loans") and cleaned.get("lending_auto_renew"):
            self.add_error("lending_auto_renew", "Renewals cannot be granted automatically when we lend no "
                                                 "returnables.")
        return cleaned


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"class": "font-monospace"}))
    body_text = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
                                max_length=20000)
    body_html = forms.CharField(
        label="HTML (optional)", required=False, max_length=50000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        help_text="Leave empty to send plain text only. Values filled in are escaped.")
