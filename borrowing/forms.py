"""Forms of the borrowing pages. Forms validate and shape input; services decide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model, model_to_dict
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from requests_app import identifiers, messaging
from requests_app.action_input import ActionForm
from requests_app.form_fields import LibrarySymbolField
from requests_app.models import (
    COPY_FORMATS,
    CopyrightAcceptance,
    DeliveryMethod,
    IllRequest,
    Library,
    NoteVisibility,
    PatronCategory,
    PatronProfile,
    RequestChannel,
    RequestFormat,
)

from . import selectors
from .models import PurchaseRule, PurchaseVendor, SupplierSpeed
from .services import loans, review

# Patron side ---------------------------------------------------------------------------------

#: The notice 37 CFR § 201.14 requires on copy order forms, under 17 U.S.C. § 108(d)(2).
COPYRIGHT_WARNING_HEADING = _("Warning concerning copyright restrictions")
COPYRIGHT_WARNING = (
    _("The copyright law of the United States (title 17, United States Code) governs the making of photocopies "
      "or other reproductions of copyrighted material."),
    _("Under certain conditions specified in the law, libraries and archives are authorized to furnish a "
      "photocopy or other reproduction. One of these specific conditions is that the photocopy or reproduction "
      "is not to be “used for any purpose other than private study, scholarship, or research.” If a user makes "
      "a request for, or later uses, a photocopy or reproduction for purposes in excess of “fair use,” that user "
      "may be liable for copyright infringement."),
    _("This institution reserves the right to refuse to accept a copying order if, in its judgment, fulfillment "
      "of the order would involve violation of copyright law."),
)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    help_text: str = ""


def _f(name: str, label: str, required: bool = False, help_text: str = "") -> Field:
    return Field(name, label, required, help_text)


AUTHOR = _f("author", _("Author"), help_text=_("Last name, first name; separate several authors with “;”."))
YEAR = _f("publication_date", _("Year"))
ISBN = _f("isbn", _("ISBN"), help_text=_("10 or 13 digits, hyphens allowed."))
ISSN = _f("issn", _("ISSN"), help_text=_("For example 0028-0836."))
DOI = _f("doi", _("DOI"), help_text=_("For example 10.1038/171737a0."))
PMID = _f("pmid", _("PubMed ID (PMID)"))
OCLC = _f("oclc_number", _("OCLC number"))
PAGES = _f("pages", _("Pages"), help_text=_("For example 27-35."))

#: The citation fields each format asks for, in order; ``required`` marks what a lender needs to find it.
FORMAT_FIELDS: dict[str, tuple[Field, ...]] = {
    RequestFormat.BOOK: (
        _f("title", _("Title"), True), AUTHOR, _f("edition", _("Edition")), _f("publisher", _("Publisher")),
        _f("place_of_publication", _("Place of publication")), YEAR, ISBN, OCLC,
    ),
    RequestFormat.ARTICLE: (
        _f("title", _("Article title"), True), AUTHOR, _f("container_title", _("Journal title"), True),
        _f("volume", _("Volume")), _f("issue", _("Issue")), PAGES, _f("publication_date", _("Year"), True),
        ISSN, DOI, PMID,
    ),
    RequestFormat.CHAPTER: (
        _f("title", _("Chapter title"), True), AUTHOR, _f("container_title", _("Book title"), True), PAGES,
        _f("edition", _("Edition")), _f("publisher", _("Publisher")), YEAR, ISBN, OCLC,
    ),
    RequestFormat.CONFERENCE: (
        _f("title", _("Paper title"), True), AUTHOR,
        _f("container_title", _("Conference or proceedings title"), True), PAGES, _f("publisher", _("Publisher")),
        _f("place_of_publication", _("Place of the conference")), YEAR, ISBN, ISSN, DOI,
    ),
    RequestFormat.THESIS: (
        _f("title", _("Title"), True), AUTHOR, _f("publisher", _("University")),
        _f("place_of_publication", _("Place")), YEAR, OCLC, DOI,
    ),
    RequestFormat.OTHER: (
        _f("title", _("Title"), True), AUTHOR, _f("container_title", _("Part of (series, journal or book)")),
        _f("volume", _("Volume")), PAGES, _f("publisher", _("Publisher")), _f("publication_date", _("Date")),
        ISBN, ISSN, DOI, OCLC,
    ),
}


#: A field a link may carry that its format's form does not ask for (a DOI on a book, the publisher of a
#: journal), shown after that format's fields so nothing the link gave is lost. In the order of the model.
EXTRA_FIELDS: dict[str, Field] = {spec.name: spec for spec in (
    _f("container_title", _("Part of (series, journal or book)")), _f("volume", _("Volume")), _f("issue", _("Issue")),
    PAGES, _f("edition", _("Edition")), _f("publisher", _("Publisher")),
    _f("place_of_publication", _("Place of publication")),
    YEAR, ISBN, ISSN, OCLC, DOI, PMID,
)}


class RequestForm(forms.Form):
    """A patron's new request of one format: only that format's citation fields, then the common ones.

    ``extra_fields`` names citation fields beyond the format's own (see ``EXTRA_FIELDS``) that an
    OpenURL link filled in; they are shown after the format's fields and sent with the request.

    The copyright notice box is required for copies (articles, chapters, conference papers):
    the request cannot be sent without accepting it. ``submit_anyway`` is offered when the
    page shows possible duplicates.
    """

    need_by = forms.DateField(
        label=_("Needed by"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if there is no deadline."),
    )
    max_cost = IllRequest._meta.get_field("max_cost").formfield(
        label=_("Maximum cost you accept"), min_value=0,
        help_text=_("Leave empty if you have no limit; 0 means free only."),
    )
    pickup_location = forms.ModelChoiceField(queryset=None, required=False, label=_("Pickup location"),
                                             empty_label=_("My usual pickup location"))
    delivery_method = forms.ChoiceField(label=_("Delivery"), choices=DeliveryMethod.choices, widget=forms.RadioSelect)
    patron_note = forms.CharField(label=_("Note to the ILL office"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    copyright_accepted = forms.BooleanField(
        label=_("I have read the copyright warning above and will use the copy only for private study, "
                "scholarship or research."),
        error_messages={"required": _("Copies can only be requested once you accept the copyright warning.")},
    )
    #: The discovery system an OpenURL came from, kept for staff through the submit.
    referrer = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    submit_anyway = forms.BooleanField(
        label=_("I know; send this request anyway."), required=False,
    )

    def __init__(self, *args: Any, format: str, profile: PatronProfile, extra_fields=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.format = RequestFormat(format)
        self.profile = profile
        own = {spec.name for spec in FORMAT_FIELDS[self.format]}
        self.specs = FORMAT_FIELDS[self.format] + tuple(
            spec for name, spec in EXTRA_FIELDS.items() if name in set(extra_fields) and name not in own)
        citation_fields = {}
        for spec in self.specs:
            field = IllRequest._meta.get_field(spec.name).formfield(
                label=spec.label, required=spec.required, help_text=spec.help_text)
            citation_fields[spec.name] = field
        self.fields = {**citation_fields, **self.fields}

        locations = selectors.pickup_locations(library=profile.library)
        self.fields["pickup_location"].queryset = locations
        self.fields["pickup_location"].initial = profile.pickup_location_id
        currency = profile.library.currency
        self.fields["max_cost"].label = gettext("Maximum cost you accept (%(currency)s)") % {"currency": currency}
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
        return [spec.name for spec in self.specs]

    @staticmethod
    def extra_fields_in(data) -> list[str]:
        """The extra citation fields a submitted form carried (they were shown because its link filled them)."""
        return [name for name in EXTRA_FIELDS if name in data]

    @property
    def citation_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.citation_field_names]

    def clean_need_by(self) -> dt.date | None:
        need_by = self.cleaned_data.get("need_by")
        if need_by and need_by < timezone.localdate():
            raise ValidationError(_("The date you need it by cannot be in the past."), code="need_by_past")
        return need_by

    def _clean_fields(self) -> None:
        super()._clean_fields()
        # Identifiers are normalised (ISBN-13, NNNN-NNNC, a DOI without its resolver); a bad one is its error.
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
        fields = ["notify_by_email", "due_date_reminders", "pickup_location", "language"]
        labels = {
            "notify_by_email": _("E-mail me when my requests change (ready for pickup, delivered, recalled)"),
            "due_date_reminders": _("Remind me by e-mail before a loan is due"),
            "pickup_location": _("Usual pickup location"),
            "language": _("Language of my pages and e-mails"),
        }
        help_texts = {"language": _("The language switcher at the top of every page changes it too.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pickup_location"].queryset = selectors.pickup_locations(library=self.instance.library)
        self.fields["pickup_location"].empty_label = _("No preference")

    def _post_clean(self) -> None:
        # The service saves the profile; the form does not touch the instance.
        pass


class PatronMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Write to the interlibrary loan office"), max_length=messaging.MAX_NOTE_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("About this request only. Staff answer here and by e-mail."),
        error_messages={"required": _("Write a message before sending it.")},
    )


# Staff side ----------------------------------------------------------------------------------

#: The citation fields' labels and help on the staff's form (the model's own names are English).
CITATION_LABELS = {
    "format": _("Format"), "title": _("Title"), "author": _("Author"), "container_title": _("Journal or book title"),
    "volume": _("Volume"), "issue": _("Issue"), "pages": _("Pages"), "publication_date": _("Date"),
    "edition": _("Edition"), "publisher": _("Publisher"), "place_of_publication": _("Place of publication"),
    "isbn": _("ISBN"), "issn": _("ISSN"), "oclc_number": _("OCLC number"), "doi": _("DOI"), "pmid": _("PMID"),
    "need_by": _("Needed by"), "max_cost": _("Maximum cost"),
}
CITATION_HELP = {
    "title": _("Book title, or the article or chapter title."),
    "container_title": _("The journal of an article, the book of a chapter."),
    "publication_date": _("Year, or a fuller date."),
    "max_cost": _("The most the patron accepts to pay; empty: no limit stated."),
}


class CitationForm(forms.Form):
    """The citation fields; the service validates the whole row (``full_clean``) and normalises identifiers."""

    def __init__(self, *args, instance: IllRequest | None = None, **kwargs):
        if instance is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(instance, fields=review.CITATION_FIELDS)
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(IllRequest, fields=review.CITATION_FIELDS, labels=CITATION_LABELS,
                                            help_texts=CITATION_HELP,
                                            widgets={"need_by": forms.DateInput(attrs={"type": "date"})}))
        # Identifiers arrive with hyphens and spaces: the model normalises them and says which are bad.
        for name in ("isbn", "issn"):
            self.fields[name] = forms.CharField(label=self.fields[name].label, required=False, max_length=40)


class PatronSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the patron"), max_length=100, required=False,
                        help_text=_("Name, e-mail or library card barcode."),
                        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "type": "search"}))


class StaffRequestForm(RequestForm):
    """The patron's request form as staff fill it for them: the same fields and checks, worded about the
    patron, with how the request came in and, for a copy, how the patron accepted the copyright warning
    (signed, by e-mail, read to them) in place of the patron's own tick box."""

    channel = forms.ChoiceField(label=_("How the request came in"), choices=RequestChannel.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": _("Choose how the request came in.")})
    copyright_received = forms.ChoiceField(
        label=_("How the patron accepted the copyright warning"), widget=forms.RadioSelect,
        choices=CopyrightAcceptance.choices,
        error_messages={"required": _("Copies can only be requested once the patron has accepted the copyright "
                                      "warning: record how they did.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("copyright_accepted", None)
        if not self.is_copy:
            del self.fields["copyright_received"]
        currency = self.profile.library.currency
        self.fields["max_cost"].label = gettext("Maximum cost the patron accepts (%(currency)s)") % {
            "currency": currency}
        self.fields["max_cost"].help_text = _("Leave empty if they set no limit; 0 means free only.")
        self.fields["pickup_location"].empty_label = _("The patron's usual pickup location")
        self.fields["patron_note"].label = _("The patron's note to the ILL office")
        self.fields["need_by"].help_text = _("Leave empty if the patron has no deadline.")
        self.fields["submit_anyway"].label = _("The patron knows; make this request anyway.")


class AddLenderForm(forms.Form):
    lender = LibrarySymbolField(label=_("Add a lender"), widget=forms.TextInput(attrs={"placeholder": _("Symbol")}),
                                error_messages={"required": _("Type the symbol of the library to add."),
                                                "unknown": _("No active library other than ours has the symbol "
                                                             "%(symbol)s.")})

    def __init__(self, *args, library: Library, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = selectors.rota_lender_choices(library=library)


class ScanForm(forms.Form):
    mode = forms.ChoiceField(label=_("Scanner mode"), choices=loans.ScanMode.choices)
    code = forms.CharField(label=_("Request barcode"), max_length=40,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                         "placeholder": "B123"}))


class StaffNoteForm(forms.Form):
    """A note on a borrowing request: for our staff, the lender (sent now) or the patron (e-mailed)."""

    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))
    visibility = forms.ChoiceField(label=pgettext_lazy("a note", "For"), choices=NoteVisibility.choices,
                                   initial=NoteVisibility.INTERNAL)


# The forms of the actions on a request page (named by the workflow's transitions).

class NoteForm(ActionForm):
    """An action shown as a button alone: a note may come with it (the bulk actions send one), none is asked."""

    note = forms.CharField(required=False, widget=forms.HiddenInput)


class OwnedLocallyForm(ActionForm):
    """Cancelling because the library owns the item: where the patron finds it, which they are told."""

    note = forms.CharField(label=_("Where the patron finds it (they see this)"),
                           widget=forms.Textarea(attrs={"class": "form-control mb-1", "rows": 2}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        return {"reason": self.cleaned_data["note"]}


class FreeOnlineForm(ActionForm):
    """Cancelling because a free, legal copy is online: where the patron reads it, which they are told."""

    note = forms.CharField(label=_("Where the patron reads it, e.g. its link (they see this)"),
                           widget=forms.Textarea(attrs={"class": "form-control mb-1", "rows": 2}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        return {"reason": self.cleaned_data["note"]}


class ReturnShipForm(ActionForm):
    """Shipping the lender's item back: the carrier and tracking number go to the lender in the ShippedReturn note."""

    carrier = forms.CharField(label=_("Carrier"), max_length=50, required=False,
                              help_text=_("E.g. UPS, USPS, courier."),
                              widget=forms.TextInput(attrs={"class": "form-control mb-1"}))
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False,
                                      widget=forms.TextInput(attrs={"class": "form-control mb-1"}))


class ClearanceForm(ActionForm):
    """Copyright cleared: the fee paid (in the library's currency unless another is given) or the exception."""

    fee = forms.DecimalField(label=_("Clearance fee"), required=False, min_value=Decimal("0"), decimal_places=2,
                             max_digits=9)
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="USD")
    exception_note = forms.CharField(label=_("Or the exception that applies"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}),
                                     help_text=_("E.g. our own subscription, public domain, licence."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = self.ill_request.library.currency

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("fee") is None and not (cleaned.get("exception_note") or "").strip():
            raise forms.ValidationError(_("Record the clearance fee paid or the exception that applies."))
        return cleaned


# Purchase on demand --------------------------------------------------------------------------

class PurchaseOrderForm(ActionForm):
    """Buying instead of borrowing: the vendor, its price for one copy (its quote), how many, the fund."""

    vendor = forms.ModelChoiceField(label=_("Vendor"), queryset=PurchaseVendor.objects.none(), empty_label=None)
    unit_price = forms.DecimalField(label=_("Price per copy (the vendor's quote)"), min_value=Decimal("0.01"),
                                    max_digits=9, decimal_places=2,
                                    help_text=_("In the vendor's currency; the rule's price limit is checked."))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=99, initial=1)
    fund = forms.CharField(label=_("Fund"), max_length=100, required=False,
                           help_text=_("Empty: the rule's fund, else the patron's department."))
    outside_rules = forms.BooleanField(label=_("Order outside the rules"), required=False,
                                       help_text=_("Buy it even though no purchase rule allows it."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = PurchaseVendor.objects.filter(library=self.ill_request.library_id,
                                                                       active=True).order_by("name", "pk")

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        data = self.cleaned_data
        return {"vendor": data["vendor"], "unit_price": data["unit_price"], "quantity": data["quantity"],
                "fund": data.get("fund") or "", "outside_rules": bool(data.get("outside_rules")),
                "expected_status": self.ill_request.status}


class PurchaseReceiptForm(ActionForm):
    """The bought copy arrived: the vendor's invoice, where its price differs from the order's."""

    invoiced_price = forms.DecimalField(label=_("Invoiced price per copy (empty: as ordered)"), required=False,
                                        min_value=Decimal("0.01"), max_digits=9, decimal_places=2,
                                        widget=forms.NumberInput(attrs={"class": "form-control mb-1",
                                                                        "step": "0.01"}))
    invoice_number = forms.CharField(label=_("Vendor's invoice number"), max_length=64, required=False,
                                     widget=forms.TextInput(attrs={"class": "form-control mb-1"}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        return {"invoiced_price": self.cleaned_data.get("invoiced_price"),
                "invoice_number": self.cleaned_data.get("invoice_number") or "",
                "expected_status": self.ill_request.status}


class PurchaseCancelForm(ActionForm):
    """Cancelling a purchase: why, which the vendor (asked to cancel the order) and the patron read."""

    note = forms.CharField(label=_("Why (the vendor and the patron read this)"), max_length=500,
                           widget=forms.Textarea(attrs={"class": "form-control mb-1", "rows": 2}))


def _currency(value: str) -> str:
    value = (value or "").strip().upper()
    if value and (len(value) != 3 or not value.isalpha() or not value.isascii()):
        raise ValidationError(_("An ISO 4217 code: three letters, e.g. EUR."))
    return value


class _NamedPerLibrary(forms.ModelForm):
    """A library's row whose name is unique in the library (the library is not a field of the form)."""

    def __init__(self, *args: Any, library: Library, **kwargs: Any) -> None:
        self.library = library
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = " ".join((self.cleaned_data.get("name") or "").split())
        if not name:
            raise ValidationError(_("Give it a name."))
        taken = self._meta.model.objects.filter(library=self.library, name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("The library already has one with this name."))
        return name


class PurchaseRuleForm(_NamedPerLibrary):
    formats = forms.MultipleChoiceField(label=_("Formats"), choices=RequestFormat.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple,
                                        help_text=_("The kinds of item it buys; none ticked: any."))
    patron_categories = forms.MultipleChoiceField(label=_("Patron categories"), choices=PatronCategory.choices,
                                                  required=False, widget=forms.CheckboxSelectMultiple,
                                                  help_text=_("For these patrons only; none ticked: any patron."))

    class Meta:
        model = PurchaseRule
        fields = ["name", "active", "formats", "published_within_years", "max_price", "currency",
                  "patron_categories", "exclude_theses", "fund"]

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data.get("currency"))

    def clean(self):
        cleaned = super().clean()
        price, currency = cleaned.get("max_price"), cleaned.get("currency")
        if price is not None and not currency and "currency" not in self.errors:
            self.add_error("currency", _("A price limit needs its currency."))
        if price is None and currency and "max_price" not in self.errors:
            self.add_error("max_price", _("Give the price limit this currency is for, or empty the currency."))
        formats = cleaned.get("formats") or []
        if cleaned.get("exclude_theses") and formats == [RequestFormat.THESIS]:
            self.add_error("formats", _("This rule buys only theses but excludes them: it would never propose."))
        return cleaned


class PurchaseVendorForm(_NamedPerLibrary):
    api_base_url = forms.URLField(label=_("API base URL"), required=False, max_length=200, assume_scheme="https",
                                  help_text=PurchaseVendor._meta.get_field("api_base_url").help_text)

    class Meta:
        model = PurchaseVendor
        fields = ["name", "order_email", "account_number", "customer_id", "currency", "api_base_url", "active"]

    def clean_currency(self) -> str:
        value = _currency(self.cleaned_data.get("currency"))
        if not value:
            raise ValidationError(_("The currency of its prices, e.g. EUR."))
        return value

    def clean_api_base_url(self) -> str:
        url = (self.cleaned_data.get("api_base_url") or "").strip()
        if url and not url.lower().startswith(("http://", "https://")):
            raise ValidationError(_("An http or https address."))
        return url.rstrip("/")
class SupplierOrderForm(ActionForm):
    """Ordering the copy from one of the library's commercial document suppliers, at a speed its price list has."""

    supplier = forms.ChoiceField(label=_("Supplier"), widget=forms.Select(attrs={"class": "form-select mb-1"}))
    speed = forms.ChoiceField(label=_("Speed"), required=False,
                              widget=forms.Select(attrs={"class": "form-select mb-1"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .services.suppliers import orderable_suppliers, quote  # the services import the models this module does

        self.offers = []
        for supplier in orderable_suppliers(self.ill_request):
            offer = quote(supplier, self.ill_request)
            if offer is not None:
                self.offers.append(offer)
        self.fields["supplier"].choices = [
            (offer.supplier.pk, _("%(name)s: %(total)s %(currency)s, about %(hours)d h (%(copyright)s)") % {
                "name": offer.supplier.name, "total": offer.total, "currency": offer.supplier.currency,
                "hours": offer.delivery_hours, "copyright": offer.copyright_note})
            for offer in self.offers]
        self.fields["speed"].choices = [("", _("The cheapest on its price list")), *SupplierSpeed.choices]

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        return {"supplier": int(self.cleaned_data["supplier"]), "speed": self.cleaned_data.get("speed") or ""}


class SupplierDeliveryForm(ActionForm):
    """The copy the supplier sent (a PDF), which the patron then downloads."""

    document = forms.FileField(label=_("The supplier's PDF"),
                               widget=forms.ClearableFileInput(attrs={"class": "form-control mb-1",
                                                                      "accept": "application/pdf"}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        return {"document": self.cleaned_data["document"]}


class SupplierFailedForm(ActionForm):
    """Why the supplier could not supply (kept on the rota entry and in the history)."""

    reason = forms.CharField(label=_("Why"), max_length=200,
                             widget=forms.TextInput(attrs={"class": "form-control mb-1"}))

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}
