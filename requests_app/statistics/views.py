"""The statistics pages: figures for one member library with charts, and every table as CSV.

Who sees what: the ``requests_app.view_statistics`` permission (roles “ILL administrator” and
“Reporting (read-only)”); staff see their own member library, a superuser may choose any.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..access import NO_LIBRARY, refusal_reason
from ..models import Library
from ..selectors import staff_library
from ..utilities.csv_export import csv_download
from . import survey, tables
from .charts import bar_chart
from .forms import AnnualSurveyForm, StatisticsFilterForm

PERMISSION = "requests_app.view_statistics"


def statistics_access(view):
    """Signed in, holding the statistics permission, and a member library to look at (passed on).

    A superuser without a staff profile starts at the first member library; ``None`` when the
    installation has none yet.
    """
    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied(refusal_reason(request.user, PERMISSION, _(
                "The statistics are for ILL administrators and reporting staff.")))
        library = staff_library(request.user)
        if library is None:
            if not request.user.is_superuser:
                raise PermissionDenied(NO_LIBRARY)
            library = Library.objects.filter(is_member=True).order_by("symbol").first()
        return view(request, library, *args, **kwargs)
    return wrapper


def _form(request: HttpRequest, library: Library | None) -> StatisticsFilterForm:
    choose = request.user.is_superuser
    data = request.GET.copy()
    if choose and library is not None and not data.get("library"):
        data["library"] = str(library.pk)
    return StatisticsFilterForm(data, choose_library=choose)


def _filters_query(form: StatisticsFilterForm) -> str:
    """The valid filters as a query string, for the CSV links (the same figures as the page)."""
    data = form.cleaned_data
    params = {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
    if data.get("partner"):
        params["partner"] = data["partner"].symbol
    if data.get("role"):
        params["role"] = data["role"]
    if data.get("library"):
        params["library"] = data["library"].pk
    return urlencode(params)


def _section(name: str) -> tables.Section:
    if name not in tables.SECTIONS:
        raise Http404(_("No such statistics section."))
    return tables.SECTIONS[name]


def _section_context(scope, section: tables.Section) -> list[dict]:
    """The section's tables with their charts: only the queries those tables need (``tables.Figures``)."""
    return [{"table": table, "chart": bar_chart(table.bars, scale=table.scale)}
            for table in tables.build(scope, section.tables)]


@statistics_access
def index(request: HttpRequest, library: Library | None) -> HttpResponse:
    """The filters, the sections' tabs and one section (``?section=NAME``, default the first); the other
    sections load into their panels when their tab is clicked (static/js/statistics-sections.js), and
    without JavaScript each tab is a link to this page showing that section."""
    section = _section(request.GET.get("section") or tables.FIRST_SECTION)
    form = _form(request, library)
    context = {"form": form, "library": library, "sections": [], "query": "", "section": section,
               "all_sections": tables.SECTIONS.values(), "fiscal_year": survey.last_closed_fiscal_year()}
    if library is not None and form.is_valid():
        scope = form.scope(library)
        context.update(scope=scope, query=_filters_query(form), sections=_section_context(scope, section))
    return render(request, "statistics/index.html", context)


@statistics_access
def section(request: HttpRequest, library: Library | None, name: str) -> HttpResponse:
    """One section's HTML, without the page around it: what a tab loads into its panel."""
    chosen = _section(name)
    form = _form(request, library)
    if library is None:
        raise Http404(_("There is no member library yet."))
    if not form.is_valid():
        return render(request, "statistics/_filter_errors.html", {"form": form}, status=400)
    scope = form.scope(library)
    return render(request, "statistics/_section.html", {
        "section": chosen, "sections": _section_context(scope, chosen), "query": _filters_query(form)})


@statistics_access
def table_csv(request: HttpRequest, library: Library | None, name: str) -> HttpResponse:
    if name not in tables.TABLES or library is None:
        raise Http404(_("No such statistics table."))
    form = _form(request, library)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(_("Bad filters: %(errors)s") % {"errors": errors},
                                      content_type="text/plain; charset=utf-8")
    scope = form.scope(library)
    table = tables.build(scope, [name])[0]
    return csv_download(table.headers, table.rows,
                        filename=f"{scope.library.symbol}-{name}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv")


@statistics_access
def annual_survey_csv(request: HttpRequest, library: Library | None) -> HttpResponse:
    """The ACRL/IPEDS interlibrary loan lines of one fiscal year as CSV (``?fiscal_year=2026``)."""
    if library is None:
        raise Http404(_("There is no member library yet."))
    form = AnnualSurveyForm(request.GET, choose_library=request.user.is_superuser)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(_("Bad filters: %(errors)s") % {"errors": errors},
                                      content_type="text/plain; charset=utf-8")
    chosen = form.cleaned_data.get("library") or library
    result = survey.annual_survey(chosen, form.cleaned_data["fiscal_year"])
    return csv_download(survey.HEADERS, result.rows,
                        filename=f"{chosen.symbol}-annual-survey-FY{result.fiscal_year}.csv")
