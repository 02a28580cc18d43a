"""Staff pages shared by both sides: a queue and a request with its workflow actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import outbox, privacy, selectors, services
from .access import member_library
from .models import EventSource, IllRequest, Library, OutboxMessage, OutboxStatus, Role
from .workflow import Actor, WorkflowError, registry

PAGE_SIZE = 50


def _staff_scope(request: HttpRequest, role: str) -> Library:
    """The member library whose ``role`` queue this user may work, or 403/404."""
    if role not in Role.values:
        raise Http404("No such queue.")
    return member_library(request.user, registry.get(role).staff_permission, "Your account may not work this queue.")


@login_required
def queue(request: HttpRequest, role: str) -> HttpResponse:
    library = _staff_scope(request, role)
    workflow = registry.get(role)
    status = request.GET.get("status") or None
    if status and status not in workflow.states:
        raise Http404("No such state.")
    page = Paginator(selectors.request_queue(library=library, role=role, status=status), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "requests_app/queue.html", {
        "role": role, "role_label": Role(role).label, "workflow": workflow, "status": status,
        "state": workflow.state(status) if status else None,
        "counts": selectors.queue_counts(library=library, role=role), "page": page, "library": library,
    })


@login_required
def request_detail(request: HttpRequest, role: str, pk: int) -> HttpResponse:
    library = _staff_scope(request, role)
    try:
        ill_request = selectors.request_detail(library=library, pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such request.") from None
    if ill_request.role != role:
        return redirect("staff:request", role=ill_request.role, pk=pk)
    actions = services.available_actions(request=ill_request, actor=Actor.staff(request.user))
    privacy.log_patron_access(request.user, request=ill_request, what="staff request detail", path=request.path)
    return render(request, "requests_app/request_detail.html", {
        "role": role, "r": ill_request, "actions": actions, "workflow": ill_request.workflow,
    })


@login_required
@require_POST
def perform_action(request: HttpRequest, role: str, pk: int, action: str) -> HttpResponse:
    library = _staff_scope(request, role)
    try:
        ill_request = IllRequest.objects.get(library=library, role=role, pk=pk)
    except IllRequest.DoesNotExist:
        raise Http404("No such request.") from None
    try:
        services.perform(
            request=ill_request, action=action, actor=Actor.staff(request.user), source=EventSource.WEB,
            note=request.POST.get("note", ""), expected_status=request.POST.get("expected_status") or None,
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        transition = ill_request.workflow.transition(action)
        messages.success(request, f"{ill_request.number}: {transition.label} – now “{ill_request.status_label}”.")
    return redirect("staff:request", role=role, pk=pk)


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
        messages.info(request, "That message was already delivered.")
    else:
        outbox.resend(message)
        messages.success(request, f"The {message.summary} message to {message.recipient.symbol} is queued again.")
    return redirect("staff:request", role=role, pk=pk)


@login_required
def patron_access_log(request: HttpRequest) -> HttpResponse:
    """For ILL administrators: who saw a patron's identity, what and when (``?patron=<barcode or username>``)."""
    library = member_library(request.user, "requests_app.administer_ill",
                             "Only ILL administrators may read the patron access log.")
    query = (request.GET.get("patron") or "").strip()
    patron = privacy.find_patron(library=library, query=query) if query else None
    page = None
    if patron is not None:
        # Reading the log shows the patron's identity too: that look is logged like any other (and listed).
        privacy.log_patron_access(request.user, patron=patron, what="patron access log", path=request.path)
        page = Paginator(privacy.access_log(patron=patron), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 404 if query and patron is None else 200
    return render(request, "privacy/access_log.html", {"query": query, "patron": patron, "page": page,
                                                       "library": library}, status=status)
