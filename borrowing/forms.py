"""Forms of the borrowing pages. Forms validate and shape input; services decide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from requests_app import identifiers
from requests_app.models import COPY_FORMATS, DeliveryMethod, IllRequest, PatronProfile, RequestFormat

from . import selectors

# Patron side ---------------------------------------------------------------------------------

#: The notice 37 CFR § 201.14 requires on copy order forms, under 17 U.S.C. § 108(d)(2).
COPYRIGHT_WARNING_HEADING = "Warning concerning copyright restrictions"
COPYRIGHT_WARNING = (
    "The copyright law of the United States (title 17, United States Code) governs the making of photocopies "
    "or other reproductions of copyrighted material.",
    "Under certain conditions specified in the law, libraries and archives are authorized to furnish a "
    "photocopy or other reproduction. One of these specific conditions is that the photocopy or reproduction "
    "is not to be “used for any purpose other than private study, scholarship, or research.” If a user makes "
    "a request for, or later uses, a photocopy or reproduction for purposes in excess of “fair use,” that user "
    "may be liable for copyright infringement.",
    "This institution reserves the right to refuse to accept a copying order if, in its judgment, fulfillment "
    "of the order would involve violation of copyright law.",
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    help_text: str = ""


def _f(name: str, label: str, required: bool = False, help_text: str = "") -> Field:
    return Field(name, label, required, help_text)


AUTHOR = _f("author", "Author", help_text="Last name, first name; separate several authors with “;”.")
YEAR = _f("publication_date", "Year")
ISBN = _f("isbn", "ISBN", help_text="10 or 13 digits, hyphens allowed.")
ISSN = _f("issn", "ISSN", help_text="For example 0028-0836.")
DOI = _f("doi", "DOI", help_text="For example 10.1038/171737a0.")
PMID = _f("pmid", "PubMed ID (PMID)")
OCLC = _f("oclc_number", "OCLC number")
PAGES = _f("pages", "Pages", help_text="For example 27-35.")

#: The citation fields each format asks for, in order; ``required`` marks what a lender needs to find it.
FORMAT_FIELDS: dict[str, tuple[Field, ...]] = {
    RequestFormat.BOOK: (
        _f("title", "Title", True), AUTHOR, _f("edition", "Edition"), _f("publisher", "Publisher"),
        _f("place_of_publication", "Place of publication"), YEAR, ISBN, OCLC,
    ),
    RequestFormat.ARTICLE: (
        _f("title", "Article title", True), AUTHOR, _f("container_title", "Journal title", True),
        _f("volume", "Volume"), _f("issue", "Issue"), PAGES, _f("publication_date", "Year", True), ISSN, DOI, PMID,
    ),
    RequestFormat.CHAPTER: (
        _f("title", "Chapter title", True), AUTHOR, _f("container_title", "Book title", True), PAGES,
        _f("edition", "Edition"), _f("publisher", "Publisher"), YEAR, ISBN, OCLC,
    ),
    RequestFormat.CONFERENCE: (
        _f("title", "Paper title", True), AUTHOR,
        _f("container_title", "Conference or proceedings title", True), PAGES, _f("publisher", "Publisher"),
        _f("place_of_publication", "Place of the conference"), YEAR, ISBN, ISSN, DOI,
    ),
    RequestFormat.THESIS: (
        _f("title", "Title", True), AUTHOR, _f("publisher", "University"),
        _f("place_of_publication", "Place"), YEAR, OCLC, DOI,
    ),
    RequestFormat.OTHER: (
        _f("title", "Title", True), AUTHOR, _f("container_title", "Part of (series, journal or book)"),
        _f("volume", "Volume"), PAGES, _f("publisher", "Publisher"), _f("publication_date", "Date"),
        ISBN, ISSN, DOI, OCLC,
    ),
}


class RequestForm(forms.Form):
    """A patron's new request of one format: only that format's citation fields, then the common ones.

    The copyright notice box is required for copies (articles, chapters, conference papers):
    the request cannot be sent without accepting it. ``submit_anyway`` is offered when the
    page shows possible duplicates.
    """

    need_by = forms.DateField(
        label="Needed by", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty if there is no deadline.",
    )
    max_cost = IllRequest._meta.get_field("max_cost").formfield(
        label="Maximum cost you accept", min_value=0,
        help_text="Leave empty if you have no limit; 0 means free only.",
    )
    pickup_location = forms.ModelChoiceField(queryset=None, required=False, label="Pickup location",
                                             empty_label="My usual pickup location")
    delivery_method = forms.ChoiceField(label="Delivery", choices=DeliveryMethod.choices, widget=forms.RadioSelect)
    patron_note = forms.CharField(label="Note to the ILL office", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    copyright_accepted = forms.BooleanField(
        label="I have read the copyright warning above and will use the copy only for private study, "
              "scholarship or research.",
        error_messages={"required": "Copies can only be requested once you accept the copyright warning."},
    )
    #: The discovery system an OpenURL came from, kept for staff through the submit.
    referrer = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    submit_anyway = forms.BooleanField(
        label="I know; send this request anyway.", required=False,
    )

    def __init__(self, *args: Any, format: str, profile: PatronProfile, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.format = RequestFormat(format)
        self.profile = profile
        citation_fields = {}
        for spec in FORMAT_FIELDS[self.format]:
            field = IllRequest._meta.get_field(spec.name).formfield(
                label=spec.label, required=spec.required, help_text=spec.help_text)
            citation_fields[spec.name] = field
        self.fields = {**citation_fields, **self.fields}

        locations = selectors.pickup_locations(library=profile.library)
        self.fields["pickup_location"].queryset = locations
        self.fields["pickup_location"].initial = profile.pickup_location_id
        currency = profile.library.currency
        self.fields["max_cost"].label = f"Maximum cost you accept ({currency})"
        self.fields["need_by"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["delivery_method"].initial = (
            DeliveryMethod.ELECTRONIC if self.is_copy else DeliveryMethod.PHYSICAL)
        if not self.is_copy:
            del self.fields["copyright_accepted"]

    @property
    def is_copy(self) -> bool:
        return self.format in COPY_FORMATS

    @property
    def citation_field_names(self) -> list[str]:
        return [spec.name for spec in FORMAT_FIELDS[self.format]]

    @property
    def citation_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.citation_field_names]

    def clean_need_by(self) -> dt.date | None:
        need_by = self.cleaned_data.get("need_by")
        if need_by and need_by < timezone.localdate():
            raise ValidationError("The date you need it by cannot be in the past.", code="need_by_past")
        return need_by

    def _clean_fields(self) -> None:
        super()._clean_fields()
        # Identifiers are normalised (ISBN-13, NNNN-NNNC, lower-case DOI); each bad one is an error on its field.
        present = {name: self.cleaned_data.get(name, "") for name in identifiers.NORMALIZERS if name in self.fields}
        cleaned, errors = identifiers.normalize_identifiers(present)
        for name, error in errors.items():
            if name in self.cleaned_data:
                self.add_error(name, error)
        for name, value in cleaned.items():
            if name in self.cleaned_data:
                self.cleaned_data[name] = value

    def citation(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for the submit service."""
        data = self.cleaned_data
        citation = {name: data.get(name) or "" for name in self.citation_field_names}
        citation.update(
            format=self.format.value,
            need_by=data.get("need_by"),
            max_cost=data.get("max_cost"),
            delivery_method=data["delivery_method"],
            patron_note=data.get("patron_note", ""),
            max_cost_currency=self.profile.library.currency,
        )
        if data.get("pickup_location") is not None:
            citation["pickup_location"] = data["pickup_location"]
        return citation


class PreferencesForm(forms.ModelForm):
    """A patron's notification preferences and usual pickup location (saved by a service, not the form)."""

    class Meta:
        model = PatronProfile
        fields = ["notify_by_email", "due_date_reminders", "pickup_location"]
        labels = {
            "notify_by_email": "E-mail me when my requests change (ready for pickup, delivered, recalled)",
            "due_date_reminders": "Remind me by e-mail before a loan is due",
            "pickup_location": "Usual pickup location",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pickup_location"].queryset = selectors.pickup_locations(library=self.instance.library)
        self.fields["pickup_location"].empty_label = "No preference"

    def _post_clean(self) -> None:
        # The service saves the profile; the form does not touch the instance.
        pass
