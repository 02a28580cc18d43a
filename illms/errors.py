"""The site's error pages: 400, 403, 404, 500 and the refused CSRF check, all on ``templates/error.html``.

Each page has the site's navigation when the user is known, a title, a reason a person can act on and the
ways back (home, help, sign in). A 403 shows the message of the ``PermissionDenied`` that refused the page,
which our access checks write for people (``requests_app/access.py``); the 400 and 404 pages never show an
exception's text, which is written for developers. The 500 page is rendered without the request, whose
context processors (the user, the member library, the database) may be what broke.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import requires_csrf_token

from requests_app.partners.api import errors as api_errors

logger = logging.getLogger(__name__)

TEMPLATE = "error.html"
CSRF_TEMPLATE = "403_csrf.html"

BAD_REQUEST = (gettext_lazy("Bad request"),
               gettext_lazy("The address or the form sent could not be understood, so nothing was changed."))
FORBIDDEN = (gettext_lazy("You may not open this page"), gettext_lazy("Your account may not open this page."))
SIGN_IN_FIRST = gettext_lazy("Sign in to open this page.")
NOT_FOUND = (
    gettext_lazy("Page not found"),
    gettext_lazy("There is no page at this address: the link may be out of date or mistyped, or "
                 "what it points to is not something your library's account can see."),
)
SERVER_ERROR = (
    gettext_lazy("Something went wrong"),
    gettext_lazy("The page could not be shown because of an error on our side. It has been "
                 "logged; nothing you sent was half saved. Try again in a moment."),
)


def refusal_message(exception: Exception | None) -> str:
    """The reason a ``PermissionDenied`` gives, if it gives one as text (ours always do)."""
    if isinstance(exception, PermissionDenied) and exception.args and isinstance(exception.args[0], str | Promise):
        return str(exception.args[0]).strip()
    return ""


def help_url(user) -> str:
    """The help a user may read: the staff help for staff, the patron's help for patrons, none signed out."""
    if user is None or not user.is_authenticated:
        return ""
    if user.is_staff or user.is_superuser or getattr(user, "staff_profile", None) is not None:
        return reverse("help:index")
    return reverse("patron-help")


def _page(
    request: HttpRequest, status: int, title: str, reason: str, template: str = TEMPLATE, **extra
) -> HttpResponse:
    context = {
        "status": status,
        "title": title,
        "reason": reason,
        "help_url": help_url(getattr(request, "user", None)),
        **extra,
    }
    return render(request, template, context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, *BAD_REQUEST)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    title, default = FORBIDDEN
    user = getattr(request, "user", None)
    reason = refusal_message(exception) or (default if user is not None and user.is_authenticated else SIGN_IN_FIRST)
    return _page(request, 403, title, reason)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, *NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    """The page alone, from a context of constants: no user, no member library, no database."""
    title, reason = SERVER_ERROR
    try:
        body = loader.get_template(TEMPLATE).render(
            {"status": 500, "title": title, "reason": reason, "help_url": reverse("help:index")}
        )
    except Exception:  # the template itself failed: still answer a page, not a second error
        logger.exception("The error page could not be rendered")
        body = f'<!doctype html><title>{title}</title><h1>{title}</h1><p>{reason}</p><p><a href="/">{_("Home")}</a></p>'
    return HttpResponseServerError(body)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: under ``/api/`` the API's JSON 403, elsewhere the site's page.

    The page is rendered with the request, which sets a fresh CSRF cookie: reloading the form and sending it
    again then works.
    """
    if request.path.startswith(api_errors.API_PREFIX):
        return api_errors.csrf_failure(request, reason)
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER

    return _page(
        request,
        403,
        _("This form has expired"),
        _("The page was open too long, or the form was sent from another site, so it was not accepted and "
          "nothing was changed."),
        template=CSRF_TEMPLATE,
        no_cookie=reason == REASON_NO_CSRF_COOKIE,
        no_referer=reason == REASON_NO_REFERER,
    )
