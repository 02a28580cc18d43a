"""The CAS door: Apereo CAS 2.0/3.0 sign-in with attribute release (docs/authentication.md#cas).

The protocol's client side is python-cas: it builds the CAS server's ``/login`` and ``/logout`` addresses and
reads its ``serviceValidate`` (CAS 2.0) or ``p3/serviceValidate`` (CAS 3.0) answer. Everything else is ours: the
ticket is validated over a session with a timeout, and the person is made or refreshed by the doors' shared
:func:`~requests_app.identity.provisioning.provision`, so CAS finds accounts by door and subject as every door does.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from importlib import import_module
from xml.etree import ElementTree

import requests
from cas import CASClient
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse

logger = logging.getLogger(__name__)
CAS_NS = "{http://www.yale.edu/tp/cas}"
#: CAS 3.0 (3.1): service tickets begin with ``ST-`` and clients must accept up to 32 characters; servers
#: should keep them below 256, which we take as the longest we send on.
TICKET_PREFIX, TICKET_MAX_LENGTH = "ST-", 256


class ServerUnreachable(Exception):
    """The CAS server did not answer the validation (down, refused the connection, or too slow)."""


class UnreadableAnswer(Exception):
    """The CAS server answered something that is no CAS service response."""


@dataclass
class Validation:
    """The CAS server's verdict on a ticket: the user and attributes, or its failure code and text."""

    user: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    failure_code: str = ""
    failure_text: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.user) and not self.failure_code


class _TimedSession(requests.Session):
    """python-cas's HTTP session, with our timeout on every call (python-cas sets none)."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def configured() -> bool:
    return bool(getattr(settings, "ILLMS_CAS_SERVER_URL", ""))


def _site(request: HttpRequest) -> str:
    return (getattr(settings, "ILLMS_SITE_URL", "") or f"{request.scheme}://{request.get_host()}").rstrip("/")


def service_url(request: HttpRequest) -> str:
    """Our service address, as the CAS server's service registry must list it: ``…/accounts/cas/callback/``."""
    return _site(request) + reverse("cas-callback")


def client(request: HttpRequest):
    server = settings.ILLMS_CAS_SERVER_URL
    return CASClient(version=settings.ILLMS_CAS_VERSION, service_url=service_url(request),
                     server_url=server if server.endswith("/") else server + "/",
                     session=_TimedSession(settings.ILLMS_CAS_TIMEOUT))


def login_url(request: HttpRequest) -> str:
    return client(request).get_login_url()


def logout_url(request: HttpRequest) -> str:
    """The CAS server's logout, coming back to our sign-in page; ``""`` when CAS logout is switched off."""
    if not (configured() and getattr(settings, "ILLMS_CAS_LOGOUT", True)):
        return ""
    return client(request).get_logout_url(redirect_url=_site(request) + reverse("login"))


def _clean(attributes: dict | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in (attributes or {}).items():
        values = value if isinstance(value, list) else [value]
        out[name] = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    return out


def validate(request: HttpRequest, ticket: str) -> Validation:
    """Ask the CAS server about ``ticket`` for our service; raises ``ServerUnreachable`` or ``UnreadableAnswer``."""
    cas = client(request)
    try:
        body = cas.get_verification_response(ticket)
    except requests.RequestException as exc:
        raise ServerUnreachable(f"{type(exc).__name__}: {exc}") from exc
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise UnreadableAnswer(f"not XML ({exc}): {body[:200]!r}") from exc
    if root.tag != f"{CAS_NS}serviceResponse" or len(root) == 0:
        raise UnreadableAnswer(f"no CAS service response: {body[:200]!r}")
    failure = root.find(f"{CAS_NS}authenticationFailure")
    if failure is not None:
        return Validation(failure_code=failure.get("code", "") or "UNKNOWN",
                          failure_text=(failure.text or "").strip())
    if root.find(f"{CAS_NS}authenticationSuccess/{CAS_NS}user") is None:
        raise UnreadableAnswer(f"neither success nor failure: {body[:200]!r}")
    user, attributes, _pgtiou = cas.verify_response(body)
    return Validation(user=(user or "").strip(), attributes=_clean(attributes))


# Single logout: a CAS server that ends a campus session POSTs a SAML ``LogoutRequest`` naming the service ticket
# (its ``SessionIndex``) to our service address; we end the session that ticket signed in.
_SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"


def _ticket_key(ticket: str) -> str:
    return "illms-cas-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


#: The ticket of a CAS sign-in waiting for the staff member's second factor (``requests_app.two_factor``).
PENDING_TICKET = "illms_cas_pending_ticket"


def remember_pending_ticket(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the session the second step signed in is the one a waiting ticket opened."""
    session = getattr(request, "session", None)
    ticket = session.pop(PENDING_TICKET, None) if session is not None else None
    if ticket:
        remember_ticket(ticket, session.session_key)


def remember_ticket(ticket: str, session_key: str | None) -> None:
    """Note which of our sessions ``ticket`` signed in, for the CAS server's single logout."""
    if session_key:
        cache.set(_ticket_key(ticket), session_key, timeout=settings.SESSION_COOKIE_AGE)


def logout_request_ticket(body: str) -> str:
    """The service ticket a CAS ``logoutRequest`` names, or ``""`` for anything else."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return ""
    index = root.find(f"{_SAMLP}SessionIndex") if root.tag == f"{_SAMLP}LogoutRequest" else None
    return (index.text or "").strip() if index is not None else ""


def end_session_of(ticket: str) -> bool:
    """End the session ``ticket`` signed in, if we know it; True when one was ended."""
    session_key = cache.get(_ticket_key(ticket))
    if not session_key:
        return False
    cache.delete(_ticket_key(ticket))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not store().exists(session_key):
        return False
    store(session_key).delete()
    return True
