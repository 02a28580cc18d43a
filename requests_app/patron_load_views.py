"""Policies → Patron loads: the ILL administrator uploads a file of patrons, follows its load and reads its errors.

Every page is its own member library's: a load of another library is "not found", as on every policy page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from .identity import loads
from .identity.status import FIELD_LABELS
from .models import Library, PatronCategory, PatronLoad, PatronLoadSettings
from .policy_forms import PatronLoadColumnsForm, PatronLoadForm
from .policy_views import ill_administrator
from .utilities.csv_export import csv_download

#: The errors a load's page lists (the download has them all).
ERRORS_SHOWN = 200


def _load_of(library: Library, pk: int) -> PatronLoad:
    try:
        return PatronLoad.objects.select_related("started_by").get(pk=pk, library=library)
    except PatronLoad.DoesNotExist:
        raise Http404(gettext("No such patron load.")) from None


@ill_administrator
def load_list(request: HttpRequest, library: Library) -> HttpResponse:
    """The library's loads, newest first, and the form that starts one."""
    form = PatronLoadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            load = loads.start_load(library=library, upload=form.cleaned_data["file"],
                                    file_format=form.cleaned_data["file_format"],
                                    match_key=form.cleaned_data["match_key"],
                                    create_missing=form.cleaned_data["create_missing"], user=request.user)
        except loads.LoadFileError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, gettext("The file is uploaded; the load runs in the background."))
            return redirect("policies:patron-load", pk=load.pk)
    if request.method == "POST":
        messages.error(request, gettext("Nothing was loaded: please correct the fields marked below."))
    return render(request, "policies/patron_loads.html", {
        "library": library, "tab": "patron_loads", "form": form,
        "loads": PatronLoad.objects.filter(library=library).select_related("started_by")[:50],
        "columns": _columns_in_words(library),
    }, status=400 if request.method == "POST" else 200)


def _columns_in_words(library: Library) -> list[tuple[str, str]]:
    columns = loads.columns_for(library)
    return [(str(FIELD_LABELS[name]), ", ".join(columns.names.get(name, ())) or "—") for name in loads.LOAD_FIELDS]


def _category_label(code: str) -> str:
    try:
        return str(PatronCategory(code).label)
    except ValueError:
        return code


@ill_administrator
def load_detail(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    """A load's progress bar and errors; HTMX polls the partial every 2 s, without JS the page refreshes itself."""
    load = _load_of(library, pk)
    context = {"library": library, "tab": "patron_loads", "load": load, "line_label": loads.line_label(load),
               "errors": list(load.errors.all()[:ERRORS_SHOWN]), "errors_shown": ERRORS_SHOWN}
    template = "policies/_patron_load_progress.html" if request.htmx else "policies/patron_load.html"
    return render(request, template, context)


@ill_administrator
def load_errors(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    load = _load_of(library, pk)
    return csv_download([loads.line_label(load), gettext("Field"), gettext("Value"), gettext("Error")],
                        loads.error_rows(load),
                        filename=f"patron-load-{load.pk}-errors.csv")


@ill_administrator
def load_columns(request: HttpRequest, library: Library) -> HttpResponse:
    """The library's own column names and category values, over the installation's defaults."""
    row = PatronLoadSettings.objects.filter(library=library).first() or PatronLoadSettings(library=library)
    form = PatronLoadColumnsForm(request.POST or None, instance=row)
    if request.method == "POST":
        if form.is_valid():
            loads.save_columns(library=library, columns=form.cleaned_data["columns"],
                               categories=form.cleaned_data["categories"], actor=request.user)
            messages.success(request, gettext("The columns are saved. They apply to the next load."))
            return redirect("policies:patron-loads")
        messages.error(request, gettext("Nothing was saved: please correct the fields marked below."))
    return render(request, "policies/patron_load_columns.html", {
        "library": library, "tab": "patron_loads", "form": form, "columns": _columns_in_words(library),
        "categories": [(value, _category_label(category))
                       for value, category in sorted(loads.columns_for(library).categories.items())],
    }, status=400 if request.method == "POST" else 200)
