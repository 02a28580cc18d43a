"""Sign-in throttling with django-axes: the client address it counts by, and the page a locked sign-in gets.

Every password sign-in goes through ``django.contrib.auth.authenticate`` with the request (the site's and the
admin's login pages are Django's LoginView), so axes' backend, first in ``AUTHENTICATION_BACKENDS``, refuses
a locked account and address before any backend checks the password.
"""

from __future__ import annotations

import ipaddress
import logging

from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger(__name__)


def _valid_address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip_address(request: HttpRequest) -> str | None:
    """The address of the client that signs in.

    With no proxy in front it is ``REMOTE_ADDR``. With ``ILLMS_TRUSTED_PROXY_COUNT`` reverse proxies in front,
    each of which appends the address it received the request from to ``X-Forwarded-For``, it is the entry
    that many places from the right: the one our outermost proxy saw. Entries further left were written by the
    client and are never trusted. A request that did not pass through every proxy, or whose entry is not an
    address, is counted by ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.ILLMS_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if len(forwarded) < count:
        return remote
    return _valid_address(forwarded[-count]) or remote


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """The page for a sign-in refused because its account is locked for this address (HTTP 429).

    Every refused try starts the wait again (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the lock
    ends one cool-off after now.
    """
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials) or ""
    address = getattr(request, "axes_ip_address", None) or client_ip_address(request)
    retry_at = timezone.now() + cool_off
    logger.warning("Sign-in refused: %r is locked for address %s until %s", username, address, retry_at.isoformat())
    response = render(request, "registration/locked_out.html", {
        "username": username, "address": address, "retry_at": retry_at,
        "cool_off_minutes": int(cool_off.total_seconds() // 60), "failure_limit": settings.AXES_FAILURE_LIMIT,
    }, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
