"""mozilla-django-oidc's backend, made to provision through the door's mapping and to verify the ID token fully."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ..doors import door_library
from ..mapping import UnreadableAttribute, read_attributes
from ..provisioning import IdentityRefused, provision
from .provider import endpoints

logger = logging.getLogger(__name__)
DOOR = "oidc"
BACKEND = "requests_app.identity.oidc.backend.OIDCBackend"
#: The ID token's claims about the token itself, not the person: not handed to the mapping.
_PROTOCOL_CLAIMS = {"iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "auth_time", "azp", "jti",
                    "sid", "acr", "amr"}


class TokenRejected(SuspiciousOperation):
    """The provider's ID token or userinfo answer is not to be trusted; the message says why, for the log."""


class OIDCBackend(OIDCAuthenticationBackend):
    """Authenticates only when the OIDC door's callback calls it (``oidc_callback=True``); a password typed into
    the sign-in form never reaches it. Reading the endpoints may raise ``ProviderUnavailable``."""

    def __init__(self, *args, **kwargs):
        # The library reads the endpoints from settings here and refuses RS256 without a JWKS address; ours are
        # resolved when a sign-in needs them, so that an unconfigured door costs the password form nothing.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.tokens: dict[str, str] = {}
        #: How the provider authenticated the person (the ID token's ``amr`` list and ``acr``), for two factors.
        self.authentication_claims: dict = {}

    def _resolve(self) -> None:
        found = endpoints()
        self.issuer = found.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = found.token
        self.OIDC_OP_USER_ENDPOINT = found.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks

    def authenticate(self, request, oidc_callback: bool = False, **kwargs):
        if not oidc_callback:
            return None
        self._resolve()
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """The signature with the provider's key, and what the library leaves out: audience, issuer, expiry."""
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"the ID token is not a signed token ({exc})") from None
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise TokenRejected(f"the ID token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}")
        try:
            return jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer or None, leeway=settings.ILLMS_OIDC_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "aud", "sub"], "verify_iss": bool(self.issuer)},
            )
        except jwt.InvalidAudienceError:
            raise TokenRejected("the ID token was issued for another application (audience)") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("the ID token was issued by another provider (issuer)") from None
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the ID token has expired") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("the ID token's signature does not match the provider's key") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"the ID token is not valid ({exc})") from None

    def retrieve_matching_jwk(self, token):
        try:
            return super().retrieve_matching_jwk(token)
        except SuspiciousOperation:
            raise TokenRejected("the ID token is signed with a key the provider does not publish") from None
        except (KeyError, jwt.InvalidTokenError, jwt.PyJWKError) as exc:
            raise TokenRejected(f"the provider's keys or the token's header cannot be read ({exc})") from None

    def verify_token(self, token, **kwargs):
        if not token:
            raise TokenRejected("the provider sent no ID token")
        try:
            return super().verify_token(token, **kwargs)
        except TokenRejected:
            raise
        except SuspiciousOperation as exc:  # the library's nonce check
            raise TokenRejected(f"the ID token does not belong to this sign-in ({exc})") from None

    def store_tokens(self, access_token, id_token):
        # Kept on the backend: the view puts the ID token into the session after login(), which may flush it.
        self.tokens = {"access_token": access_token, "id_token": id_token}

    def get_userinfo(self, access_token, id_token, payload):
        if not self.OIDC_OP_USER_ENDPOINT:
            return {}
        return super().get_userinfo(access_token, id_token, payload)

    def get_or_create_user(self, access_token, id_token, payload):
        """The patron the claims describe, through ``read_attributes`` and ``provision``; raises ``IdentityRefused``
        (nothing written) or ``TokenRejected``."""
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo and str(userinfo.get("sub", "")) != str(payload.get("sub", "")):
            raise TokenRejected("the userinfo answer is about another person than the ID token (sub)")
        amr = payload.get("amr")
        self.authentication_claims = {"amr": [str(v) for v in amr] if isinstance(amr, list) else [],
                                      "acr": str(payload.get("acr") or "")}
        claims = {k: v for k, v in payload.items() if k not in _PROTOCOL_CLAIMS}
        claims.update(userinfo)
        try:
            attributes = read_attributes(claims, door=DOOR)
        except UnreadableAttribute as exc:
            raise IdentityRefused(str(exc), code="unreadable") from None
        return provision(attributes, door_library=door_library(DOOR))

