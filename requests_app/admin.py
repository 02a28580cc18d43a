from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from . import privacy, services
from .admin_lists import (
    EventActionFilter,
    LargeTableAdmin,
    MemberLibraryFilter,
    MessageKindFilter,
    RequestStatusFilter,
)
from .models import (
    EmailTemplate,
    Event,
    IllRequest,
    InboundMessage,
    Library,
    LibraryPolicy,
    Note,
    OutboxMessage,
    PartnerApiKey,
    PatronProfile,
    PatronRecordAccess,
    PickupLocation,
    PolicyChange,
    StaffProfile,
)


class PickupLocationInline(admin.TabularInline):
    model = PickupLocation
    extra = 0


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "is_member", "active", "agency_id_type", "agency_id_value", "country"]
    list_filter = ["is_member", "active", "agency_id_type", "country", "lends_loans", "lends_copies"]
    search_fields = ["symbol", "name", "agency_id_value", "city", "email"]
    inlines = [PickupLocationInline]
    fieldsets = [
        (None, {"fields": ["symbol", "name", "is_member", "active"]}),
        ("Address and contact", {"fields": ["address_line1", "address_line2", "city", "region", "postal_code",
                                            "country", "contact_name", "email", "phone", "billing_email",
                                            "timezone", "currency"]}),
        ("Partner protocol", {"fields": ["agency_id_type", "agency_id_value", "iso18626_endpoint",
                                         "iso18626_version", "rest_endpoint", "outgoing_api_key",
                                         "require_api_key", "ip_allowlist"]}),
        ("Lending policy", {"fields": ["lends_loans", "lends_copies", "loan_period_days", "loan_fee", "copy_fee",
                                       "reciprocal_groups", "max_loans_outstanding", "lending_notes"]}),
    ]


@admin.register(PatronProfile)
class PatronProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "card_barcode", "library", "category", "department", "blocked"]
    list_filter = ["library", "category", "blocked"]
    search_fields = ["card_barcode", "user__username", "user__first_name", "user__last_name", "user__email",
                     "department"]
    list_select_related = ["user", "library"]
    autocomplete_fields = ["user"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            patron_id = PatronProfile.objects.filter(pk=object_id).values_list("user_id", flat=True).first()
            if patron_id is not None:
                privacy.log_patron_access(request.user, patron=patron_id, what="admin patron profile",
                                          path=request.path)
        return response


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "library"]
    list_filter = ["library"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "library"]
    autocomplete_fields = ["user"]


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_status", "to_status", "actor_kind", "actor_user", "actor_library",
              "source", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class NoteInline(admin.TabularInline):
    model = Note
    extra = 0
    fields = ["created_at", "visibility", "text", "author", "author_library"]
    readonly_fields = ["created_at", "author", "author_library"]


@admin.register(IllRequest)
class IllRequestAdmin(LargeTableAdmin):
    list_display = ["id", "role", "library", "partner", "status", "format", "title", "patron", "updated_at"]
    list_filter = ["role", RequestStatusFilter, "format", "service_type", MemberLibraryFilter, "copyright_compliance",
                   ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=id", "title", "author", "container_title", "isbn", "issn", "doi", "pmid", "oclc_number",
                     "requesting_agency_request_id", "supplying_agency_request_id", "patron__username",
                     "patron__last_name"]
    list_select_related = ["library", "partner", "patron"]
    raw_id_fields = ["patron"]
    # The status changes only through workflow actions, which write the audit log.
    readonly_fields = ["role", "status", "status_changed_at", "created_at", "updated_at"]
    inlines = [NoteInline, EventInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            ill_request = IllRequest.objects.filter(pk=object_id).only("pk", "patron_id").first()
            if ill_request is not None:
                privacy.log_patron_access(request.user, request=ill_request, what="admin request",
                                          path=request.path)
        return response


@admin.register(Event)
class EventAdmin(LargeTableAdmin):
    list_display = ["created_at", "request", "action", "from_status", "to_status", "actor_kind", "source"]
    list_filter = [EventActionFilter, "actor_kind", "source", ("created_at", admin.DateFieldListFilter)]
    # A request's history, by its id; the action is a filter. (Searching the notes' text would read every
    # event ever written.)
    search_fields = ["=request__id"]
    list_select_related = ["request"]
    raw_id_fields = ["request", "actor_user", "actor_library"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued here; the raw key is shown once, in the message after saving."""

    list_display = ["library", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = [("library", admin.RelatedOnlyFieldListFilter)]  # the libraries with keys, not the directory
    search_fields = ["library__symbol", "name", "prefix"]
    list_select_related = ["library"]
    fields = ["library", "name", "expires_at", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke", "rotate"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = services.issue_api_key(library=obj.library, name=obj.name)
        if obj.expires_at:
            key.expires_at = obj.expires_at
            key.save(update_fields=["expires_at"])
        obj.pk = key.pk
        obj.prefix, obj.key_hash, obj.created_at = key.prefix, key.key_hash, key.created_at
        obj._state.adding = False
        messages.warning(request,
                         f"The new key for {key.library.symbol} is {raw} – copy it now, it is not shown again.")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_api_key(key=key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")

    @admin.action(description="Rotate: revoke and issue a successor")
    def rotate(self, request, queryset):
        for key in queryset.select_related("library"):
            new, raw = services.rotate_api_key(key=key)
            messages.warning(request, f"New key for {new.library.symbol} ({new.name}): {raw} – copy it now.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(LargeTableAdmin):
    list_display = ["created_at", "request", "kind", "summary", "recipient", "transport", "status", "attempts",
                    "next_attempt_at"]
    list_filter = ["status", "transport", MessageKindFilter]
    search_fields = ["=request__id", "=recipient__symbol"]
    list_select_related = ["request", "recipient"]
    raw_id_fields = ["request", "sender", "recipient"]
    readonly_fields = ["payload", "confirmation", "last_error", "attempts", "delivered_at", "created_at"]


@admin.register(InboundMessage)
class InboundMessageAdmin(LargeTableAdmin):
    list_display = ["received_at", "sender", "kind", "summary", "request", "read_at"]
    list_filter = [MessageKindFilter]
    search_fields = ["=request__id", "=sender__symbol"]
    list_select_related = ["sender", "request"]
    raw_id_fields = ["sender", "request"]
    readonly_fields = ["fingerprint", "confirmation", "received_at"]


class PatronAwareUserAdmin(UserAdmin):
    """Django's user admin, plus the access log: opening a patron's account is a look at their identity."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and \
                PatronProfile.objects.filter(user_id=object_id).exists():
            privacy.log_patron_access(request.user, patron=int(object_id), what="admin user account",
                                      path=request.path)
        return response


if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PatronAwareUserAdmin)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through their own pages (which validate and keep an audit trail), or never."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LibraryPolicy)
class LibraryPolicyAdmin(ReadOnlyAdmin):
    """Edited by the library's ILL administrator at /policies/, where each change is recorded."""

    list_display = ["library", "due_date_buffer_days", "max_renewals", "rota_auto_advance_days",
                    "patron_data_retention_days", "updated_at"]
    list_select_related = ["library"]


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "library", "area", "changed_by"]
    list_filter = ["area"]
    list_select_related = ["library", "changed_by"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ReadOnlyAdmin):
    """Edited at /policies/emails/, where the template is checked and previewed before it is saved."""

    list_display = ["library", "kind", "subject", "updated_at", "updated_by"]
    list_filter = ["kind"]
    list_select_related = ["library", "updated_by"]


@admin.register(PatronRecordAccess)
class PatronRecordAccessAdmin(LargeTableAdmin, ReadOnlyAdmin):
    """The access log: who looked at which patron's identity. Nobody edits or deletes it here."""

    list_display = ["created_at", "staff", "patron", "request", "what"]
    list_select_related = ["staff", "patron", "request"]
    search_fields = ["=patron__username", "=staff__username"]
    raw_id_fields = ["staff", "patron", "request"]

    def has_delete_permission(self, request, obj=None):
        return False

