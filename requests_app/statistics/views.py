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

from ..access import NO_LIBRARY, refusal_reason
from ..models import Library
from ..selectors import staff_library
from ..utilities.csv_export import csv_download
from . import tables
from .charts import bar_chart
from .forms import StatisticsFilterForm

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
            raise PermissionDenied(refusal_reason(request.user, PERMISSION, "The statistics are for ILL "
                                                  "administrators and reporting staff."))
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


@statistics_access
def index(request: HttpRequest, library: Library | None) -> HttpResponse:
    form = _form(request, library)
    context = {"form": form, "library": library, "sections": [], "query": ""}
    if library is not None and form.is_valid():
        scope = form.scope(library)
        context.update(
            scope=scope, query=_filters_query(form),
            sections=[{"table": table, "chart": bar_chart(table.bars, scale=table.scale)}
                      for table in tables.build(scope)],
        )
    return render(request, "statistics/index.html", context)


@statistics_access
def table_csv(request: HttpRequest, library: Library | None, name: str) -> HttpResponse:
    if name not in tables.TABLES or library is None:
        raise Http404("No such statistics table.")
    form = _form(request, library)
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponseBadRequest(f"Bad filters: {errors}", content_type="text/plain; charset=utf-8")
    scope = form.scope(library)
    table = tables.build(scope, [name])[0]
    return csv_download(table.headers, table.rows,
                        filename=f"{scope.library.symbol}-{name}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv")
