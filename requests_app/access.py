"""Who may open a staff page: one rule for every desk, report and settings page.

A staff page needs a permission (work the borrowing queue, administer ILL, manage billing…)
and an account attached to a member library, whose data the page then shows. Anything else
is a 403 with a reason the user can act on: which role the page needs (from ``roles.ROLES``) and who
gives it, that the account has no member library, or that it is a patron's account. The error page
(``illms/errors.py``) shows that reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy, pgettext

from .models import Library
from .roles import role_label, roles_granting
from .selectors import staff_library

NO_LIBRARY = gettext_lazy(
    "Your account is not attached to a member library, and this page shows a member library's work: ask your "
    "library's ILL administrator to attach your account to the library.")
PATRON_ACCOUNT = gettext_lazy(
    "This page is for library staff, and your account is a patron's: your own requests are under My requests.")
REFUSED = gettext_lazy("Your account may not open this page.")


def or_list(names: list[str]) -> str:
    """``“A”``, ``“A” or “B”``, ``“A”, “B” or “C”``, in the active language (its quotation marks and its “or”)."""
    quoted = [pgettext("a quoted name", "“%(name)s”") % {"name": name} for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return gettext("%(names)s or %(last)s") % {"names": ", ".join(quoted[:-1]), "last": quoted[-1]}


def needs_role(names: list[str]) -> str:
    """What would let the user in: the roles (by their names in the active language) and who gives them."""
    return gettext("It needs the role %(roles)s, which your library's ILL administrator can give your account.") % {
        "roles": or_list([role_label(name) for name in names])}


def refusal_reason(user, permission: str, refusal: str = "") -> str:
    """Why ``user`` may not open a page needing ``permission``, and what would let them: the roles holding it."""
    if getattr(user, "patron_profile", None) is not None and not user.is_staff and staff_library(user) is None:
        return str(PATRON_ACCOUNT)
    roles = roles_granting(permission)
    reason = str(refusal or REFUSED)
    return f"{reason} {needs_role(roles)}" if roles else reason


def member_library(user, permission: str | None = None, refusal: str = "") -> Library:
    """``user``'s member library, after checking ``permission``; ``PermissionDenied`` with the reason otherwise."""
    if permission and not user.has_perm(permission):
        raise PermissionDenied(refusal_reason(user, permission, refusal))
    library = staff_library(user)
    if library is None:
        raise PermissionDenied(PATRON_ACCOUNT if getattr(user, "patron_profile", None) is not None else NO_LIBRARY)
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
