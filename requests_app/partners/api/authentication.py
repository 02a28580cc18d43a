"""DRF authentication for partner libraries: the one partner authentication of every door (``partners.authentication``).

``Authorization: Bearer <key>``, ``Api-Key <key>`` or HTTP Basic (user = the partner's symbol,
password = one of its keys). A call with no credential and no staff session counts against its
address, as a failed credential does: an address that floods is answered 429 before anything else.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, throttling

from requests_app.models import Library
from requests_app.partners import authentication as partner_auth  # DRF's own module is `authentication`
from requests_app.partners import throttling as rates


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


def _address(request) -> str:
    return partner_auth.client_address(request.META)


def _throttled(throttled: rates.Throttled) -> exceptions.Throttled:
    return exceptions.Throttled(wait=throttled.retry_after, detail=f"{throttled.note}")


class PartnerApiKeyAuthentication(authentication.BaseAuthentication):
    schemes = (*partner_auth.KEY_SCHEMES, partner_auth.BASIC)

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").strip()
        address = _address(request)
        if header.split(" ", 1)[0].lower() not in self.schemes:
            user = getattr(request._request, "user", None)
            if user is None or not user.is_authenticated:  # no credential and no staff session
                try:
                    rates.hit("unauthenticated", address or "-")
                except rates.Throttled as throttled:
                    raise _throttled(throttled) from None
            return None
        try:
            caller = partner_auth.authenticate_partner(authorization=header, address=address, door="REST API")
        except rates.Throttled as throttled:
            raise _throttled(throttled) from None
        except partner_auth.PartnerRefused as refused:
            if refused.unauthenticated:
                raise exceptions.AuthenticationFailed(refused.note) from None
            raise exceptions.PermissionDenied(refused.note) from None
        return PartnerUser(caller.library), caller

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="ILLMS partner API"'


class PartnerRateThrottle(throttling.BaseThrottle):
    """Per API key and per partner (``ILLMS_THROTTLE_API_KEY_RATE``, ``ILLMS_THROTTLE_PARTNER_RATE``): 429."""

    def allow_request(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, partner_auth.PartnerCaller):
            return True
        try:
            partner_auth.throttle(caller)
        except rates.Throttled as throttled:
            self.retry_after = throttled.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)


def partner_library(request) -> Library | None:
    """The partner library a request is authenticated as, or ``None`` for a person."""
    return getattr(request.user, "partner_library", None)
