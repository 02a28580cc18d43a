"""Who may open a staff page: one rule for every desk, report and settings page.

A staff page needs a permission (work the borrowing queue, administer ILL, manage billing…)
and an account attached to a member library, whose data the page then shows. Anything else
is a 403 with a reason the user can act on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import Library
from .selectors import staff_library

NO_LIBRARY = "Your account is not attached to a member library."


def member_library(user, permission: str | None = None, refusal: str = "") -> Library:
    """``user``'s member library, after checking ``permission``; ``PermissionDenied`` otherwise."""
    if permission and not user.has_perm(permission):
        raise PermissionDenied(refusal or "Your account may not open this page.")
    library = staff_library(user)
    if library is None:
        raise PermissionDenied(NO_LIBRARY)
    return library


def staff_view(permission: str, refusal: str) -> Callable:
    """Decorate a view taking ``(request, library, …)``: signed in, ``permission``, a member library."""
    def decorate(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            return view(request, member_library(request.user, permission, refusal), *args, **kwargs)
        return wrapper
    return decorate
