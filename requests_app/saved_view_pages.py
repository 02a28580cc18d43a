"""The pages behind the saved views menu beside both desks' queues: save the queue as shown, rename or
replace a view, make it the default, delete it (``requests_app.saved_views`` keeps and checks them).

Every page is the owner's alone: another person's view, or one kept at another member library, is
“Page not found”. A form that does not validate (no name, a name too long or taken, filters the queue
does not know) is shown again with its errors, status 400, and nothing is changed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import saved_views
from .access import member_library
from .desk_views import CONFIRMED, confirmation_page
from .models import Library, Role, SavedQueueView
from .saved_views import SavedQuery, SavedQueue
from .workflow import Workflow, registry


class SavedViewForm(forms.Form):
    """Save the queue as shown (``query``, its query string) under a name."""

    name = forms.CharField(label=_("Name"), max_length=saved_views.MAX_NAME,
                           error_messages={"required": _("Give the view a name.")})
    default = forms.BooleanField(label=_("Open this view when I open the queue"), required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, queue: SavedQueue, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue = queue

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if any(unicodedata.category(character).startswith("C") for character in name):
            raise ValidationError(gettext("A name cannot hold control characters such as tabs or line breaks."))
        return name

    def keeps_query(self) -> bool:
        return True

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["saved_query"] = None
        if self.keeps_query():
            try:
                cleaned["saved_query"] = saved_views.parse(self.queue, cleaned.get("query") or "")
            except ValidationError as exc:
                for message in exc.messages:
                    self.add_error(None, gettext("These filters cannot be saved: %(problem)s") % {"problem": message})
        return cleaned


class EditSavedViewForm(SavedViewForm):
    """Rename a view, make it the default or not, and replace what it shows with the queue as shown now."""

    replace = forms.BooleanField(label=_("Replace its columns, filters and sort with the ones on screen now"),
                                 required=False)

    field_order = ["name", "default", "replace", "query"]

    def keeps_query(self) -> bool:
        return bool(self.cleaned_data.get("replace"))


@dataclass(frozen=True)
class Question:
    """What the confirmation page asks (it reads a transition's ``label`` and ``confirm``)."""

    label: str
    confirm: str


def _queue(role: str) -> tuple[SavedQueue, Workflow]:
    queue = saved_views.queues.get(role) if role in Role.values else None
    if queue is None:
        raise Http404("No such queue.")
    return queue, registry.get(role)


def _library(request: HttpRequest, workflow: Workflow) -> Library:
    return member_library(request.user, workflow.staff_permission,
                          gettext("Saved views belong beside a desk's queue, and your account may not work this desk."))


def _own_view(request: HttpRequest, library: Library, role: str, pk: int) -> SavedQueueView:
    try:
        return saved_views.own_view(owner=request.user, library=library, role=role, pk=pk)
    except SavedQueueView.DoesNotExist:
        raise Http404("You have no saved view with this number.") from None


def _form_page(request: HttpRequest, *, form: SavedViewForm, workflow: Workflow, library: Library,
               view: SavedQueueView | None = None, status: int = 200) -> HttpResponse:
    current = None
    if view is not None and form["query"].value():
        try:
            current = saved_views.parse(form.queue, form["query"].value())
        except ValidationError:
            current = None
    kept = SavedQuery.of(view) if view is not None else None
    return render(request, "requests_app/saved_view.html", {
        "form": form, "view": view, "role": workflow.role, "queue_url": workflow.desk_queue_url(),
        "queue_label": Role(workflow.role).label,
        "kept": saved_views.describe(form.queue, kept, library=library) if kept else None,
        "current": saved_views.describe(form.queue, current, library=library)
        if current is not None and current != kept else None,
        "view_url": saved_views.view_url(view) if view is not None else "",
    }, status=status)


@login_required
@require_POST
def save(request: HttpRequest, role: str) -> HttpResponse:
    """The queue as shown, saved under the name given; then the queue showing it."""
    queue, workflow = _queue(role)
    library = _library(request, workflow)
    form = SavedViewForm(request.POST, queue=queue)
    if form.is_valid():
        try:
            view = saved_views.save_view(owner=request.user, library=library, role=role,
                                         name=form.cleaned_data["name"], query=form.cleaned_data["saved_query"],
                                         make_default=form.cleaned_data["default"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, gettext("Saved the view “%(name)s”.") % {"name": view.name})
            return redirect(saved_views.view_url(view))
    return _form_page(request, form=form, workflow=workflow, library=library, status=400)


@login_required
def edit(request: HttpRequest, role: str, pk: int) -> HttpResponse:
    """A view's page: rename it, make it the default, replace it with the queue as shown (``?current=``)."""
    queue, workflow = _queue(role)
    library = _library(request, workflow)
    view = _own_view(request, library, role, pk)
    if request.method != "POST":
        form = EditSavedViewForm(queue=queue, initial={"name": view.name, "default": view.is_default,
                                                       "query": request.GET.get("current", "")})
        return _form_page(request, form=form, workflow=workflow, library=library, view=view)
    form = EditSavedViewForm(request.POST, queue=queue)
    if form.is_valid():
        try:
            view = saved_views.update_view(view=view, name=form.cleaned_data["name"],
                                           make_default=form.cleaned_data["default"],
                                           query=form.cleaned_data["saved_query"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, gettext("Saved the view “%(name)s”.") % {"name": view.name})
            return redirect(saved_views.view_url(view))
    return _form_page(request, form=form, workflow=workflow, library=library, view=view, status=400)


@login_required
@require_POST
def delete(request: HttpRequest, role: str, pk: int) -> HttpResponse:
    """Delete a view, once confirmed (in a dialog, or on the confirmation page without JavaScript)."""
    _, workflow = _queue(role)
    library = _library(request, workflow)
    view = _own_view(request, library, role, pk)
    if request.POST.get(CONFIRMED) != "1":
        question = Question(label=gettext("Delete the view “%(name)s”") % {"name": view.name},
                            confirm=gettext("The saved view “%(name)s” will be deleted. No request changes.")
                            % {"name": view.name})
        return confirmation_page(request, transition=question,  # type: ignore[arg-type]
                                 back=reverse("staff:saved-view", args=[role, view.pk]))
    name = view.name
    saved_views.delete_view(view=view)
    messages.success(request, gettext("Deleted the view “%(name)s”.") % {"name": name})
    return redirect(workflow.desk_queue_url())
