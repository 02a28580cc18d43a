"""The CAS door's two pages: the start, which sends the person to the CAS server's login, and the callback the
CAS server sends them back to with a service ticket, which we validate and turn into a signed-in patron."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from requests_app.identity import cas
from requests_app.identity.doors import door_library
from requests_app.identity.mapping import UnreadableAttribute, read_attributes
from requests_app.identity.provisioning import IdentityRefused, provision
from requests_app.identity.views import complete_sign_in, refused, safe_next

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


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    if not cas.configured():
        return _not_set_up(request)
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
    return complete_sign_in(request, user, door=DOOR, backend=BACKEND, next_url=request.session.pop(SESSION_NEXT, None))
