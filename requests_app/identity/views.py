"""What every sign-in door does once the provider has answered: sign the account in, or say why not."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

from requests_app.two_factor.signin import SESSION_DOOR, finish_sign_in

from .doors import DEFAULT_LABELS
from .provisioning import IdentityRefused

logger = logging.getLogger(__name__)
__all__ = ["SESSION_DOOR", "complete_sign_in", "refused", "safe_next"]


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it points into this site, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return settings.LOGIN_REDIRECT_URL if settings.LOGIN_REDIRECT_URL.startswith("/") else "/"


def complete_sign_in(request: HttpRequest, user, *, door: str, backend: str, next_url: str | None = None,
                     idp_second_factor: bool = False):
    """Sign ``user`` in through ``door`` and go on to ``next_url`` (checked to be ours); a staff member gives
    a second factor first unless the provider asserted one we trust (``requests_app.two_factor.signin``)."""
    return finish_sign_in(request, user, door=door, backend=backend, next_url=safe_next(request, next_url),
                          idp_second_factor=idp_second_factor)


def refused(request: HttpRequest, refusal: IdentityRefused | str, *, door: str, status: int = 403) -> HttpResponse:
    """The sign-in page's refusal: what went wrong, in words, and the way back; nothing was written."""
    message = refusal.message if isinstance(refusal, IdentityRefused) else str(refusal)
    logger.warning("Sign-in through %s refused: %s", door, message)
    return render(request, "registration/signin_refused.html",
                  {"message": message, "door": door, "door_label": DEFAULT_LABELS.get(door, door)}, status=status)


#: For each door with single logout, the function giving the provider's logout address for the signed-in person
#: (``""`` when there is none); called before our session ends, as it may need what the session holds.
PROVIDER_LOGOUT = {
    "cas": "requests_app.identity.cas.logout_url",
    "saml": "requests_app.identity.saml.views.single_logout_url",
    "oidc": "requests_app.identity.oidc.views.end_session_url",
}


class DoorLogoutView(LogoutView):
    """Our logout; a person signed in through a door with single logout goes on to the provider's logout."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        door = request.session.get(SESSION_DOOR)
        provider_logout = import_string(PROVIDER_LOGOUT[door])(request) if door in PROVIDER_LOGOUT else ""
        response = super().post(request, *args, **kwargs)
        if provider_logout:
            logger.info("Signed out through %s: on to the provider's logout", door)
            return HttpResponseRedirect(provider_logout)
        return response
