"""The lending dashboard: queues with counts, filters and search; batch printing; the scan desk."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from requests_app import action_lists, queue_columns, saved_views
from requests_app.desk_views import nothing_selected
from requests_app.models import EventSource, Role
from requests_app.utilities.ids import parse_ids
from requests_app.utilities.pagination import keyset_page
from requests_app.workflow import Actor, WorkflowError

from .. import queue_rows, selectors
from ..filters import COLUMNS, MATCH_CHOICES
from ..forms import ScanForm
from ..pdf import pull_slips
from ..services import answers, printing
from ..states import LendingStatus
from ..workflow import WORKFLOW
from . import lending_library

PAGE_SIZE = 50


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    library = lending_library(request)
    status = request.GET.get("status") or ""
    if status and status not in WORKFLOW.states:
        raise Http404("No such state.")
    query = request.GET.copy()
    query.pop("cursor", None)
    sort = COLUMNS.chosen_sort(query.get(queue_columns.SORT))
    if not sort:
        query.pop(queue_columns.SORT, None)  # an unknown sort is the default order, never an error
    saved = saved_views.menu(owner=request.user, library=library, role=Role.LENDING, query=query)
    if not request.GET and saved.default:
        return redirect(saved.default.url)
    filters = {"q": request.GET.get("q", "")[:100], "partner": request.GET.get("partner", "")[:32],
               "match": request.GET.get("match", ""), "renewals": request.GET.get("renewals") == "1"}
    rows = selectors.lending_queue(library=library, status=status or None, **filters)
    today = action_lists.today_for(library)
    needs = action_lists.action_lists.get(Role.LENDING, request.GET.get(action_lists.PARAMETER) or "")
    if needs:
        rows = action_lists.narrow(rows, library=library, role=Role.LENDING, key=needs.key, today=today)
    ordering = COLUMNS.ordering(sort, needs.ordering if needs else "-updated_at")
    page = keyset_page(rows, ordering=[ordering], cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    printed = parse_ids(request.GET.getlist("printed"))
    slips_url = f"{reverse('lending:pull_slips_pdf')}?ids={','.join(map(str, printed))}" if printed else ""
    shown = COLUMNS.shown(query)
    return render(request, "lending/queue.html", {
        "library": library, "status": status, "state": WORKFLOW.state(status) if status else None,
        "counts": selectors.queue_counts(library=library), "page": page, "filters": filters,
        "needs": action_lists.counts(library=library, role=Role.LENDING, today=today),
        "action_list": needs and {"key": needs.key, "label": needs.label_for(today.policy),
                                  "description": needs.description},
        "match_choices": MATCH_CHOICES, "query": query.urlencode(),
        "can_print": status in ("", LendingStatus.NEW), "scan_form": ScanForm(), "slips_url": slips_url,
        "sort": sort, "sort_choices": _sort_choices(),
        "headers": COLUMNS.headers(query, current=COLUMNS.sort_for(ordering), shown=shown),
        "rows": queue_rows.render(page, columns=shown),
        "shown": {c.key for c in shown}, "optional_columns": COLUMNS.optional, "saved_views": saved,
    })


def _sort_choices() -> list[tuple[str, str]]:
    """The sort menu of the filter form (the headers sort too): each sortable column both ways."""
    choices = []
    for column in COLUMNS.columns:
        if column.sort:
            choices += [(column.sort, gettext("%(column)s, ascending") % {"column": column.label}),
                        (queue_columns.reverse_sort(column.sort),
                         gettext("%(column)s, descending") % {"column": column.label})]
    return choices


@login_required
@require_POST
def print_pull_slips(request: HttpRequest) -> HttpResponse:
    """Batch: selected new requests move to "awaiting picking"; then their slips are offered as one PDF."""
    library = lending_library(request)
    ids = parse_ids(request.POST.getlist("ids"))
    if not ids:
        return nothing_selected(request, reverse("lending:queue"))
    try:
        result = printing.print_pull_slips(library=library, request_ids=ids, actor=Actor.staff(request.user))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("lending:queue")
    for number, reason in result.failures:
        messages.error(request, gettext("%(number)s: %(message)s") % {"number": number, "message": reason})
    if result.printed:
        messages.success(request, ngettext("%(count)d request now awaiting picking.",
                                           "%(count)d requests now awaiting picking.", len(result.printed))
                         % {"count": len(result.printed)})
    query = urlencode({"status": LendingStatus.AWAITING_PICKING, "printed": ",".join(str(i) for i in ids)})
    return redirect(f"{reverse('lending:queue')}?{query}")


@login_required
def pull_slips_pdf(request: HttpRequest) -> HttpResponse:
    """The pull slips of the given requests as a PDF (reading only; printing is the POST above)."""
    library = lending_library(request)
    ids = parse_ids(request.GET.getlist("ids"))
    if not ids:
        return nothing_selected(request, reverse("lending:queue"))
    requests = list(selectors.requests_for_printing(library=library, ids=ids))
    if not requests:
        raise Http404("No such requests.")
    return _pdf_response(pull_slips(requests), "pull-slips.pdf")


@login_required
def labels_pdf(request: HttpRequest) -> HttpResponse:
    library = lending_library(request)
    ids = parse_ids(request.GET.getlist("ids"))
    if not ids:
        return nothing_selected(request, reverse("lending:queue"))
    try:
        data = printing.shipping_labels(library=library, request_ids=ids)
    except WorkflowError:
        raise Http404("No such requests.") from None
    return _pdf_response(data, "shipping-labels.pdf")


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def scan(request: HttpRequest) -> HttpResponse:
    """The scan desk: a request barcode opens, ships or checks in that request."""
    library = lending_library(request)
    form = ScanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.staff(request.user)
        try:
            found = answers.find_by_barcode(library=library, barcode=form.cleaned_data["barcode"])
            action = form.cleaned_data["action"]
            if action == "open":
                return redirect("lending:request", pk=found.pk)
            if action == "ship":
                answers.ship(request=found, actor=actor, source=EventSource.WEB,
                             shipping_method=form.cleaned_data.get("shipping_method") or "Mail")
                due = date_format(found.due_date, "SHORT_DATE_FORMAT")
                messages.success(request, gettext("%(number)s shipped, due %(date)s.")
                                 % {"number": found.number, "date": due})
            else:
                answers.check_in(request=found, actor=actor)
                messages.success(request, gettext("%(number)s checked in: completed.") % {"number": found.number})
        except WorkflowError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('lending:scan')}?action={form.cleaned_data['action']}")
    if request.method == "GET" and request.GET.get("action"):
        form = ScanForm(initial={"action": request.GET["action"]})
    return render(request, "lending/scan.html", {"form": form, "library": library},
                  status=400 if request.method == "POST" else 200)
