"""What both staff desks share: the forms of the actions on a request page, the one view that performs
an action, and the helper every page uses to run a service and say what happened.

Each side declares its :class:`Desk` (how its pages find the library and the request, and how the
request page is drawn again with a form that needs correcting); the core reaches a side only through
it and the workflow table, never by importing the side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy

from .action_input import ActionForm
from .models import EventSource, IllRequest, Library
from .services import changed_meanwhile, perform_transition
from .workflow import Actor, Transition, Workflow, WorkflowError

T = TypeVar("T")

#: What the request page says when a posted form does not validate.
CORRECT_THE_FORM = gettext_lazy("Please correct the form below.")
#: What a batch button (print, labels, bands) says when it is pressed with no request ticked.
SELECT_AT_LEAST_ONE = gettext_lazy("Select at least one request.")

#: The field a page's POST carries once its user confirmed an action marked ``Transition.confirm``.
CONFIRMED = "confirmed"
#: Fields of a POST the confirmation page does not post again (it has its own token and confirmation).
_NOT_REPOSTED = frozenset({"csrfmiddlewaretoken", CONFIRMED})


def needs_confirmation(request: HttpRequest, transition: Transition) -> bool:
    """``transition`` asks before it runs (``Transition.confirm``) and this POST was not confirmed."""
    return bool(transition.confirm) and request.POST.get(CONFIRMED) != "1"


def _summary(form: ActionForm | None) -> list[tuple[str, str]]:
    """What the user chose in ``form``, as (label, value) pairs for the confirmation page: choices by their
    label, empty fields left out."""
    if form is None:
        return []
    rows = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", [], False):
            continue
        choices = dict(getattr(field, "choices", None) or ())
        shown = choices.get(value, choices.get(str(value), value)) if choices else value
        rows.append((str(field.label or name.replace("_", " ").capitalize()), str(shown)))
    return rows


def confirmation_page(request: HttpRequest, *, transition: Transition, back: str,
                      ill_request: IllRequest | None = None, requests: list[dict[str, Any]] | None = None,
                      form: ActionForm | None = None) -> HttpResponse:
    """The page that asks before ``transition`` runs, without JavaScript: it names the request (or, for a bulk
    action, lists ``requests``: each a dict with ``request`` and ``refusal``, the reason it would be refused),
    says what will happen, and re-posts the same fields to the same address with ``confirmed=1`` (for a bulk
    action, only the listed requests' ids); Go back returns to ``back``. Nothing has changed when it is shown."""
    fields = [(name, value) for name, values in request.POST.lists() if name not in _NOT_REPOSTED
              for value in values if requests is None or name != "requests"]
    if requests is not None:
        # Only the listed requests go on: a ticked id the user's library does not hold is not echoed back.
        fields += [("requests", str(row["request"].pk)) for row in requests]
    return render(request, "requests_app/confirm.html", {
        "transition": transition, "ill_request": ill_request, "requests": requests, "back": back,
        "fields": fields, "summary": _summary(form), "action_url": request.get_full_path(),
    })


@dataclass(frozen=True)
class Desk:
    """One side's staff desk, as the generic views need it."""

    workflow: Workflow
    #: The member library whose desk the signed-in user works (``PermissionDenied`` otherwise).
    library: Callable[[HttpRequest], Library]
    #: The library's request ``pk`` of this side (``Http404`` otherwise).
    own_request: Callable[[Library, int], IllRequest]
    #: The request page again (status 400), the posted forms (by action) shown as posted.
    page: Callable[[HttpRequest, Library, int, dict[str, ActionForm]], HttpResponse]
    #: The form of an action whose transition names none (an optional note).
    note_form: type[ActionForm]
    #: Each form's fields carry its action's name (``ship-due_date``); otherwise only their ids do.
    prefixed: bool = True

    def form(self, transition: Transition, ill_request: IllRequest, data=None, files=None) -> ActionForm:
        """The form ``transition`` asks for on ``ill_request``'s page, bound to ``data`` when posted."""
        form_class = transition.form or self.note_form
        names = {"prefix": transition.action} if self.prefixed else {"auto_id": f"%s-{transition.action}"}
        return form_class(data, files, ill_request=ill_request, **names)

    def actions(self, ill_request: IllRequest, transitions: list[Transition],
                bound: dict[str, ActionForm] | None = None) -> list[dict[str, Any]]:
        """Each transition with its form (the posted one where ``bound`` has it), as the page lists them."""
        return [{"transition": t, "form": (bound or {}).get(t.action) or self.form(t, ill_request)}
                for t in transitions]


def run_action(request: HttpRequest, call: Callable[[], T], *, back: str, done: str | Callable[[T], str] = "",
               ill_request: IllRequest | None = None, expected_status: str | None = None,
               invalid: Callable[[WorkflowError], HttpResponse] | None = None) -> HttpResponse:
    """Run ``call`` (a service) for a page, then send the browser to ``back`` with what happened.

    A page showing ``ill_request`` in another status than ``expected_status`` is out of date: the action is
    refused before anything runs. A ``WorkflowError`` becomes an error message; an ``invalid`` one answers
    with the page ``invalid`` draws (the form and its error) when given. ``done`` is the success message, or
    makes it from what ``call`` returned.
    """
    if expected_status and ill_request is not None and expected_status != ill_request.status:
        messages.error(request, changed_meanwhile(ill_request).message)
        return redirect(back)
    try:
        result = call()
    except WorkflowError as exc:
        messages.error(request, exc.message)
        if exc.code == "invalid" and invalid is not None:
            return invalid(exc)
        return redirect(back)
    text = done(result) if callable(done) else done
    if text:
        messages.success(request, text)
    return redirect(back)


def nothing_selected(request: HttpRequest, queue: str) -> HttpResponse:
    """Back to the queue the batch button was pressed on (its filters kept), saying what to do."""
    messages.error(request, SELECT_AT_LEAST_ONE)
    referrer = request.headers.get("referer", "")
    same_queue = url_has_allowed_host_and_scheme(referrer, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure())
    if same_queue and urlsplit(referrer).path == queue:
        return redirect(referrer)
    return redirect(queue)


def perform_action(request: HttpRequest, pk: int, action: str, *, desk: Desk) -> HttpResponse:
    """POST of an action's form on a request page: validate it, ask first for an action marked
    ``Transition.confirm`` (:func:`confirmation_page`, until the POST carries ``confirmed=1``), then run the
    transition's service (or ``perform``) through ``services.perform_transition``."""
    library = desk.library(request)
    ill_request = desk.own_request(library, pk)
    back = desk.workflow.desk_request_url(pk)
    try:
        transition = desk.workflow.transition(action)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    form = desk.form(transition, ill_request, request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, CORRECT_THE_FORM)
        return desk.page(request, library, pk, {action: form})
    expected_status = request.POST.get("expected_status") or None
    if needs_confirmation(request, transition) and expected_status in (None, ill_request.status):
        return confirmation_page(request, transition=transition, ill_request=ill_request, back=back, form=form)
    actor, arguments = Actor.staff(request.user), form.arguments(request)

    def call():
        # The REST API's actions run through the same function with the same arguments.
        return perform_transition(transition=transition, request=ill_request, actor=actor, arguments=arguments,
                                  source=EventSource.WEB)

    def invalid(exc: WorkflowError) -> HttpResponse:
        form.add_error(None, exc.message)
        return desk.page(request, library, pk, {action: form})

    return run_action(request, call, back=back, ill_request=ill_request,
                      expected_status=expected_status, invalid=invalid,
                      done=lambda _: gettext("%(number)s: %(action)s – now “%(status)s”.") % {
                          "number": ill_request.number, "action": transition.label,
                          "status": ill_request.status_label})
