"""Forms of the ILL administrator's policy pages (``/policies/``): they validate; services save."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .identity.fields import parse_mapping
from .identity.loads import parse_categories
from .models import (
    Library,
    LibraryPolicy,
    NcipConnection,
    PatronCategory,
    PatronLoadFormat,
    PatronLoadSettings,
    PatronMatchKey,
    RequestFormat,
)
from .ncip import profiles as ncip_profiles
from .policy_declarations import BORROWING, BY_NAME, PRIVACY, in_areas
from .regions import REGIONS, format_preferences, parse_preferences


def _bound(field: forms.Field, name: str) -> None:
    low, high = BY_NAME[name].bounds
    field.min_value, field.max_value = low, high
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update({"min": low, "max": high})


def _declared_field(name: str, **overrides) -> forms.Field:
    """The form field of a declared policy that a plain form (not the policy row's model form) edits."""
    policy = BY_NAME[name]
    options = {"label": capfirst(_(policy.label)), "help_text": _(policy.help_text), **overrides}
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
            self.fields[name].label = capfirst(gettext(BY_NAME[name].label))
            self.fields[name].help_text = gettext(BY_NAME[name].help_text)
        limits = self.instance.max_active_requests_by_category or {}
        for code, label in PatronCategory.choices:
            field = forms.IntegerField(
                label=gettext("Active requests: %(category)s") % {"category": label}, required=False,
                min_value=0, max_value=1000, initial=limits.get(code),
                help_text=gettext("Empty: the general limit above. 0: this category may not request."))
            self.fields[f"category_{code}"] = field
        self.fields["country_preferences_text"] = forms.CharField(
            label=_("Preferred countries and regions"), required=False, max_length=2000,
            initial=format_preferences(self.instance.country_preferences),
            widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
            help_text=_("One “code = points” a line, added to the rota score of a lender there: “own” is our "
                        "own country, a two-letter country code (CA), or a region (%(regions)s); negative points "
                        "push a country down. The best match counts. Empty: the installation's default.")
            % {"regions": ", ".join(REGIONS)})
        automatic = self.instance.auto_send_formats or {}
        for code, label in RequestFormat.choices:
            self.fields[f"auto_send_{code}"] = forms.BooleanField(
                label=label, required=False, initial=bool(automatic.get(code)))

    def category_fields(self):
        return [self[f"category_{code}"] for code, _label in PatronCategory.choices]

    def auto_send_fields(self):
        return [self[f"auto_send_{code}"] for code, _label in RequestFormat.choices]

    def clean_country_preferences_text(self) -> str:
        text = self.cleaned_data["country_preferences_text"]
        try:
            self.country_preferences = parse_preferences(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean(self):
        cleaned = super().clean()
        buffer = cleaned.get("due_date_buffer_days")
        period = self.library.loan_period_days
        if buffer is not None and buffer >= period:
            self.add_error("due_date_buffer_days",
                           gettext("The buffer must be shorter than a loan period (%(days)s days): patrons would "
                                   "get items already due.") % {"days": period})
        reminder = cleaned.get("reminder_days_before")
        if reminder is not None and reminder >= period:
            self.add_error("reminder_days_before", gettext("Reminders must go out within a loan period "
                                                           "(%(days)s days).") % {"days": period})
        return cleaned

    def policy_values(self) -> dict:
        """What to save: the model fields, and the category limits as one map (empty ones left out)."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["max_active_requests_by_category"] = {
            code: self.cleaned_data[f"category_{code}"] for code, _label in PatronCategory.choices
            if self.cleaned_data.get(f"category_{code}") is not None}
        values["auto_send_formats"] = {code: True for code, _label in RequestFormat.choices
                                       if self.cleaned_data.get(f"auto_send_{code}")}
        values["country_preferences"] = self.country_preferences
        return values


class LendingPolicyForm(forms.Form):
    """What we lend to everyone (the directory entry partners read) and what we answer automatically."""

    lends_loans = forms.BooleanField(label=_("We lend returnables (books, media)"), required=False)
    lends_copies = forms.BooleanField(label=_("We supply copies (articles, chapters)"), required=False)
    loan_period_days = forms.IntegerField(label=_("Loan period (days)"), min_value=1, max_value=365,
                                          help_text=_("How long a partner may keep an item we lend."))
    max_loans_outstanding = forms.IntegerField(
        label=_("Most loans one partner may have out"), required=False, min_value=1, max_value=10000,
        help_text=_("Empty: no limit. A partner's own rule may set another number."))
    auto_unfill_not_held = _declared_field("auto_unfill_not_held")
    lending_auto_renew = _declared_field("lending_auto_renew")
    edelivery_days = _declared_field("edelivery_days",
                                     help_text=_("Days an electronic copy can be downloaded, ours and our patrons'."))
    edelivery_max_downloads = _declared_field("edelivery_max_downloads")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("lends_loans") and cleaned.get("lending_auto_renew"):
            self.add_error("lending_auto_renew", gettext("Renewals cannot be granted automatically when we lend "
                                                         "no returnables."))
        return cleaned


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300,
                              widget=forms.TextInput(attrs={"class": "font-monospace"}))
    body_text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
                                max_length=20000)
    body_html = forms.CharField(
        label=_("HTML (optional)"), required=False, max_length=50000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        help_text=_("Leave empty to send plain text only. Values filled in are escaped."))


class NcipConnectionForm(forms.ModelForm):
    """The library's ILS over NCIP: where, who we are, how we authenticate, what goes over it, and the ILS's
    code for each of our pickup locations (checked against the chosen ILS's profile)."""

    new_secret = forms.CharField(
        label=_("New password, key or shared secret"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the one set."))
    clear_secret = forms.BooleanField(label=_("Clear the stored secret"), required=False)
    endpoint = forms.URLField(label=_("NCIP address"), max_length=500, required=False, assume_scheme="https",
                              help_text=_("The ILS's NCIP responder, e.g. https://ils.example.edu/ncip."))

    class Meta:
        model = NcipConnection
        fields = ["enabled", "ils", "endpoint", "our_agency_id", "ils_agency_id", "auth_scheme", "username",
                  "timeout_seconds", "lookup_timeout_seconds", "check_patrons", "borrowing", "ils_checks_out",
                  "lending", "lending_patron_id", "lending_pickup_code"]

    def __init__(self, *args, library: Library, **kwargs):
        super().__init__(*args, **kwargs)
        self.library = library
        self.fields["ils"].choices = [(key, gettext(label)) for key, label in ncip_profiles.CHOICES]
        self.fields["auth_scheme"].choices = [(key, gettext(label)) for key, label in ncip_profiles.AUTH_CHOICES]
        self.pickup_locations = list(library.pickup_locations.filter(active=True).order_by("name"))
        codes = self.instance.pickup_codes or {}
        for location in self.pickup_locations:
            self.fields[f"pickup_{location.code}"] = forms.CharField(
                label=gettext("ILS code of “%(location)s”") % {"location": location.name}, required=False,
                max_length=64, initial=codes.get(location.code, ""),
                help_text=gettext("Empty: our code, %(code)s.") % {"code": location.code})

    def pickup_fields(self):
        return [self[f"pickup_{location.code}"] for location in self.pickup_locations]

    def clean(self):
        cleaned = super().clean()
        profile = ncip_profiles.profile_for(cleaned.get("ils") or "generic")
        if cleaned.get("enabled"):
            for name in ("endpoint", "our_agency_id", "ils_agency_id"):
                if not cleaned.get(name):
                    self.add_error(name, gettext("Needed to switch NCIP on."))
        scheme = cleaned.get("auth_scheme")
        if scheme == ncip_profiles.AuthScheme.BASIC and not cleaned.get("username"):
            self.add_error("username", gettext("HTTP Basic needs a user name."))
        if cleaned.get("new_secret") and cleaned.get("clear_secret"):
            self.add_error("clear_secret", gettext("Either replace the secret or clear it, not both."))
        keeps_secret = self.instance.has_secret and not cleaned.get("clear_secret")
        if scheme and scheme != ncip_profiles.AuthScheme.NONE and not (cleaned.get("new_secret") or keeps_secret):
            self.add_error("new_secret", gettext("This way of authenticating needs a secret."))
        codes = {}
        for location in self.pickup_locations:
            code = (cleaned.get(f"pickup_{location.code}") or "").strip()
            problem = profile.pickup_code_problem(code or location.code, gettext)
            if problem:
                self.add_error(f"pickup_{location.code}", problem)
            if code:
                codes[location.code] = code
        lending_code = (cleaned.get("lending_pickup_code") or "").strip()
        if lending_code and profile.pickup_code_problem(lending_code):
            self.add_error("lending_pickup_code", profile.pickup_code_problem(lending_code, gettext))
        cleaned["pickup_codes"] = codes
        return cleaned

    def connection_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["pickup_codes"] = self.cleaned_data["pickup_codes"]
        return values


class PatronLoadForm(forms.Form):
    file = forms.FileField(label=_("File"),
                           help_text=_("A CSV file with a header line, or JSON (a list of patrons), in UTF-8."))
    file_format = forms.ChoiceField(choices=PatronLoadFormat.choices, label=_("Format"), initial=PatronLoadFormat.CSV)
    match_key = forms.ChoiceField(choices=PatronMatchKey.choices, label=_("Match patrons by"),
                                  initial=PatronMatchKey.BARCODE)
    create_missing = forms.BooleanField(
        required=False, initial=True, label=_("Create the patrons the file has and ILLMS does not"),
        help_text=_("Untick to update known patrons only: the others are counted as skipped."))


class PatronLoadColumnsForm(forms.ModelForm):
    """The library's own column names and category values; each is checked as the load will read it."""

    class Meta:
        model = PatronLoadSettings
        fields = ["columns", "categories"]
        widgets = {"columns": forms.Textarea(attrs={"rows": 3}), "categories": forms.Textarea(attrs={"rows": 3})}
        labels = {"columns": _("Column names"), "categories": _("Category values")}
        help_texts = {"columns": _("field=column[,column] pairs separated by ; (barcode=Card number;category=Patron "
                                   "type)"),
                      "categories": _("value=category pairs separated by ; (UG=undergraduate;PG=graduate;"
                                      "FAC=faculty)")}

    def clean_columns(self) -> str:
        text = self.cleaned_data["columns"].strip()
        try:
            parse_mapping(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_categories(self) -> str:
        text = self.cleaned_data["categories"].strip()
        try:
            parse_categories(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text
