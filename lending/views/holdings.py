"""Holdings: the list, the import upload and its progress bar."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from requests_app.utilities.pagination import keyset_page
from requests_app.workflow import WorkflowError

from .. import selectors
from ..forms import HoldingsImportForm
from ..models import HoldingsImport
from ..services import holdings as holdings_service
from . import lending_library


@login_required
def holdings_list(request: HttpRequest) -> HttpResponse:
    library = lending_library(request)
    q = request.GET.get("q", "")[:100]
    page = keyset_page(selectors.holdings(library=library, q=q), ordering=["title_key"],
                       cursor=request.GET.get("cursor"), size=50)
    return render(request, "lending/holdings.html", {
        "page": page, "q": q, "query": urlencode({"q": q}) if q else "",
        "imports": selectors.holdings_imports(library=library)[:10],
    })


@login_required
def import_holdings(request: HttpRequest) -> HttpResponse:
    library = lending_library(request)
    form = HoldingsImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = holdings_service.start_import(library=library, upload=form.cleaned_data["file"],
                                                file_format=form.cleaned_data["file_format"], user=request.user)
        except WorkflowError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, gettext("The file is uploaded; the import runs in the background."))
            return redirect("lending:import", pk=job.pk)
    return render(request, "lending/import_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar; HTMX polls the partial every 2 s, without JS the page refreshes itself."""
    library = lending_library(request)
    try:
        job = HoldingsImport.objects.get(pk=pk, library=library)
    except HoldingsImport.DoesNotExist:
        raise Http404("No such import.") from None
    template = "lending/_import_progress.html" if request.htmx else "lending/import_progress.html"
    return render(request, template, {"job": job})
