"""The patron's pages: new requests (typed or from an OpenURL link), “My requests”, preferences."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from requests_app import history
from requests_app import services as request_services
from requests_app.citation_lookup import complete_citation
from requests_app.desk_views import confirmation_page, needs_confirmation, run_action
from requests_app.languages import remember_language
from requests_app.models import EventSource, IllRequest, RequestFormat, Role
from requests_app.openurl import parse_openurl
from requests_app.workflow import Actor, WorkflowError, registry

from .. import selectors
from ..forms import COPYRIGHT_WARNING, COPYRIGHT_WARNING_HEADING, PreferencesForm, RequestForm
from ..services import downloads, patrons
from ..states import PATRON_DESCRIPTIONS, BorrowingStatus

PAGE_SIZE = 20

#: Lines of the “new request” chooser: each format with what it is for.
FORMAT_HELP = {
    RequestFormat.BOOK: gettext_lazy("A whole book, lent to you and returned."),
    RequestFormat.ARTICLE: gettext_lazy("An article from a journal or magazine, usually sent as a PDF."),
    RequestFormat.CHAPTER: gettext_lazy("One chapter or part of a book, as a copy."),
    RequestFormat.CONFERENCE: gettext_lazy("A paper from conference proceedings, as a copy."),
    RequestFormat.THESIS: gettext_lazy("A thesis or dissertation from another university."),
    RequestFormat.OTHER: gettext_lazy("Anything else: a report, a score, a map, a recording…"),
}


def patron_description(state) -> str:
    return PATRON_DESCRIPTIONS.get(state.value, state.description)


def patron_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (through the login page and back) and registered as a patron (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request.user, "patron_profile", None) is None:
            raise PermissionDenied(_("These pages are for patrons, and your account is not registered as a patron "
                                     "of a library (it has no library card)."))
        return view(request, *args, **kwargs)

    return wrapper


@patron_required
def new_request(request: HttpRequest) -> HttpResponse:
    """The chooser: which kind of item; a blocked patron or one at the limit is told why first."""
    refusal = patrons.request_refusal(patron=request.user)
    formats = [{"value": f.value, "label": f.label, "help": FORMAT_HELP[f]} for f in RequestFormat]
    return render(request, "borrowing/patron/new_request.html", {
        "formats": formats, "refusal": refusal.messages[0] if refusal else "",
    })


@patron_required
def request_form(request: HttpRequest, format: str) -> HttpResponse:
    if format not in RequestFormat.values:
        raise Http404("No such kind of request.")
    profile = request.user.patron_profile
    duplicates: list = []
    owned: list = []
    free = None
    if request.method == "POST" and "look_up" in request.POST:
        return _looked_up_form(request, format)
    if request.method == "POST":
        form = RequestForm(request.POST, format=format, profile=profile,
                           extra_fields=RequestForm.extra_fields_in(request.POST))
        if form.is_valid():
            try:
                created = patrons.submit_patron_request(
                    patron=request.user, confirm_duplicates=form.cleaned_data.get("submit_anyway", False),
                    source=EventSource.WEB, note=_referrer_note(form.cleaned_data.get("referrer", "")),
                    **form.citation())
            except patrons.PossibleDuplicate as exc:
                duplicates, owned, free = exc.duplicates, exc.owned, exc.open_access
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("Your request %(number)s was sent to the ILL office.")
                                 % {"number": created.number})
                return redirect("patron-request", pk=created.pk)
    else:
        form = RequestForm(format=format, profile=profile)
    return _render_form(request, form, duplicates=duplicates, owned=owned, open_access=free)


def _looked_up_form(request: HttpRequest, format: str) -> HttpResponse:
    """The form again with the empty fields its DOI, PMID or ISBN fills in (``complete_citation``); nothing is
    sent."""
    posted = {name: value for name, value in request.POST.items()
              if name not in ("csrfmiddlewaretoken", "look_up", "submit_anyway") and value.strip()}
    citation = complete_citation({"format": format, "referrer": posted.pop("referrer", ""), "warnings": [],
                                  "notices": [], **posted})
    warnings, notices = citation.pop("warnings"), citation.pop("notices")
    referrer, fmt = citation.pop("referrer"), citation.pop("format")
    extra = dict.fromkeys([*RequestForm.extra_fields_in(request.POST), *RequestForm.extra_fields_in(citation)])
    form = RequestForm(initial={**citation, "referrer": referrer}, format=fmt, profile=request.user.patron_profile,
                       extra_fields=list(extra))
    return _render_form(request, form, warnings=warnings, notices=notices, referrer=referrer)


@patron_required
def openurl(request: HttpRequest) -> HttpResponse:
    """``GET /openurl?…`` from a discovery system: the request form of the right kind, filled in.

    Every field the link carries is on the form: those the kind of item does not ask for are
    added after its own (a DOI on a book form). ``complete_citation`` fills in what a bare DOI or
    PMID can tell (Crossref, PubMed), where ``ILLMS_CITATION_LOOKUP`` names them.
    """
    citation = complete_citation(parse_openurl(request.GET))
    warnings = citation.pop("warnings")
    notices = citation.pop("notices")
    referrer = citation.pop("referrer")
    fmt = citation.pop("format")
    form = RequestForm(initial={**citation, "referrer": referrer}, format=fmt,
                       profile=request.user.patron_profile, extra_fields=list(citation))
    return _render_form(request, form, warnings=warnings, notices=notices, referrer=referrer)


def _look_up_label(form: RequestForm) -> str:
    """The look-up button's words for the identifiers this form has and the services configured ask about;
    empty: no button."""
    fields = {"crossref": "doi", "pubmed": "pmid", "openlibrary": "isbn"}
    asked = {fields[name] for name in settings.ILLMS_CITATION_LOOKUP if name in fields} & set(form.fields)
    if not asked:
        return ""
    if asked == {"isbn"}:
        return _("Fill in from the ISBN")
    return _("Fill in from the DOI, PubMed ID or ISBN") if "isbn" in asked else _("Fill in from the DOI or PubMed ID")


def _render_form(request: HttpRequest, form: RequestForm, *, duplicates=(), owned=(), warnings=(), notices=(),
                 referrer: str = "", open_access=None) -> HttpResponse:
    if not duplicates and not owned and not open_access:
        form.fields.pop("submit_anyway", None)
    refusal = patrons.request_refusal(patron=request.user)
    return render(request, "borrowing/patron/request_form.html", {
        "look_up": _look_up_label(form),
        "form": form, "format_label": form.format.label, "duplicates": duplicates, "owned": owned,
        "open_access": open_access, "warnings": warnings, "notices": notices,
        "referrer": referrer, "refusal": refusal.messages[0] if refusal else "",
        "copyright_heading": COPYRIGHT_WARNING_HEADING, "copyright_warning": COPYRIGHT_WARNING,
    })


def _referrer_note(referrer: str) -> str:
    return f"Sent from a link in {referrer}." if referrer else ""


def _add_service_errors(form: RequestForm, exc: ValidationError) -> None:
    """The service's errors on their fields where the form has them, otherwise at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@patron_required
def my_requests(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.patron_requests(patron=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for ill_request in page:
        state = ill_request.workflow.state(ill_request.status)
        rows.append({"ill_request": ill_request, "state": state, "description": patron_description(state),
                     "copy": downloads.offered(ill_request)})
    return render(request, "borrowing/patron/my_requests.html", {"page": page, "rows": rows})


@patron_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ill_request = selectors.patron_request_detail(patron=request.user, pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such request.") from None
    workflow = ill_request.workflow
    actions = request_services.available_actions(request=ill_request, actor=Actor.patron(request.user))
    timeline = history.lines(ill_request, audience=history.PATRON)
    return render(request, "borrowing/patron/request_detail.html", {
        "ill_request": ill_request, "state": workflow.state(ill_request.status), "actions": actions,
        "description": patron_description(workflow.state(ill_request.status)),
        "timeline": timeline, "notes": ill_request.patron_notes, "copy": downloads.offered(ill_request),
    })


@patron_required
@require_GET
def download_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Count one download of the patron's copy, then send the browser on to the lender's file (or send our own
    file: a document supplier's copy)."""
    try:
        copy = downloads.claim_copy(patron=request.user, request_pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such request.") from None
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("patron-request", pk=pk)
    if not copy.document:
        return redirect(copy.url)
    if not default_storage.exists(copy.document.name):
        messages.error(request, _("The copy is no longer stored. Ask the interlibrary loan office for a new one."))
        return redirect("patron-request", pk=pk)
    response = FileResponse(default_storage.open(copy.document.name, "rb"), content_type="application/pdf",
                            as_attachment=True, filename=f"{copy.request.number}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


@patron_required
@require_POST
def perform_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        ill_request = IllRequest.objects.for_patron(request.user).get(pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such request.") from None
    back = reverse("patron-request", args=[pk])
    transition = ill_request.workflow.transitions.get(action)
    actor = Actor.patron(request.user)
    if (transition and needs_confirmation(request, transition)
            and request.POST.get("expected_status") in (None, "", ill_request.status)
            and transition in request_services.available_actions(request=ill_request, actor=actor)):
        return confirmation_page(request, transition=transition, ill_request=ill_request, back=back)
    return run_action(
        request, lambda: request_services.perform(
            request=ill_request, action=action, actor=actor, source=EventSource.WEB,
            note=request.POST.get("note", "")[:2000], expected_status=request.POST.get("expected_status") or None),
        back=back,
        done=lambda result: _("Done: %(action)s. Your request is now “%(status)s”.") % {
            "action": ill_request.workflow.transition(action).label, "status": ill_request.status_label})


@patron_required
def help_page(request: HttpRequest) -> HttpResponse:
    """The patron's help: how to ask, what each status of a request means, what can be done, where the data is."""
    workflow = registry.get(Role.BORROWING)
    statuses = [{"state": workflow.state(value), "description": patron_description(workflow.state(value))}
                for value in BorrowingStatus.values]
    return render(request, "borrowing/patron/help.html", {"statuses": statuses})


@patron_required
def preferences(request: HttpRequest) -> HttpResponse:
    profile = request.user.patron_profile
    form = PreferencesForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            patrons.update_preferences(profile=profile, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            remember_language(request, profile.language)
            messages.success(request, _("Your preferences were saved."))
            return redirect("patron-preferences")
    return render(request, "borrowing/patron/preferences.html", {"form": form})
