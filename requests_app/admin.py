from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import email_templates, mailer, privacy, roles, search
from .admin_lists import (
    EventActionFilter,
    LargeTableAdmin,
    MemberLibraryFilter,
    MessageKindFilter,
    RequestStatusFilter,
)
from .admin_scope import MemberLibraryScopedAdmin, MemberLibraryScopedInline
from .models import (
    EmailStatus,
    EmailTemplate,
    Event,
    ExternalIdentity,
    IllRequest,
    InboundMessage,
    LibraryPolicy,
    MonthlyFigure,
    NcipCall,
    NcipConnection,
    Note,
    OutboxMessage,
    OutgoingEmail,
    PatronLoad,
    PatronLoadError,
    PatronLoadSettings,
    PatronProfile,
    PatronRecordAccess,
    PolicyChange,
    RequesterAddress,
    RequesterDetails,
    RollupState,
    SavedQueueView,
    StaffProfile,
)
from .partner_messages import partner_messages
from .selectors import staff_library
from .utilities.admin_lists import values_filter
from .utilities.ids import parse_id


@admin.register(PatronProfile)
class PatronProfileAdmin(MemberLibraryScopedAdmin):
    list_display = ["user", "card_barcode", "library", "category", "department", "expires_on", "blocked"]
    list_filter = ["library", "category", "blocked", "refreshed_from"]
    search_fields = ["card_barcode", "user__username", "user__first_name", "user__last_name", "user__email",
                     "department", "institution_id"]
    list_select_related = ["user", "library"]
    autocomplete_fields = ["user"]
    patron_path = "user"


@admin.register(PatronLoad)
class PatronLoadAdmin(MemberLibraryScopedAdmin):
    """Loads are started and followed on the Policies → Patron loads page; here they are read only."""

    list_display = ["original_name", "library", "status", "total", "created", "updated", "failed", "created_at"]
    list_filter = ["status", MemberLibraryFilter]
    readonly_fields = [f.name for f in PatronLoad._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PatronLoadError)
class PatronLoadErrorAdmin(LargeTableAdmin):
    list_display = ["load", "line", "field", "value", "message"]
    library_path = "load__library"
    raw_id_fields = ["load"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PatronLoadSettings)
class PatronLoadSettingsAdmin(MemberLibraryScopedAdmin):
    list_display = ["library", "columns", "categories", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_object(self, request, object_id, from_field=None):
        """The key is the library's id: a number no id can be is no row (the admin says so), not a database error."""
        if from_field is None and parse_id(object_id) is None:
            return None
        return super().get_object(request, object_id, from_field)


class StaffProfileForm(forms.ModelForm):
    """Nobody moves their own account to a library (the desks of that library would open for them)."""

    acting_user = None

    def clean_user(self):
        user = self.cleaned_data["user"]
        if self.acting_user is not None and user is not None and user.pk == self.acting_user.pk:
            raise forms.ValidationError(_("You cannot give your own account a library: ask another administrator."))
        return user


@admin.register(StaffProfile)
class StaffProfileAdmin(MemberLibraryScopedAdmin):
    list_display = ["user", "library"]
    list_filter = ["library"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "library"]
    autocomplete_fields = ["user"]
    form = StaffProfileForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"acting_user": request.user})

    def has_change_permission(self, request, obj=None):
        return self._may_change(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_change(request, obj) and super().has_delete_permission(request, obj)

    def _may_change(self, request, profile) -> bool:
        if profile is None:
            return True
        if profile.user_id == request.user.pk:
            return False  # nobody changes their own library
        return request.user.is_superuser or manages_account(request, profile.user)


def manages_account(request, account) -> bool:
    """Whether a member library's ILL administrator may change ``account``: it holds no more than a member
    library's roles (else its password would hand them more) and works for no other library."""
    library = staff_library(request.user)
    works_for = StaffProfile.objects.filter(user=account).values_list("library_id", flat=True).first()
    return (library is not None and not account.is_superuser and not account.user_permissions.exists()
            and not account.groups.exclude(name__in=roles.MEMBER_LIBRARY_ROLES).exists()
            and works_for in (None, library.pk))


class EventInline(MemberLibraryScopedInline, admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_status", "to_status", "actor_kind", "actor_user", "actor_library",
              "source", "note"]
    readonly_fields = fields
    library_path = "request__library"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class NoteInline(MemberLibraryScopedInline, admin.TabularInline):
    model = Note
    library_path = "request__library"
    extra = 0
    fields = ["created_at", "visibility", "text", "author", "author_library"]
    readonly_fields = ["created_at", "author", "author_library"]


class RequesterDetailsInline(MemberLibraryScopedInline, admin.StackedInline):
    """What a partner's request said of the requesting library (lending requests): as received, not edited."""

    model = RequesterDetails
    library_path = "request__library"
    can_delete = False
    fields = ["name", "contact_name", "billing_name", "billing_method", "payment_method", "service_level"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RequesterAddressInline(MemberLibraryScopedInline, admin.TabularInline):
    model = RequesterAddress
    library_path = "request__library"
    extra = 0
    can_delete = False
    fields = ["purpose", "position", "electronic_type", "electronic_data", "line1", "line2", "locality",
              "postal_code", "region", "country", "delivery_method", "courier_name"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IllRequest)
class IllRequestAdmin(LargeTableAdmin):
    list_display = ["id", "role", "library", "partner", "status", "format", "title", "patron", "updated_at"]
    list_filter = ["role", RequestStatusFilter, "format", "service_type", MemberLibraryFilter, "copyright_compliance",
                   ("created_at", admin.DateFieldListFilter)]
    # One indexed column, ids and barcodes exactly (get_search_results).
    search_fields = ["search_text"]
    search_help_text = _("Words of the title, author or journal; an ISBN, ISSN, DOI, PMID, OCLC number or request "
                         "id; a request number (B123, L123); a patron's user name, name or card barcode.")
    list_select_related = ["library", "partner", "patron"]
    # What the list shows of them: a library's "symbol – name", a patron's user name.
    list_related_fields = {"library": ("symbol", "name"), "partner": ("symbol", "name"), "patron": ("username",)}
    raw_id_fields = ["patron"]
    # The status changes only through workflow actions, which write the audit log.
    readonly_fields = ["role", "status", "status_changed_at", "created_at", "updated_at"]
    inlines = [RequesterDetailsInline, RequesterAddressInline, NoteInline, EventInline]
    patron_path, request_path, patron_page = "patron", "pk", "admin request"

    def get_search_results(self, request, queryset, search_term):
        """Every word through the request's indexed search text, or exactly as an id or barcode
        (``requests_app.search``): never an OR of ``%word%`` over many columns and joins."""
        return search.requests_matching(queryset, search_term, patrons=True), False


@admin.register(Event)
class EventAdmin(LargeTableAdmin):
    list_display = ["created_at", "request", "action", "from_status", "to_status", "actor_kind", "source"]
    list_filter = [EventActionFilter, "actor_kind", "source", ("created_at", admin.DateFieldListFilter)]
    # A request's history, by its id; the action is a filter. (Searching the notes' text would read every
    # event ever written.)
    search_fields = ["=request__id"]
    list_select_related = ["request"]
    raw_id_fields = ["request", "actor_user", "actor_library"]
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(LargeTableAdmin):
    list_display = ["created_at", "request", "kind", "summary", "recipient", "transport", "status", "attempts",
                    "next_attempt_at"]
    list_filter = ["status", "transport", MessageKindFilter]
    search_fields = ["=request__id", "=recipient__symbol"]
    list_select_related = ["request", "recipient"]
    raw_id_fields = ["request", "sender", "recipient"]
    readonly_fields = ["payload", "confirmation", "last_error", "attempts", "delivered_at", "created_at"]
    # The sender is the request's own library (an indexed column, no join).
    library_path = "sender"
    patron_path, request_path = "request__patron", "request"


EmailKindFilter = values_filter("kind", _("kind"), lambda: [(k.key, k.label) for k in email_templates.kinds()])


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(LargeTableAdmin):
    """Every e-mail to patrons and partners; filter on *Failed (gave up)* for those staff must look at."""

    list_display = ["created_at", "library", "kind", "recipient", "subject", "status", "attempts", "handed_over_at"]
    list_filter = ["status", EmailKindFilter, MemberLibraryFilter]
    search_fields = ["=request__id", "=recipient", "=key"]
    list_select_related = ["library"]
    raw_id_fields = ["library", "request"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["send_again"]
    # A patron's e-mail shows their address: opening it is a look at their identity.
    patron_path, request_path = "request__patron", "request"

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["change"])
    def send_again(self, request, queryset) -> None:
        failed = list(queryset.filter(status=EmailStatus.FAILED).only("pk")[:1000])
        sent = sum(mailer.send_again(email) for email in failed)
        if sent:
            self.message_user(request, ngettext("%(count)s e-mail queued again.", "%(count)s e-mails queued again.",
                                                sent) % {"count": sent}, messages.SUCCESS)
        else:
            self.message_user(request, gettext("Only failed e-mails are sent again; none was selected."),
                              messages.WARNING)


@admin.register(InboundMessage)
class InboundMessageAdmin(LargeTableAdmin):
    """Every partner message received; filter on *Could not be applied* for those staff must look at."""

    list_display = ["received_at", "sender", "kind", "summary", "request", "state", "applied_at", "read_at"]
    list_filter = ["state", MessageKindFilter]
    search_fields = ["=request__id", "=sender__symbol"]
    list_select_related = ["sender", "request"]
    raw_id_fields = ["sender", "request"]
    readonly_fields = ["fingerprint", "confirmation", "received_at", "state", "thread", "payload", "applied_at",
                       "apply_error", "member", "api_key_prefix"]
    actions = ["apply_again"]
    # A message that matched none of our requests is the installation's, seen by superusers only.
    library_path = "request__library"
    patron_path, request_path = "request__patron", "request"

    @admin.action(description=_("Apply the selected messages that could not be applied again"),
                  permissions=["change"])
    def apply_again(self, request, queryset) -> None:
        again = partner_messages().apply_again(queryset)
        if again:
            self.message_user(request, ngettext("%(count)s message will be applied again.",
                                                "%(count)s messages will be applied again.", again) % {"count": again},
                              messages.SUCCESS)
        else:
            self.message_user(request, gettext("Only messages that could not be applied are applied again; none "
                                               "was selected."), messages.WARNING)


class ExternalIdentityInline(admin.TabularInline):
    """The account's names at the institution's sign-in doors; deleting one unlinks it (the next sign-in
    through that door then makes or finds an account afresh)."""

    model = ExternalIdentity
    extra = 0
    fields = readonly_fields = ["door", "subject", "first_seen", "last_seen"]

    def has_add_permission(self, request, obj=None):
        return False


class PatronAwareUserAdmin(MemberLibraryScopedAdmin, UserAdmin):
    """Django's user admin, scoped: a member library's ILL administrator manages its own accounts.

    They see their library's staff (a staff profile there) and patrons, create staff accounts (the new
    account works for their library), give them the member-library roles of ``roles`` and deactivate
    them; never superuser rights, raw permissions or the installation's roles, never an account with
    more rights than those roles (which they could take over by its password), and nobody changes
    their own groups, permissions or flags. Opening a patron's account writes the access log.
    """

    patron_path, patron_page = "patron_profile__user", "admin user account"
    inlines = [ExternalIdentityInline]
    #: The flags and rights a user never changes on their own account.
    OWN_RIGHTS = ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]

    @classmethod
    def library_rows(cls, queryset, library):
        return queryset.filter(
            Q(pk__in=StaffProfile.objects.filter(library=library).values("user_id"))
            | Q(pk__in=PatronProfile.objects.filter(library=library).values("user_id")))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"]
                                              if f not in ("is_superuser", "user_permissions")]})
                for name, options in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            readonly += [f for f in self.OWN_RIGHTS if f not in readonly]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=roles.MEMBER_LIBRARY_ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or request.user.is_superuser or manages_account(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        library = staff_library(request.user)
        if not change and not request.user.is_superuser and library is not None:
            # The new account works for the administrator's library, or it would vanish from their list.
            StaffProfile.objects.create(user=obj, library=library)


if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PatronAwareUserAdmin)


class ReadOnlyAdmin(MemberLibraryScopedAdmin):
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

    list_display = ["library", "kind", "language", "subject", "updated_at", "updated_by"]
    list_filter = ["kind", "language"]
    list_select_related = ["library", "updated_by"]


@admin.register(MonthlyFigure)
class MonthlyFigureAdmin(LargeTableAdmin, ReadOnlyAdmin):
    """The statistics rollup's cells, written only by its job (``manage.py rebuild_statistics`` rewrites them)."""

    list_display = ["month", "library", "kind", "role", "partner", "format", "status", "outcome", "measure", "hour",
                    "count", "computed_at"]
    list_filter = ["kind", "role"]
    list_select_related = ["library"]


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    """How far the statistics rollup has got: the whole installation's, so for superusers only."""

    list_display = ["covered_until", "last_event_id", "finished_at", "months_computed"]

    @classmethod
    def library_rows(cls, queryset, library):
        return queryset.none()


@admin.register(PatronRecordAccess)
class PatronRecordAccessAdmin(LargeTableAdmin, ReadOnlyAdmin):
    """The access log: who looked at which patron's identity. Nobody edits or deletes it here."""

    list_display = ["created_at", "staff", "patron", "request", "what_in_words"]
    list_select_related = ["staff", "patron", "request"]
    search_fields = ["=patron__username", "=staff__username"]
    raw_id_fields = ["staff", "patron", "request"]
    # The patron's library keeps the log of who saw its patrons.
    library_path = "patron__patron_profile__library"
    patron_path, request_path = "patron", "request"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what"), ordering="what")
    def what_in_words(self, obj: PatronRecordAccess) -> str:
        """Stored in English, shown in the reader's language, as on the patron access log's page."""
        return privacy.access_in_words(obj.what)


@admin.register(SavedQueueView)
class SavedQueueViewAdmin(ReadOnlyAdmin):
    """Made, changed and deleted by their owners beside the desk queues, where filters are checked; an
    administrator may delete one here (an account that left)."""

    list_display = ["name", "queue", "owner", "library", "is_default", "updated_at"]
    list_filter = ["queue"]
    list_select_related = ["owner", "library"]
    search_fields = ["=owner__username", "name"]


@admin.register(NcipConnection)
class NcipConnectionAdmin(ReadOnlyAdmin):
    """Edited by the library's ILL administrator at /policies/ncip/, where each change is recorded."""

    list_display = ["library", "enabled", "ils", "endpoint", "ils_agency_id", "updated_at"]
    list_select_related = ["library"]
    exclude = ["secret"]


@admin.register(NcipCall)
class NcipCallAdmin(LargeTableAdmin, ReadOnlyAdmin):
    """Retried and skipped from the request's page, where staff see the answer."""

    list_display = ["created_at", "request", "service", "status", "attempts", "next_attempt_at", "answer"]
    list_filter = ["status", "service"]
    search_fields = ["=request__id"]
    list_select_related = ["request"]
    raw_id_fields = ["request", "library", "finished_by"]
    patron_path, request_path = "request__patron", "request"
