"""One lending request: what we hold, policy warnings, the answer forms, messages, e-delivery links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from requests_app import desk_views, messaging
from requests_app.action_input import ActionForm
from requests_app.desk_views import Desk, run_action
from requests_app.models import IllRequest, Library, Role
from requests_app.ncip.availability import live_items
from requests_app.services import available_actions
from requests_app.workflow import Actor, WorkflowError

from .. import selectors
from ..forms import NoteForm, StaffNoteForm
from ..models import ElectronicDelivery
from ..services import edelivery
from ..services.answers import ShippingMethod
from ..workflow import WORKFLOW
from . import lending_library


def _detail_page(request: HttpRequest, ill_request: IllRequest, *, bound: dict[str, ActionForm] | None = None,
                 status: int = 200, note_form: StaffNoteForm | None = None) -> HttpResponse:
    transitions = available_actions(request=ill_request, actor=Actor.staff(request.user))
    extras = selectors.lending_extras(request=ill_request)
    holding = getattr(extras.get("detail"), "holding", None)
    live, others = None, []
    if holding is not None and holding.barcode and not ill_request.is_final:
        # The matched copy and the record's other copies, asked about at once (LookupItemSet where offered).
        copies = [holding.barcode, *(copy.barcode for copy in selectors.other_copies(holding))]
        found = live_items(library=ill_request.library, barcodes=copies) or []
        live, others = (found[0] if found else None), found[1:]
    return render(request, "lending/request_detail.html", {
        "ill_request": ill_request, "actions": DESK.actions(ill_request, transitions, bound),
        **extras, "live_item": live, "other_copies": others, "shipping_method": _shipping_method(extras.get("detail")),
        "thread": messaging.thread(ill_request), "note_form": note_form or StaffNoteForm(),
    }, status=status)


def _shipping_method(detail) -> str:
    """How we shipped, in words (an ISO 18626 code outside our list as it is)."""
    code = getattr(detail, "shipping_method", "") or ""
    return str(dict(ShippingMethod.choices).get(code, code))


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    library = lending_library(request)
    try:
        ill_request = selectors.request_detail(library=library, pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such lending request.") from None
    response = _detail_page(request, ill_request)
    # Read now: the page just showed them (marked “New” once, in this view).
    messaging.mark_request_read(request=ill_request, user=request.user)
    return response


def _own_request(library: Library, pk: int) -> IllRequest:
    """``library``'s lending request ``pk`` (locked later by the service), or 404."""
    try:
        return IllRequest.objects.select_related("library", "partner").get(pk=pk, library=library,
                                                                          role=Role.LENDING)
    except IllRequest.DoesNotExist:
        raise Http404("No such lending request.") from None


@login_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    """A note for our staff, or one sent to the borrowing library as an ISO 18626 Notification."""
    library = lending_library(request)
    ill_request = _own_request(library, pk)
    form = StaffNoteForm(request.POST)
    if form.is_valid():
        try:
            note = messaging.write_note(request=ill_request, text=form.cleaned_data["text"],
                                        visibility=form.cleaned_data["visibility"], author=request.user)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            warned, text = messaging.note_outcome(note, ill_request)
            (messages.warning if warned else messages.success)(request, text)
            return redirect(reverse("lending:request", args=[pk]) + "#thread")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _detail_page(request, selectors.request_detail(library=library, pk=pk), note_form=form, status=400)


DESK = Desk(
    workflow=WORKFLOW, library=lending_library, own_request=_own_request, note_form=NoteForm,
    page=lambda request, library, pk, bound: _detail_page(
        request, selectors.request_detail(library=library, pk=pk), bound=bound, status=400),
)


@login_required
@require_POST
def perform_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """An answer or another action, with the form its transition names (``lending.workflow``)."""
    return desk_views.perform_action(request, pk, action, desk=DESK)


@login_required
@require_POST
def reissue_delivery(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    library = lending_library(request)
    try:
        delivery = ElectronicDelivery.objects.get(pk=delivery_id, request__pk=pk, request__library=library)
    except ElectronicDelivery.DoesNotExist:
        raise Http404("No such delivery.") from None
    return run_action(request, lambda: edelivery.reissue_link(delivery=delivery,
                                                             base_url=request.build_absolute_uri("/")),
                      back=WORKFLOW.desk_request_url(pk),
                      done=gettext("A new link is sent to the borrowing library; the old one no longer works."))
