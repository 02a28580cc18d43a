"""The last step of every sign-in: sign the person in, or hold a staff member at the code or set-up page.

The password form, the Django admin's login and each identity door (SAML, CAS, OpenID Connect) end in
:func:`finish_sign_in`. A patron, a staff member whose identity provider asserted a second factor we trust, and
a staff member of an optional role without an authenticator are signed in at once. A staff member with an
authenticator, or whose role requires one, is *not* signed in yet: the session only remembers who is on the way
(:data:`PENDING`, for :data:`PENDING_SECONDS`), and ``django.contrib.auth.login`` runs once the code is given or
the authenticator is set up. So no page, the admin's included, is reachable before that step is done.

A patron is first asked about by the sign-in checks (``requests_app.identity.verification.sign_in_refusal``:
the library's ILS over NCIP): one that refuses them is shown the refusal page and is not signed in.
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_otp import login as otp_login

from requests_app.identity.verification import sign_in_refusal

from .policy import authenticator, is_staff_member, required_for

logger = logging.getLogger(__name__)

#: The door a session signed in through (``password``, ``saml``, ``cas``, ``oidc``): our logout reads it.
SESSION_DOOR = "illms_signin_door"
#: Who passed the first step and is to give a code or set up an authenticator.
PENDING = "illms_2fa_pending"
#: How the second factor was settled at sign-in: ``code``, ``recovery_code``, ``enrolled``, ``identity_provider``
#: or ``not_required``.
SETTLED = "illms_2fa"
PENDING_SECONDS = 10 * 60


def finish_sign_in(request: HttpRequest, user, *, door: str, backend: str, next_url: str,
                   idp_second_factor: bool = False) -> HttpResponse:
    """Sign ``user`` in through ``door`` and go on to ``next_url`` (already checked to be ours), or hold a staff
    member at the code or set-up page first. ``idp_second_factor``: the identity provider asserted a second factor
    we trust (``policy.asserted_mfa``); only doors pass it."""
    staff = is_staff_member(user)
    if not staff and (refusal := sign_in_refusal(user)):
        logger.warning("Sign-in of %s through %s refused by a patron check", user.get_username(), door)
        return render(request, "registration/signin_refused.html",
                      {"message": refusal, "door": door, "checked": True}, status=403)
    if staff:
        if idp_second_factor and door != "password":
            return _sign_in(request, user, backend=backend, door=door, next_url=next_url, settled="identity_provider")
        device = authenticator(user)
        if device is not None or required_for(user):
            request.session[PENDING] = {"user": user.pk, "backend": backend, "door": door, "next": next_url,
                                        "since": int(time.time()), "enrol": device is None}
            logger.info("%s passed the first step through %s; %s", user.get_username(), door,
                        "asked for a code" if device else "sent to set up an authenticator")
            return HttpResponseRedirect(reverse("two-factor-verify" if device else "two-factor-enrol"))
    return _sign_in(request, user, backend=backend, door=door, next_url=next_url, settled="not_required")


def pending(request: HttpRequest) -> tuple[object, dict] | None:
    """The account on its way in and what the first step remembered, or ``None`` (none, expired, switched off)."""
    held = request.session.get(PENDING)
    if not isinstance(held, dict) or time.time() - held.get("since", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=held.get("user"), is_active=True).first()
    return (user, held) if user is not None else None


def complete(request: HttpRequest, user, held: dict, *, device, settled: str, next_url: str | None = None):
    """The second step is done: sign ``user`` in, the session verified by ``device``."""
    request.session.pop(PENDING, None)
    return _sign_in(request, user, backend=held["backend"], door=held["door"],
                    next_url=next_url or held["next"], settled=settled, device=device)


def _sign_in(request: HttpRequest, user, *, backend: str, door: str, next_url: str, settled: str,
             device=None) -> HttpResponse:
    login(request, user, backend=backend)
    if device is not None:
        otp_login(request, device)
    request.session[SESSION_DOOR] = door
    request.session[SETTLED] = settled
    logger.info("Signed in %s through %s (second factor: %s)", user.get_username(), door, settled)
    return HttpResponseRedirect(next_url)
