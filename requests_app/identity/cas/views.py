"""The CAS door's two pages: the start, which sends the person to the CAS server's login, and the callback the
CAS server sends them back to with a service ticket, which we validate and turn into a signed-in patron."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from requests_app.identity import cas
from requests_app.identity.doors import door_library
from requests_app.identity.mapping import UnreadableAttribute, read_attributes
from requests_app.identity.provisioning import IdentityRefused, provision
from requests_app.identity.views import complete_sign_in, refused, safe_next
from requests_app.two_factor.policy import asserted_mfa
from requests_app.two_factor.signin import PENDING

logger = logging.getLogger(__name__)
DOOR = "cas"
SESSION_NEXT = "illms_cas_next"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _not_set_up(request: HttpRequest) -> HttpResponse:
    return refused(request, _("Signing in with your campus account is not set up on this site yet. Please use "
                              "the sign-in form, or contact your library."), door=DOOR, status=503)


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    if not cas.configured():
        return _not_set_up(request)
    request.session[SESSION_NEXT] = safe_next(request, request.GET.get("next"))
    return HttpResponseRedirect(cas.login_url(request))


@csrf_exempt  # the CAS server's single logout POSTs here; a sign-in is a GET and changes only its own session
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    if not cas.configured():
        return _not_set_up(request)
    if request.method == "POST":
        return _single_logout(request)
    ticket = request.GET.get("ticket", "")
    if not ticket:
        return refused(request, _("The campus sign-in server sent no ticket back. Please sign in again."),
                       door=DOOR, status=400)
    if not ticket.startswith(cas.TICKET_PREFIX) or len(ticket) > cas.TICKET_MAX_LENGTH:
        return refused(request, _("The campus sign-in ticket is not valid. Please sign in again."), door=DOOR,
                       status=400)
    try:
        answer = cas.validate(request, ticket)
    except cas.ServerUnreachable as exc:
        logger.warning("CAS server %s did not answer the validation: %s", settings.ILLMS_CAS_SERVER_URL, exc)
        return refused(request, _("The campus sign-in server did not answer. Please try again in a few minutes; "
                                  "if it goes on, contact your library."), door=DOOR, status=503)
    except cas.UnreadableAnswer as exc:
        logger.warning("CAS server's validation answer is unreadable: %s", exc)
        return refused(request, _("The campus sign-in server gave an answer this site cannot read. Please try "
                                  "again later, or contact your library."), door=DOOR, status=502)
    if not answer.ok:
        logger.warning("CAS ticket refused by the server: %s %s", answer.failure_code, answer.failure_text)
        return refused(request, _("The campus sign-in server did not accept this sign-in (the ticket has "
                                  "expired, was already used, or was not issued for this site). Please sign in "
                                  "again."), door=DOOR)
    try:
        attributes = read_attributes({"user": answer.user, **answer.attributes}, door=DOOR)
        user = provision(attributes, door_library=door_library(DOOR))
    except UnreadableAttribute as exc:
        return refused(request, str(exc), door=DOOR)
    except IdentityRefused as exc:
        return refused(request, exc, door=DOOR)
    # Apereo CAS releases the multifactor provider it used (authnContextClass, e.g. mfa-duo) when asked to.
    mfa_attribute = settings.ILLMS_2FA_CAS_MFA_ATTRIBUTE
    mfa = answer.attributes.get(mfa_attribute, []) if mfa_attribute else []
    response = complete_sign_in(request, user, door=DOOR, backend=BACKEND,
                                next_url=request.session.pop(SESSION_NEXT, None), idp_second_factor=asserted_mfa(mfa))
    if PENDING in request.session:
        # A staff member gives their second factor first; the session that step signs in is the ticket's.
        request.session[cas.PENDING_TICKET] = ticket
    else:
        request.session.save()
        cas.remember_ticket(ticket, request.session.session_key)
    return response


def _single_logout(request: HttpRequest) -> HttpResponse:
    """The CAS server's back-channel logout: end the session its ticket signed in (nothing else is said)."""
    ticket = cas.logout_request_ticket(request.POST.get("logoutRequest", ""))
    if not ticket:
        return refused(request, _("This is no CAS logout request."), door=DOOR, status=400)
    ended = cas.end_session_of(ticket)
    logger.info("CAS single logout for a ticket: %s", "session ended" if ended else "no session of ours")
    return HttpResponse(status=200)
