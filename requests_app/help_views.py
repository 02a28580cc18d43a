"""Staff help pages: /help/ and one page per side, generated from the workflow tables."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .help import workflow_help
from .models import Role
from .workflow import registry


def _require_staff(request: HttpRequest) -> None:
    """Library staff (a member library's account, or an admin) read the help; patrons do not."""
    user = request.user
    if not (user.is_staff or user.is_superuser or getattr(user, "staff_profile", None) is not None):
        raise PermissionDenied("The staff help is for library staff.")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    return render(request, "help/index.html", {"workflows": [workflow_help(w) for w in registry]})


@login_required
def workflow_page(request: HttpRequest, role: str) -> HttpResponse:
    _require_staff(request)
    if role not in Role.values:
        raise Http404("No such desk.")
    return render(request, "help/workflow.html", {"help": workflow_help(registry.get(role)), "role": role})
