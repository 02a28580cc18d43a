"""Read queries of the borrowing side, shared by pages, the API and jobs."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from requests_app.models import Event, IllRequest, Library, Note, NoteVisibility, PickupLocation

from .workflow import WORKFLOW

# Patron side ---------------------------------------------------------------------------------


def patron_requests(*, patron) -> QuerySet[IllRequest]:
    """A patron's own borrowing requests, newest first, with what a row of “My requests” shows."""
    return (IllRequest.objects.for_patron(patron).select_related("pickup_location")
            .order_by("-created_at", "-pk"))


def patron_open_requests(*, patron) -> QuerySet[IllRequest]:
    """A patron's requests that are not finished (completed or cancelled)."""
    return IllRequest.objects.for_patron(patron).exclude(status__in=WORKFLOW.final_states).order_by("-created_at")


def patron_request_detail(*, patron, pk: int) -> IllRequest:
    """One of the patron's own requests with its events and the notes meant for them.

    Raises ``IllRequest.DoesNotExist`` for a request that is not theirs.
    """
    return (IllRequest.objects.for_patron(patron)
            .select_related("partner", "pickup_location", "library")
            .prefetch_related(
                Prefetch("events", queryset=Event.objects.select_related("actor_library").order_by("created_at", "pk")),
                Prefetch("notes", queryset=Note.objects.filter(visibility=NoteVisibility.PATRON),
                         to_attr="patron_notes"),
            ).get(pk=pk))


def pickup_locations(*, library: Library) -> QuerySet[PickupLocation]:
    """The active pickup locations of a member library, by name."""
    return PickupLocation.objects.filter(library=library, active=True).order_by("name")
