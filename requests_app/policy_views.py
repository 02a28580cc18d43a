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
from django.views.decorators.http import require_POST

from . import email_templates, policies, policy_declarations
from .access import staff_view
from .models import EmailTemplate, Library, LibraryPolicy, NcipConnection
from .policy_forms import BorrowingPolicyForm, EmailTemplateForm, LendingPolicyForm, NcipConnectionForm

PERMISSION = "requests_app.administer_ill"


def ill_administrator(view):
    """Signed in, an ILL administrator, attached to a member library; the view gets that library."""

    return staff_view(PERMISSION, "Only ILL administrators may change the library's policies.")(view)


@ill_administrator
def borrowing(request: HttpRequest, library: Library) -> HttpResponse:
    row = policies.policy_row(library)
    form = BorrowingPolicyForm(request.POST or None, instance=row, library=library)
    if request.method == "POST":
        if form.is_valid():
            policies.save_policy(library=library, values=form.policy_values(), actor=request.user, area="borrowing")
            messages.success(request, "Borrowing policies saved. They apply from now on.")
            return redirect("policies:borrowing")
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
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
            messages.success(request, "Lending policies saved. They apply from now on.")
            return redirect("policies:lending")
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
    return render(request, "policies/lending.html", {"library": library, "form": form, "tab": "lending"})


@ill_administrator
def email_list(request: HttpRequest, library: Library) -> HttpResponse:
    overrides = {t.kind: t for t in EmailTemplate.objects.filter(library=library).select_related("updated_by")}
    rows = [{"kind": kind, "override": overrides.get(kind.key)} for kind in email_templates.kinds()]
    return render(request, "policies/email_list.html", {"library": library, "rows": rows, "tab": "emails"})


def _kind_or_404(key: str) -> email_templates.EmailKind:
    kind = email_templates.get_kind(key)
    if kind is None:
        raise Http404("No such e-mail.")
    return kind


def _starter(kind: email_templates.EmailKind) -> dict[str, str]:
    """A first draft in the variables this kind offers, for a library that has no wording of its own yet."""
    if kind.audience == "patron":
        return {
            "subject": f"{kind.label}: {{{{ r.title|truncatechars:60 }}}}",
            "body_text": ("Dear {{ patron.name }},\n\n"
                          f"{kind.description}\n\n"
                          "  {{ r.citation }}\n\n"
                          "Request number: {{ r.number }}.{% if r.url %}\nYour request: {{ r.url }}{% endif %}\n\n"
                          "{{ library.name }} – Interlibrary loan\n{{ library.email }}\n"),
            "body_html": "",
        }
    return {
        "subject": "Invoice {{ invoice.number }} from {{ invoice.issuer_name }}",
        "body_text": ("Dear colleagues at {{ invoice.recipient_name }},\n\n"
                      "please find attached {{ invoice.number }} for {{ invoice.total }} {{ invoice.currency }}.\n\n"
                      "{{ invoice.payment_instructions }}\n\nWith thanks,\n{{ invoice.issuer_name }}\n"),
        "body_html": "",
    }


@ill_administrator
def email_edit(request: HttpRequest, library: Library, kind: str) -> HttpResponse:
    email_kind = _kind_or_404(kind)
    override = EmailTemplate.objects.filter(library=library, kind=email_kind.key).first()
    initial = ({"subject": override.subject, "body_text": override.body_text, "body_html": override.body_html}
               if override else _starter(email_kind))
    form = EmailTemplateForm(request.POST or None, initial=initial)
    rendered = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "save":
                email_templates.save_override(library=library, kind=email_kind, actor=request.user, **data)
                messages.success(request, f"The “{email_kind.label}” e-mail now uses your wording.")
                return redirect("policies:email-edit", kind=email_kind.key)
            rendered = email_templates.preview(kind=email_kind, library=library, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    if request.method == "POST" and form.errors:
        messages.error(request, "The wording has a mistake: see below. Nothing was saved.")
    return render(request, "policies/email_edit.html", {
        "library": library, "kind": email_kind, "form": form, "override": override, "rendered": rendered,
        "standard": email_kind.standard_wording(), "tab": "emails",
    })


@require_POST
@ill_administrator
def email_reset(request: HttpRequest, library: Library, kind: str) -> HttpResponse:
    email_kind = _kind_or_404(kind)
    if email_templates.reset_override(library=library, kind=email_kind, actor=request.user):
        messages.success(request, f"The “{email_kind.label}” e-mail uses the standard wording again.")
    return redirect("policies:emails")


def _field_label(name: str) -> str:
    for model in (LibraryPolicy, Library, EmailTemplate, NcipConnection):
        try:
            return str(model._meta.get_field(name).verbose_name).capitalize()
        except FieldDoesNotExist:
            continue
    return name.replace("_", " ").capitalize()


@ill_administrator
def history(request: HttpRequest, library: Library) -> HttpResponse:
    changes = [
        {"change": change, "fields": [(_field_label(name), *values) for name, values in change.changes.items()]}
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
            messages.success(request, "NCIP settings saved. They apply to the calls sent from now on.")
            return redirect("policies:ncip")
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
    probe = None
    asked = (request.GET.get("user") or "").strip()[:100]
    if asked and request.method == "GET":
        probe = connections.probe(instance, user_id=asked)
    return render(request, "policies/ncip.html", {
        "library": library, "form": form, "tab": "ncip", "connection": instance,
        "profiles": list(profiles.PROFILES.values()), "profile": instance.profile, "probe": probe, "asked": asked,
        "schema_missing": "" if codec.schema_path(settings.ILLMS_NCIP_SCHEMA_DIR).is_file()
        else str(codec.schema_path(settings.ILLMS_NCIP_SCHEMA_DIR)),
    })
