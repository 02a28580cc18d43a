"""The OIDC door's pages: the start (off to the provider), the callback (back with a code), the refusal page."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from requests_app.two_factor.policy import asserted_mfa

from ..provisioning import IdentityRefused
from ..views import complete_sign_in, refused
from .backend import BACKEND, DOOR, OIDCBackend, TokenRejected
from .provider import ProviderUnavailable, configured, endpoints

logger = logging.getLogger(__name__)
#: The refusal the callback hands to the refusal page it redirects to: {"message": ..., "status": ...}.
SESSION_REFUSAL = "illms_oidc_refusal"
#: The ID token of the sign-in, sent back as id_token_hint at logout.
SESSION_ID_TOKEN = "oidc_id_token"


def _start_again() -> str:
    return _("Nothing was changed. Please start again from the sign-in page.")


def _unreachable() -> str:
    return _("Your institution's sign-in service cannot be reached just now. Please try again in a few minutes; "
             "if it goes on, contact your library.")


class SignInStart(OIDCAuthenticationRequestView):
    """Off to the provider's authorization endpoint, with state, nonce, PKCE and the checked ``next``."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library's reads the endpoint from settings; ours may need discovery

    def get(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            return refused(request, _("Sign-in with your institution's account is not set up on this site. "
                                      "Please use the sign-in form, or contact your library."), door=DOOR, status=503)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoints().authorization
        except ProviderUnavailable:
            return refused(request, _unreachable(), door=DOOR, status=503)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """The provider's answer: the code exchanged, the ID token verified, the patron provisioned and signed in;
    any failure goes to the refusal page with the reason (``login_failure``)."""

    @property
    def failure_url(self) -> str:
        return reverse("signin-oidc-refused")

    def login_failure(self, message: str = "", status: int = 403) -> HttpResponse:
        self.request.session[SESSION_REFUSAL] = {"message": message or _(
            "The sign-in with your institution's account did not complete. ") + _start_again(), "status": status}
        return super().login_failure()

    def login_success(self) -> HttpResponse:
        next_url = self.request.session.pop("oidc_login_next", None)
        # The ID token's amr (RFC 8176: "mfa", "otp", "hwk", …) or acr says how the provider authenticated the person.
        claims = self.backend.authentication_claims
        response = complete_sign_in(self.request, self.user, door=DOOR, backend=BACKEND, next_url=next_url,
                                    idp_second_factor=asserted_mfa([*claims.get("amr", ()), claims.get("acr", "")]))
        if self.backend.tokens.get("id_token"):
            self.request.session[SESSION_ID_TOKEN] = self.backend.tokens["id_token"]
        return response

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        states = request.session.get("oidc_states")
        states = states if isinstance(states, dict) else {}
        entry = states.pop(state, None)
        if entry is not None:
            # Used once: a replayed answer finds no state. Saved before the slow calls to the provider.
            request.session["oidc_states"] = states
            request.session.save()
        if request.GET.get("error"):
            logger.warning("OpenID provider answered an error: %s %s", request.GET.get("error"),
                           request.GET.get("error_description", ""))
            return self.login_failure(_("Your institution's sign-in service did not sign you in (%(error)s). ")
                                      % {"error": request.GET.get("error", "")[:100]} + _start_again())
        if not request.GET.get("code") or not state:
            return self.login_failure(_("The answer from your institution's sign-in service is incomplete (no code "
                                        "or no state). ") + _start_again())
        if not isinstance(entry, dict):
            return self.login_failure(_("This answer from your institution's sign-in service does not belong to a "
                                        "sign-in started in this browser, or was already used. ") + _start_again())
        self.backend = OIDCBackend()
        try:
            self.user = self.backend.authenticate(request, oidc_callback=True, nonce=entry.get("nonce"),
                                                  code_verifier=entry.get("code_verifier"))
        except IdentityRefused as refusal:
            return self.login_failure(refusal.message)
        except ProviderUnavailable:
            return self.login_failure(_unreachable(), status=503)
        except TokenRejected as exc:
            logger.warning("OpenID Connect sign-in refused: %s", exc)
            return self.login_failure(_("Your institution's sign-in service sent an answer this site cannot trust: "
                                        "%(reason)s. ") % {"reason": exc} + _start_again())
        except requests.HTTPError as exc:
            return self._provider_error(exc)
        except requests.RequestException as exc:
            logger.warning("OpenID provider unreachable: %s", exc)
            return self.login_failure(_unreachable(), status=503)
        except ValueError as exc:  # a token or userinfo answer that is not JSON
            logger.warning("OpenID provider answered something that is not JSON: %s", exc)
            return self.login_failure(_("Your institution's sign-in service sent an answer this site cannot read. ")
                                      + _start_again(), status=502)
        if self.user is None:
            return self.login_failure()
        return self.login_success()

    def _provider_error(self, exc: requests.HTTPError) -> HttpResponse:
        answer = exc.response
        logger.warning("OpenID provider refused a call: %s", exc)
        if answer is not None and answer.status_code >= 500:
            return self.login_failure(_unreachable(), status=503)
        if answer is not None and answer.url.split("?")[0] == self.backend.OIDC_OP_TOKEN_ENDPOINT.split("?")[0]:
            return self.login_failure(_("Your institution's sign-in service did not accept this sign-in's code (it "
                                        "may have expired or been used already). ") + _start_again())
        return self.login_failure(_("Your institution's sign-in service did not release your details to this "
                                    "site. ") + _start_again())


def signin_refused(request: HttpRequest) -> HttpResponse:
    """The callback's refusal, shown once (a reload shows the general message)."""
    refusal = request.session.pop(SESSION_REFUSAL, None)
    refusal = refusal if isinstance(refusal, dict) else {}
    message = refusal.get("message") or _("The sign-in with your institution's account did not complete. ") + \
        _start_again()
    return refused(request, message, door=DOOR, status=int(refusal.get("status") or 403))


def end_session_url(request: HttpRequest) -> str:
    """The provider's end_session address for the person signed in through this door, or ``""``."""
    if not (settings.ILLMS_OIDC_SINGLE_LOGOUT and configured()):
        return ""
    try:
        address = endpoints().end_session
    except ProviderUnavailable:
        return ""
    if not address:
        return ""
    params = {"client_id": settings.OIDC_RP_CLIENT_ID,
              "post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))}
    if request.session.get(SESSION_ID_TOKEN):
        params["id_token_hint"] = request.session[SESSION_ID_TOKEN]
    return f"{address}{'&' if '?' in address else '?'}{urlencode(params)}"
