"""Staff pages shared by both sides: old queue addresses, sending a message again, the access log.

Each side's desk (borrowing's, lending's) is the one place its queue and its requests are worked;
``/staff/<role>/…`` only sends bookmarks and old links there.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from . import privacy
from .access import member_library
from .models import Library, NcipCall, NcipCallStatus, OutboxMessage, OutboxStatus, Role
from .ncip import calls as ncip_calls
from .partner_messages import partner_messages
from .workflow import Workflow, registry

PAGE_SIZE = 50


def _workflow(role: str) -> Workflow:
    if role not in Role.values:
        raise Http404("No such queue.")
    return registry.get(role)


def _staff_scope(request: HttpRequest, role: str) -> Library:
    """The member library whose ``role`` queue this user may work, or 403/404."""
    return member_library(request.user, _workflow(role).staff_permission,
                          gettext("Your account may not work this desk."))


def queue(request: HttpRequest, role: str) -> HttpResponse:
    """The side's desk queue (in the state asked for): the desk checks who may see it."""
    return HttpResponseRedirect(_workflow(role).desk_queue_url(request.GET.get("status") or None))


def request_detail(request: HttpRequest, role: str, pk: int) -> HttpResponse:
    """The request on its side's desk: the desk checks who may see it."""
    return HttpResponseRedirect(_workflow(role).desk_request_url(pk))


@login_required
@require_POST
def resend_message(request: HttpRequest, role: str, pk: int, message_id: int) -> HttpResponse:
    """Staff's “send again” for a message the partner has not received."""
    library = _staff_scope(request, role)
    try:
        message = OutboxMessage.objects.get(pk=message_id, request__pk=pk, request__library=library,
                                            request__role=role)
    except OutboxMessage.DoesNotExist:
        raise Http404("No such message.") from None
    if message.status == OutboxStatus.DELIVERED:
        messages.info(request, gettext("That message was already delivered."))
    else:
        partner_messages().resend(message)
        messages.success(request, gettext("The %(summary)s message to %(partner)s is queued again.")
                         % {"summary": message.summary, "partner": message.recipient.symbol})
    return HttpResponseRedirect(registry.get(role).desk_request_url(pk))


def _ncip_call(request: HttpRequest, role: str, pk: int, call_id: int) -> NcipCall:
    library = _staff_scope(request, role)
    try:
        return NcipCall.objects.get(pk=call_id, request__pk=pk, request__library=library, request__role=role)
    except NcipCall.DoesNotExist:
        raise Http404("No such NCIP call.") from None


@login_required
@require_POST
def retry_ncip_call(request: HttpRequest, role: str, pk: int, call_id: int) -> HttpResponse:
    """Staff's “Retry” for an NCIP call the ILS refused or did not answer: it is sent again now."""
    call = _ncip_call(request, role, pk, call_id)
    try:
        call = ncip_calls.retry(call=call, actor=request.user)
    except ncip_calls.CallNotChanged as exc:
        messages.info(request, str(exc))
    else:
        said = {NcipCallStatus.DONE: gettext("The %(service)s call was sent again and answered: %(answer)s."),
                NcipCallStatus.PENDING: gettext("The %(service)s call was sent again and queued again."),
                NcipCallStatus.FAILED: gettext("The %(service)s call was sent again and failed again: %(answer)s.")}
        words = said.get(call.status, gettext("The %(service)s call was sent again: %(status)s."))
        messages.success(request, words % {"service": call.service, "answer": call.answer,
                                           "status": call.get_status_display()})
    return HttpResponseRedirect(registry.get(role).desk_request_url(pk))


@login_required
@require_POST
def skip_ncip_call(request: HttpRequest, role: str, pk: int, call_id: int) -> HttpResponse:
    """Staff's “Skip” for an NCIP call: it is given up, and the request's later calls go on."""
    call = _ncip_call(request, role, pk, call_id)
    by_hand = call.by_hand
    try:
        ncip_calls.skip(call=call, actor=request.user)
    except ncip_calls.CallNotChanged as exc:
        messages.info(request, str(exc))
    else:
        said = (gettext("The %(service)s to-do is marked done at the ILS's desk.") if by_hand else
                gettext("The %(service)s call is skipped: do it at the ILS's own desk if needed."))
        messages.success(request, said % {"service": call.service})
    return HttpResponseRedirect(registry.get(role).desk_request_url(pk))


@login_required
def patron_access_log(request: HttpRequest) -> HttpResponse:
    """For ILL administrators: who saw a patron's identity, what and when (``?patron=<barcode or username>``)."""
    library = member_library(request.user, "requests_app.administer_ill",
                             gettext("Only ILL administrators may read the patron access log."))
    query = (request.GET.get("patron") or "").strip()
    patron = privacy.find_patron(library=library, query=query) if query else None
    page = None
    if patron is not None:
        # Reading the log shows the patron's identity too: that look is logged like any other (and listed).
        privacy.log_patron_access(request.user, patron=patron, what="patron access log", path=request.path)
        page = Paginator(privacy.access_log(patron=patron), PAGE_SIZE).get_page(request.GET.get("page"))
        for row in page:
            row.what_in_words = privacy.access_in_words(row.what)
    status = 404 if query and patron is None else 200
    return render(request, "privacy/access_log.html", {"query": query, "patron": patron, "page": page,
                                                       "library": library}, status=status)
