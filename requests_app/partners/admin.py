"""The partner side's admin: the directory entry (a library's address, its protocol endpoints and the
partner's credentials: what we send is write-only; opening a partner to messages without a credential
needs a reason, recorded by :mod:`.authentication`) and the partners' API keys."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db import models
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..admin_scope import MemberLibraryScopedAdmin, MemberLibraryScopedInline
from ..models import Library, PartnerApiKey, PickupLocation
from ..selectors import staff_library
from . import authentication, keys


class PickupLocationInline(MemberLibraryScopedInline, admin.TabularInline):
    model = PickupLocation
    extra = 0
    directory_wide = True


#: What a member library's ILL administrator may edit in their own library's entry; the rest of the
#: entry (symbol, membership, agency id, protocol) is the directory administrator's, and the lending
#: policy is edited under Policies.
OWN_LIBRARY_FIELDSET = _("Address and contact")


class LenientIntakeSelect(forms.NullBooleanSelect):
    """Lenient intake: as the ILL system's profile says (no value stored), or staff's yes or no."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("As its ILL system's profile says")), ("true", _("Yes: repair what it can")),
                        ("false", _("No: refuse what is not schema-valid"))]


class LibraryAdminForm(forms.ModelForm):
    """The directory entry, with the partner's credentials: what we send is write-only, and opening a partner
    to messages without a credential needs a reason (``authentication`` records who, when and why)."""

    new_outgoing_secret = forms.CharField(
        label=_("Replace our key or password at the partner"), required=False, strip=True, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("What the partner issued to us, sent with our messages. Stored encrypted, never shown again; "
                    "leave empty to keep the one set."))
    clear_outgoing_secret = forms.BooleanField(label=_("Clear our key or password at the partner"), required=False)
    accept_without_credential = forms.BooleanField(
        label=_("Accept its messages without a credential"), required=False,
        help_text=_("Not recommended: anyone who names this partner in a message is then taken for it. Every door "
                    "otherwise refuses a partner without one of its API keys."))
    reason_without_credential = forms.CharField(
        label=_("Why it may send without a credential"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to open it (e.g. “its ILL system cannot send a key; IP allow-list 192.0.2.0/24”). "
                    "Recorded with your name and the time."))

    class Meta:
        model = Library
        # The admin builds the form from LibraryAdmin.fieldsets; these are the protocol fields it needs here.
        fields = ["outgoing_auth_scheme", "outgoing_username", "ip_allowlist"]
        widgets = {"lenient_intake": LenientIntakeSelect}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A member library's administrator editing their own address gets no credential fields (read-only).
        if "accept_without_credential" in self.fields:
            self.fields["accept_without_credential"].initial = bool(self.instance.pk and
                                                                    self.instance.open_without_credential)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_outgoing_secret") and cleaned.get("clear_outgoing_secret"):
            self.add_error("clear_outgoing_secret", _("Either replace our credential or clear it, not both."))
        opening = cleaned.get("accept_without_credential") and not (self.instance.pk and
                                                                     self.instance.open_without_credential)
        if opening and not (cleaned.get("reason_without_credential") or "").strip():
            self.add_error("reason_without_credential",
                           _("Say why this partner may send messages without a credential."))
        return cleaned


@admin.register(Library)
class LibraryAdmin(MemberLibraryScopedAdmin):
    """The directory: every library for directory administrators; for a member library's staff, its own entry."""

    form = LibraryAdminForm
    # A partner's endpoint typed without a scheme is https (Django 6's default, taken now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    library_path = "pk"
    directory_wide = True
    list_display = ["symbol", "name", "is_member", "active", "agency_id_type", "agency_id_value", "country",
                    "credential", "refused_messages", "last_refused_at"]
    list_filter = ["is_member", "active", "agency_id_type", "ill_system", "country", "lends_loans", "lends_copies"]
    search_fields = ["symbol", "name", "agency_id_value", "city", "email"]
    inlines = [PickupLocationInline]
    fieldsets = [
        (None, {"fields": ["symbol", "name", "is_member", "active"]}),
        (OWN_LIBRARY_FIELDSET, {"fields": ["address_line1", "address_line2", "city", "region", "postal_code",
                                            "country", "contact_name", "email", "phone", "billing_email",
                                            "timezone", "currency", "language"]}),
        (_("Partner protocol"), {"fields": ["agency_id_type", "agency_id_value", "iso18626_endpoint",
                                         "iso18626_version", "ill_system", "lenient_intake", "reads_leniently",
                                         "rest_endpoint", "outgoing_auth_scheme",
                                         "outgoing_username", "outgoing_credential", "new_outgoing_secret",
                                         "clear_outgoing_secret", "incoming_credential", "accept_without_credential",
                                         "reason_without_credential", "ip_allowlist", "refusals"]}),
        (_("Lending policy"), {"fields": ["lends_loans", "lends_copies", "loan_period_days", "loan_fee", "copy_fee",
                                       "reciprocal_groups", "max_loans_outstanding", "lending_notes"]}),
        (_("Catalogue (SRU)"), {"fields": ["sru_base_url", "sru_version", "sru_record_schema", "sru_union_catalogue",
                                           "sru_holder_symbols"],
                                "description": _("Searched for who holds an item before a rota is built "
                                                 "(docs/sourcing.md).")}),
    ]
    readonly_fields = ["outgoing_credential", "incoming_credential", "reads_leniently", "refusals"]

    @admin.display(description=_("reads its messages leniently"), boolean=True)
    def reads_leniently(self, obj: Library) -> bool:
        return obj.reads_leniently

    @admin.display(description=_("our credential at the partner"))
    def outgoing_credential(self, obj: Library) -> str:
        return gettext("set") if obj.pk and obj.has_outgoing_secret else gettext("not set")

    @admin.display(description=_("its credential"))
    def incoming_credential(self, obj: Library) -> str:
        if not obj.pk or not obj.open_without_credential:
            return gettext("Required on every door: one of its API keys (Partner API keys), as a Bearer or Api-Key "
                           "header or HTTP Basic (user: its symbol).")
        unknown = gettext("(unknown)")
        who = obj.opened_without_credential_by.get_username() if obj.opened_without_credential_by else unknown
        when = obj.opened_without_credential_at.strftime("%Y-%m-%d %H:%M UTC") if obj.opened_without_credential_at \
            else unknown
        # The translation is ours and its HTML is kept; the values are escaped.
        return mark_safe(gettext('<strong class="errornote">⚠ Accepts messages without a credential</strong>: '
                                 "opened by %(who)s on %(when)s, because: %(reason)s") % {
            "who": conditional_escape(who), "when": conditional_escape(when),
            "reason": conditional_escape(obj.opened_without_credential_reason)})

    @admin.display(description=_("credential"))
    def credential(self, obj: Library) -> str:
        if obj.open_without_credential:
            return mark_safe(gettext('<strong title="%(reason)s">⚠ none needed</strong>') % {
                "reason": conditional_escape(obj.opened_without_credential_reason)})
        return gettext("required")

    @admin.display(description=_("refused messages"))
    def refusals(self, obj: Library) -> str:
        if not obj.pk or not obj.refused_messages:
            return gettext("none")
        return gettext("%(count)s, the last at %(when)s UTC (%(reason)s)") % {
            "count": obj.refused_messages, "when": f"{obj.last_refused_at:%Y-%m-%d %H:%M:%S}",
            "reason": obj.last_refused_reason}

    def save_model(self, request, obj, form, change):
        if change:
            # Only what the form edits: the refusal counters and credentials change elsewhere, by F() or service.
            edited = [f.name for f in Library._meta.concrete_fields if f.editable and not f.primary_key]
            obj.save(update_fields=[*edited, "updated_at"])
        else:
            obj.save()
        data = form.cleaned_data
        if "accept_without_credential" not in form.fields:
            return  # a member library's administrator editing their own address: no credential changes
        if data.get("new_outgoing_secret") or data.get("clear_outgoing_secret"):
            authentication.set_outgoing_credential(library=obj, actor=request.user, secret=data["new_outgoing_secret"],
                                                 clear=bool(data.get("clear_outgoing_secret")))
        reason = (data.get("reason_without_credential") or "").strip()
        if data.get("accept_without_credential") and (not obj.open_without_credential or reason):
            authentication.open_without_credential(library=obj, actor=request.user,
                                                 reason=reason or obj.opened_without_credential_reason)
            messages.warning(request, gettext("%(symbol)s now sends messages without a credential; this is "
                                              "recorded.") % {"symbol": obj.symbol})
        elif not data.get("accept_without_credential") and obj.open_without_credential:
            authentication.require_credential(library=obj, actor=request.user)

    def has_change_permission(self, request, obj=None):
        if self.sees_every_library(request):
            return super().has_change_permission(request, obj)
        # A member library's ILL administrator edits their own entry's address and contact.
        return (obj is not None and request.user.has_perm("requests_app.administer_ill")
                and getattr(staff_library(request.user), "pk", None) == obj.pk)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.sees_every_library(request):
            return fieldsets
        # The credential fields are the directory administrator's: not shown, not even read-only, to others.
        write_only = set(LibraryAdminForm.declared_fields)
        return [(name, {**options, "fields": [f for f in options["fields"] if f not in write_only]})
                for name, options in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        if self.sees_every_library(request):
            return super().get_readonly_fields(request, obj)
        editable = set(dict(self.fieldsets)[OWN_LIBRARY_FIELDSET]["fields"])
        return [name for name in flatten_fieldsets(self.get_fieldsets(request, obj)) if name not in editable]


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(MemberLibraryScopedAdmin):
    """Keys are issued here; the raw key is shown once, in the message after saving.

    The keys are partner libraries', so directory administrators keep them."""

    directory_wide = True

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
        key, raw = keys.issue_api_key(library=obj.library, name=obj.name)
        if obj.expires_at:
            key.expires_at = obj.expires_at
            key.save(update_fields=["expires_at"])
        obj.pk = key.pk
        obj.prefix, obj.key_hash, obj.created_at = key.prefix, key.key_hash, key.created_at
        obj._state.adding = False
        messages.warning(request, gettext(
            "The new key for %(symbol)s is %(key)s – copy it now, it is not shown again. It is sent as "
            "“Authorization: Bearer <key>”, or as HTTP Basic with the user name %(symbol)s and the key as password."
        ) % {"symbol": key.library.symbol, "key": raw})

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            keys.revoke_api_key(key=key)
        count = queryset.count()
        messages.success(request, ngettext("Revoked %(count)s key.", "Revoked %(count)s keys.", count)
                         % {"count": count})

    @admin.action(description=_("Rotate: revoke and issue a successor"))
    def rotate(self, request, queryset):
        for key in queryset.select_related("library"):
            new, raw = keys.rotate_api_key(key=key)
            messages.warning(request, gettext("New key for %(symbol)s (%(name)s): %(key)s – copy it now.")
                             % {"symbol": new.library.symbol, "name": new.name, "key": raw})
