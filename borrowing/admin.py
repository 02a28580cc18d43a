from django.contrib import admin
from django.db import models

from requests_app.admin_lists import LargeTableAdmin
from requests_app.admin_scope import MemberLibraryScopedAdmin
from requests_app.utilities.admin_lists import recent_years, values_filter

from .models import (
    CopyrightRecord,
    PatronDownload,
    PurchaseOrder,
    PurchaseRule,
    PurchaseVendor,
    ReminderLog,
    ReturnShipment,
    RotaEntry,
)


@admin.register(RotaEntry)
class RotaEntryAdmin(LargeTableAdmin):
    list_display = ("request", "position", "lender", "status", "sent_at", "answered_at")
    list_filter = ("status",)
    list_select_related = ("request", "lender")
    raw_id_fields = ("request", "lender")
    search_fields = ("=request__id", "=lender__symbol")
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"


@admin.register(CopyrightRecord)
class CopyrightRecordAdmin(LargeTableAdmin):
    list_display = ("request", "journal_key", "request_year", "publication_year", "compliance", "counted",
                    "clearance_fee", "clearance_currency")
    list_filter = ("compliance", "counted", values_filter("request_year", "request year", recent_years()))
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
    readonly_fields = ["url", "received_at", "download_count", "last_downloaded_at"]
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
