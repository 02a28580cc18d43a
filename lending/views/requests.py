"""One lending request: what we hold, policy warnings, the answer forms, messages, e-delivery links."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from requests_app import messaging
from requests_app.models import IllRequest, Role
from requests_app.services import available_actions, perform
from requests_app.workflow import Actor, WorkflowError

from .. import selectors
from ..forms import ConditionsForm, DeliveryForm, NoteForm, RenewalForm, ShipForm, StaffNoteForm, UnfillForm
from ..models import ElectronicDelivery
from ..services import answers, edelivery
from . import lending_library

#: The form each action asks for; any other action takes an optional note.
FORMS = {"offer_conditions": ConditionsForm, "unfill": UnfillForm, "ship": ShipForm,
         "answer_renewal": RenewalForm, "deliver_copy": DeliveryForm}


def _detail_page(request: HttpRequest, ill_request: IllRequest, *, bound: dict | None = None,
                 status: int = 200, note_form: StaffNoteForm | None = None) -> HttpResponse:
    actor = Actor.staff(request.user)
    actions = []
    for transition in available_actions(request=ill_request, actor=actor):
        form_class = FORMS.get(transition.action, NoteForm)
        form = (bound or {}).get(transition.action) or form_class(prefix=transition.action)
        actions.append({"t": transition, "form": form, "multipart": transition.action == "deliver_copy"})
    return render(request, "lending/request_detail.html", {
        "ill_request": ill_request, "actions": actions, **selectors.lending_extras(request=ill_request),
        "thread": messaging.thread(ill_request), "note_form": note_form or StaffNoteForm(),
    }, status=status)


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


def _own_request(library, pk: int) -> IllRequest:
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


@login_required
@require_POST
def perform_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    library = lending_library(request)
    ill_request = _own_request(library, pk)
    form_class = FORMS.get(action, NoteForm)
    form = form_class(request.POST, request.FILES, prefix=action)
    if not form.is_valid():
        messages.error(request, "Please correct the form below.")
        return _detail_page(request, selectors.request_detail(library=library, pk=pk), bound={action: form},
                            status=400)
    expected = request.POST.get("expected_status") or None
    if expected and expected != ill_request.status:
        messages.error(request, f"{ill_request.number} changed meanwhile: it is now “{ill_request.status_label}”.")
        return redirect("lending:request", pk=pk)
    actor, data = Actor.staff(request.user), form.cleaned_data
    try:
        if action == "offer_conditions":
            answers.offer_conditions(request=ill_request, actor=actor, conditions=data["conditions"],
                                     note=data["note"])
        elif action == "unfill":
            answers.unfill(request=ill_request, actor=actor, reason=data["reason"], note=data["note"],
                           retry_after=data["retry_after"])
        elif action == "ship":
            answers.ship(request=ill_request, actor=actor, shipping_method=data["shipping_method"],
                         carrier=data["carrier"], tracking_number=data["tracking_number"], due_date=data["due_date"])
        elif action == "answer_renewal":
            answers.answer_renewal(request=ill_request, actor=actor, grant=data["answer"] == "Y",
                                   due_date=data["due_date"], note=data["note"])
        elif action == "deliver_copy":
            edelivery.deliver_copy(request=ill_request, actor=actor, upload=data["file"], note=data["note"],
                                   base_url=request.build_absolute_uri("/"))
        else:
            perform(request=ill_request, action=action, actor=actor, note=data.get("note", ""))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        if exc.code == "invalid":
            form.add_error(None, exc.message)
            return _detail_page(request, selectors.request_detail(library=library, pk=pk), bound={action: form},
                                status=400)
    else:
        label = ill_request.workflow.transition(action).label
        messages.success(request, f"{ill_request.number}: {label} – now “{ill_request.status_label}”.")
    return redirect("lending:request", pk=pk)


@login_required
@require_POST
def reissue_delivery(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    library = lending_library(request)
    try:
        delivery = ElectronicDelivery.objects.get(pk=delivery_id, request__pk=pk, request__library=library)
    except ElectronicDelivery.DoesNotExist:
        raise Http404("No such delivery.") from None
    try:
        edelivery.reissue_link(delivery=delivery, base_url=request.build_absolute_uri("/"))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "A new link is sent to the borrowing library; the old one no longer works.")
    return redirect("lending:request", pk=pk)
