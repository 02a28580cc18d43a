from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.admin_lists import LargeTableAdmin
from requests_app.admin_scope import MemberLibraryScopedAdmin, MemberLibraryScopedInline
from requests_app.utilities import credentials
from requests_app.utilities.admin_lists import recent_years, values_filter

from .models import (
    CopyrightRecord,
    DocumentSupplier,
    PatronDownload,
    PurchaseOrder,
    PurchaseRule,
    PurchaseVendor,
    ReminderLog,
    ReturnShipment,
    RotaEntry,
    SupplierOrder,
    SupplierPrice,
)
from .services.suppliers import parse_publisher_fees


@admin.register(RotaEntry)
class RotaEntryAdmin(LargeTableAdmin):
    list_display = ("request", "position", "lender", "supplier", "status", "sent_at", "answered_at")
    list_filter = ("status",)
    list_select_related = ("request", "lender", "supplier")
    raw_id_fields = ("request", "lender", "supplier")
    search_fields = ("=request__id", "=lender__symbol")
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"


@admin.register(CopyrightRecord)
class CopyrightRecordAdmin(LargeTableAdmin):
    list_display = ("request", "journal_key", "request_year", "publication_year", "compliance", "counted",
                    "clearance_fee", "clearance_currency")
    list_filter = ("compliance", "counted", values_filter("request_year", _("request year"), recent_years()))
    list_select_related = ("request",)
    raw_id_fields = ("request", "library")
    search_fields = ("journal_key", "journal_title")
    patron_path, request_path = "request__patron", "request"


@admin.register(ReminderLog)
class ReminderLogAdmin(LargeTableAdmin):
    list_display = ("request", "stage", "due_date", "sent_on")
    list_filter = ("stage",)
    list_select_related = ("request",)
    raw_id_fields = ("request",)
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"


@admin.register(PatronDownload)
class PatronDownloadAdmin(LargeTableAdmin):
    """A patron's copy link; staff may extend it (expiry, downloads) when a patron asks."""

    list_display = ["request", "received_at", "expires_at", "download_count", "max_downloads"]
    raw_id_fields = ["request"]
    readonly_fields = ["url", "document", "received_at", "download_count", "last_downloaded_at"]
    search_fields = ["=request__id"]
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"



@admin.register(ReturnShipment)
class ReturnShipmentAdmin(LargeTableAdmin):
    """How a lender's item went back: carrier and tracking number (also in the ShippedReturn note)."""

    list_display = ["request", "shipped_at", "carrier", "tracking_number"]
    list_select_related = ["request"]
    raw_id_fields = ["request"]
    search_fields = ["=request__id", "=tracking_number"]
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"


@admin.register(PurchaseVendor)
class PurchaseVendorAdmin(MemberLibraryScopedAdmin):
    """Normally edited by the ILL administrator at /policies/purchasing/vendors/."""

    list_display = ["name", "library", "order_email", "currency", "active"]
    list_filter = ["active"]
    list_select_related = ["library"]
    raw_id_fields = ["library"]
    search_fields = ["name", "library__symbol"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(PurchaseRule)
class PurchaseRuleAdmin(MemberLibraryScopedAdmin):
    """Normally edited by the ILL administrator at /policies/purchasing/."""

    list_display = ["name", "library", "active", "published_within_years", "max_price", "currency"]
    list_filter = ["active"]
    list_select_related = ["library"]
    raw_id_fields = ["library", "updated_by"]
    search_fields = ["name", "library__symbol"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(LargeTableAdmin):
    """A purchase instead of a loan, as ordered: a frozen copy (its MARC record and CSV were sent)."""

    list_display = ["number", "library", "vendor", "quantity", "unit_price", "currency", "ordered_at", "received_at"]
    list_select_related = ["library", "vendor"]
    raw_id_fields = ["request", "library", "vendor", "rule", "ordered_by"]
    readonly_fields = ["marc_record", "csv_text", "number", "unit_price", "quantity", "currency", "ordered_at"]
    search_fields = ["=number", "=request__id"]
    library_path = "library"
    patron_path, request_path = "request__patron", "request"
class DocumentSupplierForm(forms.ModelForm):
    """A supplier's settings, checked as ordering will use them; the API key is written, never shown."""

    new_api_key = forms.CharField(label=_("New API key"), required=False, strip=True,
                                  widget=forms.PasswordInput(render_value=False),
                                  help_text=_("Stored encrypted and never shown again; leave empty to keep the one "
                                              "set."))
    clear_api_key = forms.BooleanField(label=_("Clear the stored API key"), required=False)

    class Meta:
        model = DocumentSupplier
        fields = ["library", "name", "code", "active", "in_rota", "country", "currency", "account_number",
                  "order_email", "api_base_url", "copyright_fee_included", "copyright_fee", "publisher_fees"]

    def clean_api_base_url(self) -> str:
        url = (self.cleaned_data.get("api_base_url") or "").strip()
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError(_("An http or https address."))
        return url

    def clean_publisher_fees(self) -> str:
        text = self.cleaned_data.get("publisher_fees") or ""
        try:
            parse_publisher_fees(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("order_email") and not cleaned.get("api_base_url"):
            raise forms.ValidationError(_("Give the supplier's order e-mail or its API address: orders go to one "
                                          "of them."))
        if cleaned.get("new_api_key") and cleaned.get("clear_api_key"):
            self.add_error("clear_api_key", _("Either replace the key or clear it, not both."))
        return cleaned

    def save(self, commit: bool = True):
        supplier = super().save(commit=False)
        if self.cleaned_data.get("new_api_key"):
            supplier.api_key = credentials.encrypt(self.cleaned_data["new_api_key"])
        elif self.cleaned_data.get("clear_api_key"):
            supplier.api_key = ""
        if commit:
            supplier.save()
        return supplier


class SupplierPriceInline(MemberLibraryScopedInline, admin.TabularInline):
    model = SupplierPrice
    extra = 1
    library_path = "supplier__library"


@admin.register(DocumentSupplier)
class DocumentSupplierAdmin(MemberLibraryScopedAdmin):
    """A member library's commercial document suppliers, with their price lists (docs/sourcing.md)."""

    form = DocumentSupplierForm
    list_display = ["name", "code", "library", "active", "in_rota", "currency", "copyright_fee_included"]
    list_filter = ["active", "in_rota"]
    list_select_related = ["library"]
    search_fields = ["name", "code"]
    inlines = [SupplierPriceInline]


@admin.register(SupplierOrder)
class SupplierOrderAdmin(LargeTableAdmin):
    """Orders of copies from document suppliers: read here, changed through the request page."""

    list_display = ["request", "supplier", "status", "channel", "price", "copyright_fee", "currency",
                    "supplier_reference", "ordered_at", "answered_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["request", "supplier"]
    raw_id_fields = ["request", "supplier"]
    readonly_fields = ["request", "supplier", "status", "channel", "speed", "price", "copyright_fee",
                       "copyright_fee_included", "currency", "delivery_hours", "supplier_reference",
                       "api_placed_at", "api_claimed_at", "api_attempts", "api_next_at", "last_error", "document",
                       "failure_reason", "ordered_at", "answered_at"]
    search_fields = ["=request__id", "=supplier_reference"]
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"

    def has_add_permission(self, request) -> bool:
        return False
