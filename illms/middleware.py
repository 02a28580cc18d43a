"""Middleware of the whole site."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from requests_app.languages import SESSION_KEY, supported

logger = logging.getLogger(__name__)

NUL_MESSAGE = _("The address holds a NUL character (%00), which no search or filter here accepts.")


class RefuseNulInQueryString:
    """Answers 400 to a query string that holds a NUL character, before any view reads it.

    No page of ours takes one, and PostgreSQL can neither store nor compare it: a search or a filter
    that passed it on to a query answered 500. Forms check their own fields (Django's text fields
    refuse NUL); this covers the parameters views read directly (``?q=``, ``?partner=``, ``?patron=``).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "message": str(NUL_MESSAGE)}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ProfileLanguage:
    """A signed-in person's own language (saved on their profile, kept in the session from sign-in) for the request.

    LocaleMiddleware has already chosen from the language cookie or the browser; the person's saved choice wins,
    so they see it on any computer. It costs no query: the session is read for authentication anyway.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        language = supported(session.get(SESSION_KEY)) if session is not None else None
        if language and request.user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class PermissionsPolicy:
    """Sends ``Permissions-Policy`` from ``ILLMS_PERMISSIONS_POLICY``: a feature with no origins is off."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})" for feature, origins in settings.ILLMS_PERMISSIONS_POLICY.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


#: The session key holding when a staff member last made a request (seconds since the epoch).
LAST_ACTIVITY_KEY = "illms_last_activity"
#: Activity is written to the session at most this often, so a busy desk does not save its session per request.
ACTIVITY_RESOLUTION_SECONDS = 60


def is_staff_member(user) -> bool:
    """Staff for the idle timeout: a Django staff account or a member library's staff profile."""
    # The reverse one-to-one caches its answer (a missing profile too), so the base template's own look-up
    # of ``user.staff_profile`` costs no second query.
    return user.is_staff or getattr(user, "staff_profile", None) is not None


def _duration(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    parts = [ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}] if hours else []
    if minutes or not hours:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    return " ".join(parts)


def record_sign_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """``user_logged_in`` receiver: a staff member's idle time starts at sign-in, saved with the new session."""
    if is_staff_member(user):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


class StaffSessionIdleTimeout:
    """Signs a staff member out after ``ILLMS_STAFF_SESSION_IDLE_SECONDS`` without a request.

    Staff read confidential patron records, often on shared desk computers. Their last activity is kept in the
    session from sign-in on (``record_sign_in``), rewritten only when the stored time is more than a minute
    old. A request after too long idle signs them out and sends them to the login page, which says why (an
    htmx request is redirected by htmx, an API call just goes on unauthenticated). Patron sessions are left
    alone: they end at ``SESSION_COOKIE_AGE``.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and is_staff_member(user):
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            idle = settings.ILLMS_STAFF_SESSION_IDLE_SECONDS
            if isinstance(last, int) and now - last > idle:
                return self.sign_out(request, idle)
            if not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    def sign_out(self, request: HttpRequest, idle: int) -> HttpResponse:
        logger.info("Signed out %s after more than %d s without activity", request.user.get_username(), idle)
        # Signing out empties the session, and with it the person's language: the sign-in page they are sent to
        # keeps it through the language cookie, as the header's switcher sets it for someone not signed in.
        language = supported(request.session.get(SESSION_KEY))
        logout(request)
        messages.info(request, gettext("You were signed out after %(duration)s without activity. "
                                       "Sign in again to go on.") % {"duration": _duration(idle)})
        if request.path.startswith("/api/"):
            return self.get_response(request)
        login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        response = HttpResponseClientRedirect(login_url) if getattr(request, "htmx", False) else redirect(login_url)
        if language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response
