"""The borrowing desk's “New request for a patron”: a telephone, walk-in or e-mail request typed by staff.

Staff find the patron among their own library's patrons, choose the kind of item and fill in the
patron's own request form (``StaffRequestForm``), which goes through the patron's service
(``patrons.submit_for_patron``): the same checks, the request the patron's, its history naming the
staff member and how the request came in.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from requests_app import privacy
from requests_app.models import Library, PatronRecordAccess, RequestFormat

from .. import selectors
from ..forms import COPYRIGHT_WARNING, COPYRIGHT_WARNING_HEADING, PatronSearchForm, StaffRequestForm
from ..services import patrons
from .patron import FORMAT_HELP, _add_service_errors
from .staff import NS, _library


def _patron(request: HttpRequest, library: Library, patron_id: int):
    """The patron ``patron_id`` of ``library``, or ``None`` (the page then says so)."""
    try:
        return selectors.library_patron(library=library, pk=patron_id)
    except get_user_model().DoesNotExist:
        return None


def _unknown_patron(request: HttpRequest, library: Library, patron_id: int) -> HttpResponse:
    return render(
        request,
        "borrowing/staff/for_patron_search.html",
        {
            "library": library,
            "form": PatronSearchForm(),
            "patrons": None,
            "error": gettext("No patron of %(library)s has the number %(number)s. Find the patron by name, "
                             "e-mail or card barcode.") % {"library": library.name, "number": patron_id},
        },
        status=404,
    )


@login_required
def find_patron(request: HttpRequest) -> HttpResponse:
    """Search the library's patrons (name, e-mail, barcode): each found one links to a new request."""
    library = _library(request)
    form = PatronSearchForm(request.GET or None)
    found = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        found = selectors.find_patrons(library=library, query=form.cleaned_data["q"])
        # The list shows names, e-mails and barcodes: the access log gets a row per patron, in one insert.
        PatronRecordAccess.objects.bulk_create(
            [
                PatronRecordAccess(
                    staff=request.user,
                    patron_id=profile.user_id,
                    what="patron search (new request)",
                    path=request.get_full_path()[:300],
                )
                for profile in found
            ]
        )
    return render(
        request,
        "borrowing/staff/for_patron_search.html",
        {
            "library": library,
            "form": form,
            "patrons": found,
            "limit": selectors.PATRON_SEARCH_LIMIT,
        },
    )


@login_required
def choose_format(request: HttpRequest, patron_id: int) -> HttpResponse:
    """Which kind of item the patron asks for; a blocked patron or one at the limit is shown why first."""
    library = _library(request)
    patron = _patron(request, library, patron_id)
    if patron is None:
        return _unknown_patron(request, library, patron_id)
    refusal = patrons.request_refusal(patron=patron, staff=True)
    formats = [{"value": f.value, "label": f.label, "help": FORMAT_HELP[f]} for f in RequestFormat]
    return render(
        request,
        "borrowing/staff/for_patron_formats.html",
        {
            "patron": patron,
            "formats": formats,
            "refusal": refusal.messages[0] if refusal else "",
        },
    )


@login_required
def request_form(request: HttpRequest, patron_id: int, format: str) -> HttpResponse:
    library = _library(request)
    if format not in RequestFormat.values:
        raise Http404("No such kind of request.")
    patron = _patron(request, library, patron_id)
    if patron is None:
        return _unknown_patron(request, library, patron_id)
    profile = patron.patron_profile
    duplicates: list = []
    owned: list = []
    free = None
    if request.method == "POST":
        form = StaffRequestForm(
            request.POST, format=format, profile=profile, extra_fields=StaffRequestForm.extra_fields_in(request.POST)
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = patrons.submit_for_patron(
                    staff=request.user,
                    library=library,
                    patron=patron,
                    channel=data["channel"],
                    copyright_received=data.get("copyright_received", ""),
                    confirm_duplicates=data.get("submit_anyway", False),
                    **form.citation(),
                )
            except patrons.PossibleDuplicate as exc:
                duplicates, owned, free = exc.duplicates, exc.owned, exc.open_access
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(
                    request, gettext("Request %(number)s was made for %(patron)s.")
                    % {"number": created.number, "patron": patron.get_full_name() or patron.get_username()})
                return redirect(NS + ":request", pk=created.pk)
    else:
        form = StaffRequestForm(format=format, profile=profile)
        privacy.log_patron_access(
            request.user, patron=patron, what="new request for the patron", path=request.get_full_path()
        )
    if not duplicates and not owned and not free:
        form.fields.pop("submit_anyway", None)
    refusal = patrons.request_refusal(patron=patron, staff=True)
    return render(
        request,
        "borrowing/staff/for_patron_form.html",
        {
            "patron": patron,
            "form": form,
            "format_label": form.format.label,
            "duplicates": duplicates,
            "owned": owned,
            "open_access": free,
            "refusal": refusal.messages[0] if refusal else "",
            "copyright_heading": COPYRIGHT_WARNING_HEADING,
            "copyright_warning": COPYRIGHT_WARNING,
            "action": reverse(NS + ":for-patron-form", args=[patron.pk, form.format.value]),
        },
    )
