"""A patron downloads everything the ILL office holds about them (their right of access), as JSON.

Only ever the signed-in patron's own data: the profile, their requests with the citation
and the history as their own request page tells it (never a staff member's name), the
notes addressed to them, and what other apps add through
``requests_app.privacy.patron_data_requested`` (billing: the charges passed on to them).
Requests whose patron identity was purged are no longer linked to anyone, so they are not
in it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from requests_app import history as request_history
from requests_app.models import Event, IllRequest, Note, NoteVisibility
from requests_app.privacy import patron_data_sections

from ..services.review import CITATION_FIELDS
from .patron import patron_required

FORMAT_VERSION = 1


def patron_data(*, patron) -> dict[str, Any]:
    """Everything about ``patron`` the export holds, JSON-ready (a constant number of queries)."""
    profile = patron.patron_profile
    requests = (IllRequest.objects.for_patron(patron).select_related("partner", "pickup_location", "library")
                .prefetch_related(
                    Prefetch("events", queryset=Event.objects.select_related("actor_library")
                             .order_by("created_at", "pk")),
                    Prefetch("notes", queryset=Note.objects.filter(visibility=NoteVisibility.PATRON)
                             .order_by("created_at", "pk"), to_attr="patron_notes"))
                .order_by("created_at", "pk"))
    return {
        "format": "ILLMS patron data export", "version": FORMAT_VERSION, "exported_at": timezone.now(),
        "profile": {
            "username": patron.get_username(), "first_name": patron.first_name, "last_name": patron.last_name,
            "email": patron.email, "library": profile.library.name, "card_barcode": profile.card_barcode,
            "category": profile.get_category_display(), "department": profile.department,
            "pickup_location": profile.pickup_location.name if profile.pickup_location else None,
            "notify_by_email": profile.notify_by_email, "due_date_reminders": profile.due_date_reminders,
            "blocked": profile.blocked, "blocked_reason": profile.blocked_reason,
            "joined": patron.date_joined, "last_login": patron.last_login,
        },
        "requests": [_request(r) for r in requests],
        **patron_data_sections(patron=patron),
    }


def _request(r: IllRequest) -> dict[str, Any]:
    history = [{"at": entry.at, "what": entry.what, "by": entry.who,
                "status": entry.to_state.label if entry.to_state else None, "note": entry.note or None}
               for entry in request_history.lines(r, audience=request_history.PATRON)]
    return {
        "number": r.number, "created_at": r.created_at, "status": r.status_label,
        "citation": {name: getattr(r, name) for name in CITATION_FIELDS},
        "service_type": r.get_service_type_display(), "delivery_method": r.get_delivery_method_display(),
        "library": r.library.name, "lender": r.partner.name if r.partner else None,
        "pickup_location": r.pickup_location.name if r.pickup_location else None,
        "your_note": r.patron_note, "due_date": r.patron_due_date, "renewals": r.renewal_count,
        "history": history,
        "notes_to_you": [{"at": n.created_at, "text": n.text} for n in r.patron_notes],
    }


@patron_required
@require_GET
def download_my_data(request: HttpRequest) -> HttpResponse:
    data = patron_data(patron=request.user)
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    filename = f"illms-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
