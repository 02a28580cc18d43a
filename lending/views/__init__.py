"""Lending staff pages (queues.py, requests.py, holdings.py) and the public download (delivery.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext

from requests_app.access import member_library
from requests_app.models import Library

PERMISSION = "requests_app.work_lending"


def lending_library(request: HttpRequest) -> Library:
    """The member library whose lending queues this user works, or 403."""
    return member_library(request.user, PERMISSION,
                          gettext("This page is for the lending desk, and your account has no lending role."))
