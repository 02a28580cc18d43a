"""Admin for the tables staff set up (fee schedules, budgets, billing settings); charges and invoices
are read-only here: they change through the billing screens' services, and invoices are never deleted."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from requests_app.admin_lists import LargeTableAdmin, library_currencies
from requests_app.admin_scope import MemberLibraryScopedAdmin, MemberLibraryScopedInline
from requests_app.utilities.admin_lists import values_filter

from .models import (
    BillingSettings,
    Budget,
    Charge,
    ChargeAdjustment,
    ExchangeRate,
    FeeSchedule,
    Invoice,
    InvoiceLine,
    Payment,
)


@admin.register(FeeSchedule)
class FeeScheduleAdmin(MemberLibraryScopedAdmin):
    list_display = ["library", "partner", "direction", "service", "amount", "currency", "effective_from",
                    "effective_to"]
    list_filter = ["direction", "service", "currency"]
    list_select_related = ["library", "partner"]
    autocomplete_fields = ["partner"]
    search_fields = ["library__symbol", "partner__symbol"]


@admin.register(Budget)
class BudgetAdmin(MemberLibraryScopedAdmin):
    list_display = ["library", "fiscal_year", "fund", "starts_on", "ends_on", "amount", "currency"]
    list_filter = ["fiscal_year"]
    list_select_related = ["library"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(MemberLibraryScopedAdmin):
    list_display = ["library", "currency", "base_currency", "rate", "valid_from", "source"]
    list_filter = ["currency", "base_currency"]
    list_select_related = ["library"]


@admin.register(BillingSettings)
class BillingSettingsAdmin(MemberLibraryScopedAdmin):
    list_display = ["library", "passes_costs_to_patrons", "invoice_prefix", "last_invoice_sequence",
                    "payment_terms_days", "budget_warning_percent"]
    readonly_fields = ["last_invoice_sequence"]


class ReadOnlyAdmin(MemberLibraryScopedAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ChargeAdjustmentInline(MemberLibraryScopedInline, admin.TabularInline):
    model = ChargeAdjustment
    library_path = "charge__library"
    extra = 0
    can_delete = False
    readonly_fields = ["action", "old_amount", "new_amount", "reason", "actor", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Charge)
class ChargeAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = ["incurred_at", "library", "partner", "request", "direction", "service", "amount", "currency",
                    "status", "invoice"]
    list_filter = ["direction", "service", "status", values_filter("currency", _("currency"), library_currencies)]
    list_select_related = ["library", "partner", "request", "invoice"]
    inlines = [ChargeAdjustmentInline]
    patron_path, request_path = "patron", "request"


class InvoiceLineInline(MemberLibraryScopedInline, admin.TabularInline):
    model = InvoiceLine
    library_path = "invoice__library"
    extra = 0
    can_delete = False
    fields = ["position", "request_number", "partner_reference", "description", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "library", "partner", "period_start", "status", "total", "currency"]
    list_filter = ["kind", "status", "currency"]
    list_select_related = ["library", "partner"]
    search_fields = ["number", "recipient_symbol"]
    inlines = [InvoiceLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "amount", "received_on", "reference"]
    list_select_related = ["invoice"]
    library_path = "invoice__library"
