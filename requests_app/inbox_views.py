"""The staff inbox: unread notes from partners and patrons on the sides a staff member works.

``/inbox/`` lists them newest first (a constant number of queries, whatever the count);
``/inbox/read/`` marks one, several or all of them read (POST, safe to repeat). Opening a
request on its desk marks its notes read too (``messaging.mark_request_read``).

Above them, the partner messages to the library that could not be applied (acknowledged, then refused
when the worker applied them: ``partners.intake``), with the reason, until staff apply them again (the
Django admin's *apply again*) or deal with the partner themselves.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from . import messaging
from .access import PATRON_ACCOUNT, member_library, needs_role
from .models import Library
from .roles import roles_granting
from .selectors import staff_library
from .utilities.ids import parse_ids

PAGE_SIZE = 50
#: The newest partner messages that could not be applied shown above the notes (the admin lists them all).
FAILED_SHOWN = 20


def roles_for_desks() -> list[str]:
    borrowing, lending = roles_granting("requests_app.work_borrowing"), roles_granting("requests_app.work_lending")
    return [*borrowing, *(name for name in lending if name not in borrowing)]


def inbox_scope(request: HttpRequest) -> tuple[Library, list[str]]:
    """The member library and the sides whose notes this user reads; 403 for anyone else."""
    roles = messaging.staff_roles(request.user)
    if not roles:
        raise PermissionDenied(PATRON_ACCOUNT if getattr(request.user, "patron_profile", None) is not None
                               and staff_library(request.user) is None else
                               gettext("The inbox holds the messages of the borrowing and lending desks, and your "
                                       "account works neither.") + " " + needs_role(roles_for_desks()))
    return member_library(request.user), roles


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    library, roles = inbox_scope(request)
    page = Paginator(messaging.inbox_notes(library=library, roles=roles), PAGE_SIZE).get_page(request.GET.get("page"))
    failed = list(messaging.failed_messages(library=library, roles=roles)[:FAILED_SHOWN + 1])
    return render(request, "inbox/inbox.html", {"library": library, "roles": roles, "page": page,
                                                "count": page.paginator.count, "failed": failed[:FAILED_SHOWN],
                                                "more_failed": len(failed) > FAILED_SHOWN})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark the ticked notes (``note``), or every note of the inbox (``all``), read."""
    library, roles = inbox_scope(request)
    if request.POST.get("all"):
        changed = messaging.mark_read(library=library, roles=roles, user=request.user)
    else:
        ids = parse_ids(request.POST.getlist("note"))
        if not ids:
            messages.error(request, gettext("Choose a message to mark read."))
            return redirect(_next(request))
        changed = messaging.mark_read(library=library, roles=roles, user=request.user, note_ids=ids)
    if changed:
        messages.success(request, ngettext("%(count)d message marked read.", "%(count)d messages marked read.",
                                           changed) % {"count": changed})
    else:
        messages.info(request, gettext("Nothing new to mark read."))
    return redirect(_next(request))


def _next(request: HttpRequest) -> str:
    """Back to the page the form was on: a path of this site, else the inbox (never a view name)."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and target.isprintable() and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("inbox:inbox")
