"""The ILL administrator's policy pages, under ``/policies/`` (namespace ``policies``).

An administrator edits the policies of the member library their staff account belongs to,
never another's: no page takes a library from the URL. Each form says what went wrong and
saves nothing when anything is wrong; every saved change is recorded (``PolicyChange``).
Lending rules per partner live in the lending app (``lending.views.partner_rules``), which
these pages link to.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import get_language_info, gettext, gettext_lazy
from django.views.decorators.http import require_POST

from . import email_templates, policies, policy_declarations
from .access import staff_view
from .models import EmailTemplate, Library, LibraryPolicy, NcipConnection
from .policy_forms import BorrowingPolicyForm, EmailTemplateForm, LendingPolicyForm, NcipConnectionForm

PERMISSION = "requests_app.administer_ill"


def ill_administrator(view):
    """Signed in, an ILL administrator, attached to a member library; the view gets that library."""

    return staff_view(PERMISSION, gettext_lazy("Only ILL administrators may change the library's policies."))(view)


@ill_administrator
def borrowing(request: HttpRequest, library: Library) -> HttpResponse:
    row = policies.policy_row(library)
    form = BorrowingPolicyForm(request.POST or None, instance=row, library=library)
    if request.method == "POST":
        if form.is_valid():
            policies.save_policy(library=library, values=form.policy_values(), actor=request.user, area="borrowing")
            messages.success(request, gettext("Borrowing policies saved. They apply from now on."))
            return redirect("policies:borrowing")
        messages.error(request, gettext("Nothing was saved: please correct the fields marked below."))
    return render(request, "policies/borrowing.html", {
        "library": library, "form": form, "row": row, "tab": "borrowing",
        "main_fields": [form[name] for name in BorrowingPolicyForm.Meta.fields
                        if policy_declarations.BY_NAME[name].area == policy_declarations.BORROWING],
    })


@ill_administrator
def lending(request: HttpRequest, library: Library) -> HttpResponse:
    policy = policies.policy_for(library)
    initial = {name: getattr(library, name) for name in policies.DIRECTORY_LENDING_FIELDS}
    initial.update({declared.name: getattr(policy, declared.name)
                    for declared in policy_declarations.in_areas(policy_declarations.LENDING,
                                                                 policy_declarations.DELIVERY)})
    form = LendingPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            policies.save_lending_policy(library=library, values=form.cleaned_data, actor=request.user)
            messages.success(request, gettext("Lending policies saved. They apply from now on."))
            return redirect("policies:lending")
        messages.error(request, gettext("Nothing was saved: please correct the fields marked below."))
    return render(request, "policies/lending.html", {"library": library, "form": form, "tab": "lending"})


@ill_administrator
def email_list(request: HttpRequest, library: Library) -> HttpResponse:
    """Each kind with the languages the library has its own wording in (the default language's first)."""
    default = email_templates.default_language()
    overrides: dict[str, list[EmailTemplate]] = {}
    for template in EmailTemplate.objects.filter(library=library).select_related("updated_by"):
        overrides.setdefault(template.kind, []).append(template)
    rows = []
    for kind in email_templates.kinds():
        own = sorted(overrides.get(kind.key, []), key=lambda t: (t.language != default, t.language))
        rows.append({"kind": kind, "override": own[0] if own else None, "overrides": own})
    return render(request, "policies/email_list.html", {"library": library, "rows": rows, "tab": "emails"})


def _language_or_404(request: HttpRequest) -> str:
    """The wording's language asked for (``?language=fr``, or the form's field), one of ``LANGUAGES``; none:
    the site's default language."""
    asked = request.POST.get("language") or request.GET.get("language")
    if not asked:
        return email_templates.default_language()
    if asked not in {code for code, _name in settings.LANGUAGES}:
        raise Http404(gettext("No such language."))
    return asked


def _languages(library: Library, kind: email_templates.EmailKind, current: str) -> list[dict]:
    """The tabs of the wording page: every language, whether the library has its own wording in it."""
    own = set(EmailTemplate.objects.filter(library=library, kind=kind.key).values_list("language", flat=True))
    default = email_templates.default_language()
    return [{"code": code, "name": get_language_info(code)["name_translated"], "own": code in own,
             "default": code == default, "current": code == current} for code, _name in settings.LANGUAGES]


def _kind_or_404(key: str) -> email_templates.EmailKind:
    kind = email_templates.get_kind(key)
    if kind is None:
        raise Http404(gettext("No such e-mail."))
    return kind


def _starter(kind: email_templates.EmailKind) -> dict[str, str]:
    """A first draft in the variables this kind offers, for a library that has no wording of its own yet (in the
    administrator's language)."""
    if kind.audience == "patron":
        return {
            "subject": f"{kind.label}: {{{{ r.title|truncatechars:60 }}}}",
            "body_text": (gettext("Dear {{ patron.name }},") + "\n\n"
                          f"{kind.description}\n\n"
                          "  {{ r.citation }}\n\n"
                          + gettext("Request number: {{ r.number }}.")
                          + "{% if r.url %}\n" + gettext("Your request: {{ r.url }}") + "{% endif %}\n\n"
                          + gettext("{{ library.name }} – Interlibrary loan") + "\n{{ library.email }}\n"),
            "body_html": "",
        }
    return {
        "subject": gettext("Invoice {{ invoice.number }} from {{ invoice.issuer_name }}"),
        "body_text": (gettext("Dear colleagues at {{ invoice.recipient_name }},") + "\n\n"
                      + gettext("please find attached {{ invoice.number }} for {{ invoice.total }} "
                                "{{ invoice.currency }}.") + "\n\n"
                      "{{ invoice.payment_instructions }}\n\n" + gettext("With thanks,")
                      + "\n{{ invoice.issuer_name }}\n"),
        "body_html": "",
    }


@ill_administrator
def email_edit(request: HttpRequest, library: Library, kind: str) -> HttpResponse:
    email_kind = _kind_or_404(kind)
    language = _language_or_404(request)
    wording = email_templates.wording_for(library, email_kind.key, language)
    override = wording.template if not wording.falls_back else None
    if wording.template is not None:  # a new language's wording starts from the default language's
        initial = {"subject": wording.template.subject, "body_text": wording.template.body_text,
                   "body_html": wording.template.body_html}
    else:
        initial = _starter(email_kind)
    form = EmailTemplateForm(request.POST or None, initial=initial)
    rendered = None
    language_name = get_language_info(language)["name_translated"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "save":
                email_templates.save_override(library=library, kind=email_kind, actor=request.user,
                                              language=language, **data)
                messages.success(request, gettext("The “%(kind)s” e-mail now uses your %(language)s wording.") % {
                    "kind": email_kind.label, "language": language_name})
                return redirect(f"{reverse('policies:email-edit', args=[email_kind.key])}?language={language}")
            email_templates.preview(kind=email_kind, library=library, **data)  # mistakes told in the reader's words
            with translation.override(language):  # dates of the sample values as the recipients will read them
                rendered = email_templates.preview(kind=email_kind, library=library, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    if request.method == "POST" and form.errors:
        messages.error(request, gettext("The wording has a mistake: see below. Nothing was saved."))
    default = email_templates.default_language()
    return render(request, "policies/email_edit.html", {
        "library": library, "kind": email_kind, "form": form, "override": override, "rendered": rendered,
        "standard": email_kind.standard_wording(), "tab": "emails", "braces": ("{{", "}}", "{%", "%}"),
        "wording": wording, "language": language,
        "language_name": language_name, "languages": _languages(library, email_kind, language),
        "default_language_name": get_language_info(default)["name_translated"],
    })


@require_POST
@ill_administrator
def email_reset(request: HttpRequest, library: Library, kind: str) -> HttpResponse:
    email_kind = _kind_or_404(kind)
    language = _language_or_404(request)
    if email_templates.reset_override(library=library, kind=email_kind, actor=request.user, language=language):
        messages.success(request, gettext("The “%(kind)s” e-mail no longer has a %(language)s wording of yours.") % {
            "kind": email_kind.label, "language": get_language_info(language)["name_translated"]})
    return redirect("policies:emails")


#: The areas a change is recorded under (``PolicyChange.area``, stored in English), in the reader's language.
AREA_LABELS = {
    "borrowing": gettext_lazy("borrowing"),
    "lending": gettext_lazy("lending"),
    "lending (directory)": gettext_lazy("lending (directory)"),
    "ncip": gettext_lazy("ILS (NCIP)"),
    "partner credentials": gettext_lazy("partner credentials"),
}
#: Fields and values that some changes record in words rather than as a model field.
WORDS = {
    "rule": gettext_lazy("rule"),
    "own rule": gettext_lazy("own rule"),
    "deleted": gettext_lazy("deleted"),
    "standard wording": gettext_lazy("standard wording"),
    "own": gettext_lazy("own"),
    "standard": gettext_lazy("standard"),
    "subject": gettext_lazy("subject"),
    "body_text": gettext_lazy("text"),
    "body_html": "HTML",
}


def _field_label(name: str) -> str:
    declared = policy_declarations.BY_NAME.get(name)
    if declared is not None:
        return capfirst(gettext(declared.label))
    if name in LendingPolicyForm.base_fields:
        return str(LendingPolicyForm.base_fields[name].label)
    if name in WORDS:
        return capfirst(str(WORDS[name]))
    for model in (NcipConnection, EmailTemplate, LibraryPolicy, Library):
        try:
            return capfirst(gettext(str(model._meta.get_field(name).verbose_name)))
        except FieldDoesNotExist:
            continue
    return name.replace("_", " ").capitalize()


def _area_label(area: str) -> str:
    if area in AREA_LABELS:
        return capfirst(str(AREA_LABELS[area]))
    kind, _sep, rest = area.partition(" ")
    if kind == "partner" and rest:
        return gettext("Partner %(symbol)s") % {"symbol": rest}
    wording = email_templates.wording_area(area)
    if wording is None:
        return area
    language, label = wording
    if language is None:
        return gettext("E-mail: %(label)s") % {"label": gettext(label)}
    return gettext("E-mail (%(language)s): %(label)s") % {"language": language, "label": gettext(label)}


def _value(value):
    """A recorded old or new value as the reader reads it: yes/no, words in their language, the rest as stored."""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and value in WORDS:
        return str(WORDS[value])
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_value(item)}" for key, item in value.items()) or "—"
    return value


@ill_administrator
def history(request: HttpRequest, library: Library) -> HttpResponse:
    changes = [
        {"change": change, "area": _area_label(change.area),
         "fields": [(_field_label(name), *(_value(value) for value in values))
                    for name, values in change.changes.items()]}
        for change in policies.recent_changes(library=library)
    ]
    return render(request, "policies/history.html", {"library": library, "changes": changes, "tab": "history"})


@ill_administrator
def signin(request: HttpRequest, library: Library) -> HttpResponse:
    """The sign-in doors as the environment configures them, read-only: what to register at the identity
    provider, what is set, the attribute mapping, and what stops a door working (``?check=1`` asks the providers)."""
    from .identity.status import door_reports

    live = request.GET.get("check") == "1"
    return render(request, "policies/signin.html", {
        "library": library, "tab": "signin", "live": live, "reports": door_reports(request, live=live),
        "lockout": (settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)),
    })


def _profile_in_words(profile) -> dict:
    """What the NCIP page says of an ILS's profile, in the reader's language (the profiles are plain data)."""
    return {"key": profile.key, "label": gettext(profile.label), "service_list": profile.service_list,
            "due_date_label": gettext(profile.due_date_label),
            "pickup_location_kind": gettext(profile.pickup_location_kind),
            "pickup_location_hint": gettext(profile.pickup_location_hint),
            "circulation_label": gettext(profile.circulation_label), "recall_label": gettext(profile.recall_label),
            "notes": [gettext(note) for note in profile.notes], "sources": profile.sources}


@ill_administrator
def ncip(request: HttpRequest, library: Library) -> HttpResponse:
    """The library's ILS over NCIP (``requests_app.ncip``): the connection, and what the chosen ILS's profile does."""
    from .ncip import codec, connections, profiles

    instance = NcipConnection.objects.filter(library=library).first() or NcipConnection(library=library)
    form = NcipConnectionForm(request.POST or None, instance=instance, library=library)
    if request.method == "POST":
        if form.is_valid():
            connections.save_connection(library=library, values=form.connection_values(), actor=request.user,
                                        secret=form.cleaned_data.get("new_secret") or "",
                                        clear_secret=form.cleaned_data.get("clear_secret", False))
            messages.success(request, gettext("NCIP settings saved. They apply to the calls sent from now "
                                              "on."))
            return redirect("policies:ncip")
        messages.error(request, gettext("Nothing was saved: please correct the fields marked below."))
    probe = None
    asked = (request.GET.get("user") or "").strip()[:100]
    if asked and request.method == "GET":
        probe = connections.probe(instance, user_id=asked)
    return render(request, "policies/ncip.html", {
        "library": library, "form": form, "tab": "ncip", "connection": instance,
        "profiles": [_profile_in_words(p) for p in profiles.PROFILES.values()], "profile": instance.profile,
        "probe": probe, "asked": asked,
        "schema_missing": "" if codec.schema_path(settings.ILLMS_NCIP_SCHEMA_DIR).is_file()
        else str(codec.schema_path(settings.ILLMS_NCIP_SCHEMA_DIR)),
    })
