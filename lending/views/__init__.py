"""Lending staff pages (queues.py, requests.py, holdings.py) and the public download (delivery.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from requests_app import selectors as core
from requests_app.models import Library

PERMISSION = "requests_app.work_lending"


def lending_library(request: HttpRequest) -> Library:
    """The member library whose lending queues this user works, or 403."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("Your account may not work the lending queues.")
    library = core.staff_library(request.user)
    if library is None:
        raise PermissionDenied("Your account is not attached to a member library.")
    return library


def parse_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit():
                ids.append(int(part))
    return ids[:500]
