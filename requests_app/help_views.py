"""Staff help pages: /help/ and one page per side, generated from the workflow tables (patrons: /requests/help/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from .help import workflow_help
from .models import Role
from .workflow import registry


def _is_staff(user) -> bool:
    return user.is_staff or user.is_superuser or getattr(user, "staff_profile", None) is not None


def _require_staff(request: HttpRequest) -> None:
    """Library staff (a member library's account, or an admin) read the desks' help; patrons have their own."""
    if not _is_staff(request.user):
        raise PermissionDenied(gettext("This help explains the library staff's desks, and your account is not a "
                                       "staff account. Your own help is under Help in the menu."))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The staff help; a patron who follows a link to /help/ lands on the patron's help."""
    if not _is_staff(request.user) and getattr(request.user, "patron_profile", None) is not None:
        return redirect("patron-help")
    _require_staff(request)
    return render(request, "help/index.html", {"workflows": [workflow_help(w) for w in registry]})


@login_required
def workflow_page(request: HttpRequest, role: str) -> HttpResponse:
    _require_staff(request)
    if role not in Role.values:
        raise Http404("No such desk.")
    return render(request, "help/workflow.html", {"help": workflow_help(registry.get(role)), "role": role})
