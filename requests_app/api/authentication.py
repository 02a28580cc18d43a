"""DRF authentication for partner libraries: ``Authorization: Bearer <key>`` (or ``Api-Key <key>``)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from requests_app.models import Library
from requests_app.services import authenticate_api_key


class PartnerUser(AnonymousUser):
    """The ``request.user`` of a partner library's API call: not a person, carries its library."""

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.partner_library = library

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    def __str__(self) -> str:
        return f"partner {self.partner_library.symbol}"


class PartnerApiKeyAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "api-key")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as “Authorization: Bearer <key>”.")
        key = authenticate_api_key(header[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown, revoked or expired API key.")
        return PartnerUser(key.library), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="ILLMS partner API"'


def partner_library(request) -> Library | None:
    """The partner library a request is authenticated as, or ``None`` for a person."""
    return getattr(request.user, "partner_library", None)
