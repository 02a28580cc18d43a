"""Staff borrowing pages: the queue, a request (review, rota, copyright, actions), the scanner, reports.

Views stay thin: they read through ``borrowing.selectors``, change through the services
(``requests_app.services.perform`` and ``borrowing.services.*``) and turn a
``WorkflowError`` or ``ValidationError`` into a message or a form error. Every page works
without JavaScript; with htmx the scanner and the queue update in place.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from requests_app import action_lists, desk_views, messaging, privacy, queue_columns, saved_views
from requests_app import selectors as core_selectors
from requests_app import services as core_services
from requests_app.access import member_library
from requests_app.action_input import ActionForm
from requests_app.actors import ActorKind
from requests_app.desk_views import Desk, confirmation_page, needs_confirmation, run_action
from requests_app.models import IllRequest, Library, Role
from requests_app.utilities.ids import parse_id, parse_ids
from requests_app.utilities.pagination import keyset_page
from requests_app.workflow import Actor, WorkflowError

from .. import pdf, queue_rows, selectors
from ..filters import COLUMNS, BorrowingQueueFilter
from ..forms import CITATION_LABELS, AddLenderForm, CitationForm, NoteForm, ScanForm, StaffNoteForm
from ..services import copyright as copyright_services
from ..services import loans, purchasing, review, rota
from ..states import (
    EDITABLE_STATES,
    ITEM_HERE,
    PURCHASE_SOURCES,
    RETURNING_STATES,
    ROTA_EDITABLE_STATES,
    BorrowingStatus,
)
from ..workflow import WORKFLOW

PAGE_SIZE = 50
NS = "borrowing_staff"


# Helpers ------------------------------------------------------------------------------------

def _library(request: HttpRequest) -> Library:
    """The member library whose borrowing queue this user works; 403 otherwise."""
    return member_library(request.user, WORKFLOW.staff_permission,
                          gettext("This page is for the borrowing desk, and your account has no borrowing role."))


def _actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user)


def _own_request(library: Library, pk: int) -> IllRequest:
    try:
        return IllRequest.objects.select_related("library", "partner").get(pk=pk, library=library,
                                                                          role=Role.BORROWING)
    except IllRequest.DoesNotExist:
        raise Http404("No such borrowing request.") from None


def _back(pk: int) -> HttpResponse:
    return redirect(NS + ":request", pk=pk)


# Queue --------------------------------------------------------------------------------------

@login_required
def queue(request: HttpRequest) -> HttpResponse:
    library = _library(request)
    query = request.GET.copy()
    query.pop("cursor", None)
    sort = COLUMNS.chosen_sort(query.get(queue_columns.SORT))
    if not sort:
        query.pop(queue_columns.SORT, None)  # an unknown sort is the default order, never an error
    saved = saved_views.menu(owner=request.user, library=library, role=Role.BORROWING, query=query)
    if not request.GET and saved.default:
        return redirect(saved.default.url)
    filterset = BorrowingQueueFilter(query or None, queryset=selectors.staff_queue(library=library))
    valid = filterset.is_bound and filterset.is_valid()
    rows = filterset.qs if valid else selectors.staff_queue(library=library)
    today = action_lists.today_for(library)
    needs = action_lists.action_lists.get(Role.BORROWING, request.GET.get(action_lists.PARAMETER) or "")
    if needs:
        rows = action_lists.narrow(rows, library=library, role=Role.BORROWING, key=needs.key, today=today)
    ordering = COLUMNS.ordering(sort, needs.ordering if needs else "-updated_at")
    page = keyset_page(rows, ordering=[ordering], cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    status = request.GET.get("status") or ""
    shown = COLUMNS.shown(query)
    counts = core_selectors.queue_counts(library=library, role=Role.BORROWING)
    context = {
        "library": library, "filter": filterset, "page": page, "status": status,
        "state": WORKFLOW.states.get(status), "counts": counts,
        "needs": action_lists.counts(library=library, role=Role.BORROWING, today=today),
        "action_list": needs and {"key": needs.key, "label": needs.label_for(today.policy),
                                  "description": needs.description},
        "query": query.urlencode(), "bulk_actions": _bulk_actions(status),
        "headers": COLUMNS.headers(query, current=COLUMNS.sort_for(ordering), shown=shown),
        "rows": queue_rows.render(page, columns=shown),
        "shown": {c.key for c in shown}, "optional_columns": COLUMNS.optional, "saved_views": saved,
    }
    partial = bool(request.htmx and request.htmx.target == "queue-table")
    context["partial"] = partial
    return render(request, "borrowing/staff/_queue_table.html" if partial else "borrowing/staff/queue.html", context)


def _bulk_actions(status: str):
    """Staff actions possible from ``status`` that need no note (all staff actions when no state is chosen)."""
    if status and status in WORKFLOW.states:
        candidates = WORKFLOW.available(status, ActorKind.STAFF)
    else:
        candidates = [t for t in WORKFLOW.transitions.values() if t.allows(ActorKind.STAFF)]
    return [t for t in candidates if not t.needs_note and not t.guards]


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    library = _library(request)
    action = request.POST.get("action", "")
    ids = parse_ids(request.POST.getlist("requests"))
    back = reverse(NS + ":queue") + ("?" + request.POST["return_query"] if request.POST.get("return_query") else "")
    if not ids or action not in WORKFLOW.transitions:
        messages.error(request, gettext("Tick at least one request and choose an action."))
        return redirect(back)
    transition = WORKFLOW.transition(action)
    if needs_confirmation(request, transition):
        return confirmation_page(request, transition=transition, back=back,
                                 requests=_bulk_preview(library, ids, transition))
    outcomes = loans.perform_bulk(library=library, request_ids=ids, action=action, actor=_actor(request),
                                  note=request.POST.get("note", ""))
    done = [o for o in outcomes if o.ok]
    label = transition.label
    if done:
        messages.success(request, ngettext("%(action)s: %(count)d request done (%(numbers)s).",
                                           "%(action)s: %(count)d requests done (%(numbers)s).", len(done))
                         % {"action": label, "count": len(done), "numbers": ", ".join(o.number for o in done)})
    for outcome in outcomes:
        if not outcome.ok:
            messages.error(request, gettext("%(number)s: %(message)s") % {"number": outcome.number,
                                                                          "message": outcome.message})
    return redirect(back)


def _bulk_preview(library: Library, ids: list[int], transition) -> list[dict]:
    """The ticked requests of ``library`` a bulk action would change, in the order ticked, each with the reason
    it would be left as it is (not possible from its state), for the confirmation page: one query."""
    found = {r.pk: r for r in IllRequest.objects.filter(pk__in=ids, library=library, role=Role.BORROWING)}
    return [{"request": found[pk],
             "refusal": "" if found[pk].status in transition.sources
             else gettext("not possible while “%(status)s”") % {"status": found[pk].status_label}}
            for pk in dict.fromkeys(ids) if pk in found]


# Scanner ------------------------------------------------------------------------------------

@login_required
def scan(request: HttpRequest) -> HttpResponse:
    library = _library(request)
    outcome = None
    mode = request.POST.get("mode") or request.GET.get("mode") or loans.ScanMode.RECEIVE
    form = ScanForm(request.POST or None, initial={"mode": mode})
    if request.method == "POST" and form.is_valid():
        outcome = loans.scan(library=library, code=form.cleaned_data["code"], mode=form.cleaned_data["mode"],
                             actor=_actor(request))
        # A fresh, empty field for the next scan, in the same mode.
        form = ScanForm(initial={"mode": form.cleaned_data["mode"]})
    # A lender's item just received gets its book band; one just checked in, its return label.
    printable = {loans.ScanMode.RECEIVE: "book-bands", loans.ScanMode.CHECK_IN: "return-labels"}
    kind = printable.get(mode) if outcome is not None and outcome.ok and not outcome.request.is_copy_format else None
    result = {"outcome": outcome, "print_url": f"{reverse(NS + ':' + kind)}?ids={outcome.request.pk}" if kind else "",
              "print_label": gettext("Book band (PDF)") if kind == "book-bands" else gettext("Return label (PDF)")}
    if request.htmx and outcome is not None:
        return render(request, "borrowing/staff/_scan_result.html", result)
    return render(request, "borrowing/staff/scan.html", {"form": form, "library": library, **result})


@login_required
def book_bands_pdf(request: HttpRequest) -> HttpResponse:
    """The book bands of the given requests (``?ids=``) as a PDF, to put round the lender's items."""
    return _printed(request, pdf.book_bands, "book-bands.pdf", what="book band")


@login_required
def return_labels_pdf(request: HttpRequest) -> HttpResponse:
    """The return labels of the given requests (``?ids=``), addressed to each lender."""
    return _printed(request, pdf.return_labels, "return-labels.pdf", what="return label")


def _printed(request: HttpRequest, render_pdf, filename: str, *, what: str) -> HttpResponse:
    library = _library(request)
    ids = parse_ids(request.GET.getlist("ids"))
    if not ids:
        return desk_views.nothing_selected(request, reverse(NS + ":queue"))
    found = list(selectors.requests_for_printing(library=library, ids=ids))
    if not found:
        raise Http404("No such borrowing requests.")
    for ill_request in found:  # a band prints the patron's name
        privacy.log_patron_access(request.user, request=ill_request, what=what, path=request.get_full_path())
    response = HttpResponse(render_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# One request --------------------------------------------------------------------------------

@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    library = _library(request)
    try:
        ill_request = selectors.staff_request_detail(library=library, pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such borrowing request.") from None
    response = render(request, "borrowing/staff/request_detail.html", _detail_context(request, library, ill_request))
    _log_look(request, ill_request)
    # Read now: the page just showed them (marked “New” once, in this view).
    messaging.mark_request_read(request=ill_request, user=request.user)
    return response


def _log_look(request: HttpRequest, ill_request: IllRequest) -> None:
    """The request page shows the patron's name, barcode and e-mail: one row in the access log per view."""
    privacy.log_patron_access(request.user, request=ill_request, what="borrowing request detail",
                              path=reverse(NS + ":request", kwargs={"pk": ill_request.pk}))


def _detail_context(request: HttpRequest, library: Library, ill_request: IllRequest, *,
                    citation_form: CitationForm | None = None, bound: dict[str, ActionForm] | None = None) -> dict:
    editable = ill_request.status in EDITABLE_STATES
    record = getattr(ill_request, "copyright_record", None)  # None when the request has no record
    rota_entries = list(ill_request.rota_entries.all())
    actions = DESK.actions(ill_request, core_services.available_actions(request=ill_request, actor=_actor(request)),
                           bound)
    # The actions the page offers in a section about them (``Transition.button``), by action.
    in_sections = {a["transition"].action: a["form"] for a in actions if not a["transition"].button}
    return {
        "ill_request": ill_request, "library": library, "state": WORKFLOW.state(ill_request.status),
        # A lender's item with us gets a book band; one on its way back, its return label.
        "prints_band": ill_request.status in ITEM_HERE and not ill_request.is_copy_format,
        "prints_return_label": ill_request.status in RETURNING_STATES,
        "return_shipment": getattr(ill_request, "return_shipment", None),
        "actions": [a for a in actions if a["transition"].button],
        "citation_form": citation_form or (CitationForm(instance=ill_request) if editable else None),
        "can_look_up_citation": editable and bool(settings.ILLMS_CITATION_LOOKUP) and bool(
            ill_request.doi or ill_request.pmid
            or (ill_request.isbn and "openlibrary" in settings.ILLMS_CITATION_LOOKUP)),
        "rota": rota_entries,
        # Waiting entries may change until the request is with us; the entries already tried stay.
        "rota_editable": ill_request.status in ROTA_EDITABLE_STATES,
        "can_send": ill_request.status == BorrowingStatus.SOURCING,
        "can_verify": ill_request.status == BorrowingStatus.SUBMITTED,
        "has_waiting_lender": any(e.is_pending for e in rota_entries),
        "end_rota": WORKFLOW.transition("end_rota"),
        "add_lender_form": AddLenderForm(library=library),
        "clearance_form": in_sections.get("clear_copyright"),
        # Buying instead of borrowing: the rules' proposal while no lender holds it, then the order.
        "purchase_order": getattr(ill_request, "purchase_order", None),
        "purchase_proposal": purchasing.proposal(ill_request) if ill_request.status in PURCHASE_SOURCES else None,
        "purchase_form": in_sections.get("order_purchase"),
        "can_dismiss_purchase": "dismiss_purchase" in in_sections,
        "supplier_order_form": in_sections.get("order_from_supplier"),
        "supplier_orders": list(ill_request.supplier_orders.select_related("supplier")),
        "copyright_record": record,
        "note_form": StaffNoteForm(),
        "thread": messaging.thread(ill_request),
    }


def _page_again(request: HttpRequest, library: Library, pk: int, **forms_) -> HttpResponse:
    """The request page with a posted form to correct (400)."""
    detail = selectors.staff_request_detail(library=library, pk=pk)
    _log_look(request, detail)
    return render(request, "borrowing/staff/request_detail.html", _detail_context(request, library, detail, **forms_),
                  status=400)


DESK = Desk(workflow=WORKFLOW, library=_library, own_request=_own_request, note_form=NoteForm, prefixed=False,
            page=lambda request, library, pk, bound: _page_again(request, library, pk, bound=bound))


@login_required
@require_POST
def perform_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """An action of the request page (the copyright clearance too), with the form its transition names."""
    return desk_views.perform_action(request, pk, action, desk=DESK)


@login_required
@require_POST
def complete_citation(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill the empty citation fields from the DOI or PMID, and say what changed."""
    library = _library(request)
    ill_request = _own_request(library, pk)
    try:
        _, changed, warnings = review.complete_from_identifiers(request=ill_request, actor=_actor(request))
    except ValidationError as exc:
        messages.error(request, gettext("Nothing was saved: %(errors)s") % {
            "errors": " ".join(m for ms in exc.message_dict.values() for m in ms)})
        return _back(pk)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return _back(pk)
    for warning in warnings:
        messages.warning(request, warning)
    if changed:
        filled = "; ".join(
            (gettext("%(field)s “%(new)s” (was “%(old)s”)") if old else gettext("%(field)s “%(new)s”"))
            % {"field": CITATION_LABELS.get(name, name), "new": new, "old": old}
            for name, (old, new) in changed.items())
        messages.success(request, gettext("%(number)s: filled in from its identifier: %(fields)s.")
                         % {"number": ill_request.number, "fields": filled})
    elif not warnings:
        messages.info(request, gettext("%(number)s: its identifier gave nothing the citation lacks.")
                      % {"number": ill_request.number})
    return _back(pk)


@login_required
@require_POST
def edit_citation(request: HttpRequest, pk: int) -> HttpResponse:
    library = _library(request)
    ill_request = _own_request(library, pk)
    form = CitationForm(request.POST)
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in review.CITATION_FIELDS}
        try:
            review.update_citation(request=ill_request, actor=_actor(request), changes=changes,
                                   verify="verify" in request.POST)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return _back(pk)
        else:
            messages.success(request, (gettext("%(number)s: citation saved and verified.") if "verify" in request.POST
                                       else gettext("%(number)s: citation saved.")) % {"number": ill_request.number})
            return _back(pk)
    return _page_again(request, library, pk, citation_form=form)


@login_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    library = _library(request)
    ill_request = _own_request(library, pk)
    form = StaffNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("A note cannot be empty.") if "text" in form.errors
                       else gettext("Choose who the note is for."))
        return _back(pk)
    try:
        note = messaging.write_note(request=ill_request, text=form.cleaned_data["text"],
                                    visibility=form.cleaned_data["visibility"], author=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        warned, text = messaging.note_outcome(note, ill_request)
        (messages.warning if warned else messages.success)(request, text)
    return redirect(reverse(NS + ":request", kwargs={"pk": pk}) + "#thread")


# Rota ---------------------------------------------------------------------------------------

@login_required
@require_POST
def rota_change(request: HttpRequest, pk: int, change: str) -> HttpResponse:
    """Build, send, move, remove and add: one small POST each, back to the request."""
    library = _library(request)
    ill_request = _own_request(library, pk)
    entry_id = parse_id(request.POST.get("entry") or "") or 0  # no such entry: the rota service says so
    back = reverse(NS + ":request", kwargs={"pk": pk}) + "#rota"
    if change == "add":
        form = AddLenderForm(request.POST, library=library)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["lender"]))
            return redirect(back)

    end_rota = WORKFLOW.transition("end_rota")
    if (change == "send" and ill_request.status == BorrowingStatus.SOURCING and needs_confirmation(request, end_rota)
            and rota.next_entry(ill_request) is None):
        # No lender left: sending ends the rota, which asks first as the action's own button does.
        return confirmation_page(request, transition=end_rota, ill_request=ill_request, back=back)

    def build():
        lookup = rota.find_item(ill_request)  # the catalogues first, outside the rota's transaction
        return rota.build_rota(request=ill_request, lookup=lookup), lookup

    def built(result) -> str:
        entries, lookup = result
        waiting = len([e for e in entries if e.is_pending])
        parts = [ngettext("Rota built: %(count)d lender waiting.", "Rota built: %(count)d lenders waiting.", waiting)
                 % {"count": waiting}]
        if lookup.answered or lookup.unknown:
            held = len([e for e in entries if e.is_pending and e.holdings_known])
            asked = len(lookup.answered) + len(lookup.unknown)
            parts.append((ngettext("Catalogues asked: %(asked)d; %(held)d lender holds it.",
                                   "Catalogues asked: %(asked)d; %(held)d lenders hold it.", held) if held
                          else gettext("Catalogues asked: %(asked)d; no lender known to hold it."))
                         % {"asked": asked, "held": held})
        if lookup.unknown:
            parts.append(gettext("Did not answer: %(libraries)s") % {"libraries": "; ".join(
                f"{symbol} ({why})" for symbol, why in lookup.unknown.items())})
        if lookup.unmatched_codes:
            parts.append(gettext("Holders not in the directory: %(codes)s.")
                         % {"codes": ", ".join(lookup.unmatched_codes[:10])})
        return " ".join(parts)

    def sent(_) -> str:
        ill_request.refresh_from_db()
        if ill_request.partner:
            return gettext("%(number)s: now “%(status)s” with %(lender)s.") % {
                "number": ill_request.number, "status": ill_request.status_label, "lender": ill_request.partner.symbol}
        return gettext("%(number)s: now “%(status)s”.") % {"number": ill_request.number,
                                                           "status": ill_request.status_label}

    changes = {
        "build": (build, built),
        "send": (lambda: rota.send_to_next_lender(request=ill_request, actor=_actor(request)), sent),
        "up": (lambda: rota.move_entry(request=ill_request, entry_id=entry_id, up=True), ""),
        "down": (lambda: rota.move_entry(request=ill_request, entry_id=entry_id, up=False), ""),
        "remove": (lambda: rota.remove_entry(request=ill_request, entry_id=entry_id), ""),
        "add": (lambda: rota.add_lender(request=ill_request, lender=form.cleaned_data["lender"]), ""),
    }
    if change not in changes:
        raise Http404("No such rota change.")
    call, done = changes[change]
    return run_action(request, call, back=back, done=done)


# Copyright ----------------------------------------------------------------------------------

@login_required
def copyright_report(request: HttpRequest) -> HttpResponse:
    library = _library(request)
    years = selectors.copyright_years(library=library)
    try:
        year = int(request.GET.get("year") or 0) or (years[0] if years else timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return render(request, "borrowing/staff/copyright_report.html", {
        "library": library, "year": year, "years": years,
        "rows": selectors.copyright_journal_counts(library=library, year=year),
        "limit": copyright_services.copies_per_year(library),
    })
