from django.contrib import admin

from requests_app.admin_lists import LargeTableAdmin, MemberLibraryFilter
from requests_app.admin_scope import MemberLibraryScopedAdmin, MemberLibraryScopedInline
from requests_app.utilities.ids import parse_id

from .models import DownloadLog, ElectronicDelivery, Holding, HoldingsImport, LendingDetail, PartnerLendingRule


@admin.register(Holding)
class HoldingAdmin(LargeTableAdmin):
    list_display = ["title", "author", "library", "call_number", "location", "barcode", "lendable"]
    list_filter = ["library", "format", "lendable", "circulates", "copyable"]
    search_fields = ["title", "author", "isbn", "issn", "oclc_number", "barcode", "call_number"]
    raw_id_fields = ["source_import"]


@admin.register(HoldingsImport)
class HoldingsImportAdmin(MemberLibraryScopedAdmin):
    list_display = ["original_name", "library", "status", "total", "imported", "failed", "created_at"]
    list_filter = ["status", MemberLibraryFilter]
    readonly_fields = ["status", "total", "processed", "imported", "failed", "errors", "message", "started_at",
                       "finished_at"]


@admin.register(LendingDetail)
class LendingDetailAdmin(LargeTableAdmin):
    list_display = ["request", "match_kind", "holding", "checked_at"]
    list_filter = ["match_kind"]
    raw_id_fields = ["request", "holding"]
    library_path = "request__library"

    def get_object(self, request, object_id, from_field=None):
        """The detail's key is its request's id: a number no id can be is no detail (the admin says so).

        The key is a relation, and Django checks the range of a plain integer key only: SQLite could
        not bind a larger number.
        """
        if from_field is None and parse_id(object_id) is None:
            return None
        return super().get_object(request, object_id, from_field)


class DownloadLogInline(MemberLibraryScopedInline, admin.TabularInline):
    model = DownloadLog
    library_path = "delivery__request__library"
    extra = 0
    readonly_fields = ["at", "ip", "user_agent"]


@admin.register(ElectronicDelivery)
class ElectronicDeliveryAdmin(LargeTableAdmin):
    list_display = ["request", "download_count", "max_downloads", "expires_at", "deleted_at"]
    raw_id_fields = ["request", "created_by"]
    readonly_fields = ["token", "download_count", "deleted_at"]
    library_path = "request__library"
    inlines = [DownloadLogInline]


@admin.register(PartnerLendingRule)
class PartnerLendingRuleAdmin(MemberLibraryScopedAdmin):
    """Normally edited by the ILL administrator at /policies/partners/."""

    list_display = ["library", "partner", "lends_loans", "lends_copies", "max_loans_outstanding", "loan_period_days"]
    list_select_related = ["library", "partner"]
    raw_id_fields = ["library", "partner"]
    search_fields = ["partner__symbol", "library__symbol"]

