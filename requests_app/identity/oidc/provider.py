"""Where the OpenID provider's endpoints are: explicit settings, else its discovery document.

The document ``<ILLMS_OIDC_ISSUER>/.well-known/openid-configuration`` is fetched when the door is first used and
kept for ``ILLMS_OIDC_DISCOVERY_SECONDS``; a failed fetch is not kept, so the next sign-in tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

#: Our setting for each endpoint, and the discovery document's name for it.
_ENDPOINTS = {
    "authorization": ("OIDC_OP_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
    "token": ("OIDC_OP_TOKEN_ENDPOINT", "token_endpoint"),
    "userinfo": ("OIDC_OP_USER_ENDPOINT", "userinfo_endpoint"),
    "jwks": ("OIDC_OP_JWKS_ENDPOINT", "jwks_uri"),
    "end_session": ("ILLMS_OIDC_END_SESSION_ENDPOINT", "end_session_endpoint"),
}
_REQUIRED = ("authorization", "token", "jwks")


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read (down, unreachable, not a provider)."""


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str


_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


def configured() -> bool:
    """The door has a client and either an issuer or every endpoint it needs."""
    if not settings.OIDC_RP_CLIENT_ID:
        return False
    return bool(settings.ILLMS_OIDC_ISSUER) or all(getattr(settings, _ENDPOINTS[n][0]) for n in _REQUIRED)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def discover(issuer: str) -> dict:
    """The provider's discovery document (cached); raises ``ProviderUnavailable``."""
    now = time.monotonic()
    with _lock:
        kept = _cache.get(issuer)
        if kept and now - kept[0] < settings.ILLMS_OIDC_DISCOVERY_SECONDS:
            return kept[1]
    url = discovery_url(issuer)
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID provider discovery failed at %s: %s", url, exc)
        raise ProviderUnavailable(str(exc)) from exc
    with _lock:
        _cache[issuer] = (now, document)
    return document


def forget_discovery() -> None:
    with _lock:
        _cache.clear()


def endpoints() -> Endpoints:
    """The endpoints to use: each explicit setting, else the discovery document's; raises ``ProviderUnavailable``."""
    explicit = {name: getattr(settings, setting, "") for name, (setting, _key) in _ENDPOINTS.items()}
    issuer = settings.ILLMS_OIDC_ISSUER
    document: dict = {}
    if issuer and not all(explicit[name] for name in (*_REQUIRED, "userinfo", "end_session")):
        try:
            document = discover(issuer)
        except ProviderUnavailable:
            if not all(explicit[name] for name in _REQUIRED):
                raise
    found = {name: explicit[name] or str(document.get(key) or "") for name, (_setting, key) in _ENDPOINTS.items()}
    missing = [name for name in _REQUIRED if not found[name]]
    if missing:
        raise ProviderUnavailable(f"no {', '.join(missing)} endpoint configured or discovered")
    return Endpoints(issuer=issuer or str(document.get("issuer") or ""), **found)
