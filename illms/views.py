"""The home page composes the dashboards a user may see; ``/healthz`` is for load balancers."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from requests_app import action_lists, messaging, selectors
from requests_app.models import IllRequest, Role
from requests_app.workflow import registry

#: The newest unread notes shown on the dashboard; the inbox page lists them all.
INBOX_ON_DASHBOARD = 5


@login_required
def home(request: HttpRequest) -> HttpResponse:
    library = selectors.staff_library(request.user)
    dashboards = []
    if library is not None:
        today = action_lists.today_for(library)
        for role in Role:
            if request.user.has_perm(registry.get(role).staff_permission):
                workflow = registry.get(role)
                dashboards.append({"role": role.value, "label": role.label, "queue_url": workflow.desk_queue_url(),
                                   "needs": action_lists.counts(library=library, role=role, today=today),
                                   "counts": [{**row, "url": workflow.desk_queue_url(row["state"].value)}
                                              for row in selectors.queue_counts(library=library, role=role)]})
    inbox = None
    roles = messaging.staff_roles(request.user)
    if library is not None and roles:
        notes = messaging.inbox_notes(library=library, roles=roles)
        inbox = {"notes": list(notes[:INBOX_ON_DASHBOARD]), "count": messaging.unread_count(library=library,
                                                                                          roles=roles)}
    own_requests = (IllRequest.objects.for_patron(request.user).select_related("partner").order_by("-created_at")[:20]
                    if hasattr(request.user, "patron_profile") else [])
    return render(request, "home.html", {"dashboards": dashboards, "library": library,
                                         "own_requests": own_requests, "inbox": inbox})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
