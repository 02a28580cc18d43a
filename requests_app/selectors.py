"""Read queries shared by pages, the API and jobs."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Event, IllRequest, InboundMessage, Library, Note, NoteVisibility, OutboxMessage
from .workflow import registry


def staff_library(user) -> Library | None:
    """The member library a staff user works for (``None`` for an account without one)."""
    profile = getattr(user, "staff_profile", None)
    return profile.library if profile else None


def queue_counts(*, library: Library, role: str) -> list[dict]:
    """Every state of ``role``'s workflow with the number of ``library``'s requests in it (one query).

    Final states have ``count`` ``None``: counting them would read the library's whole history (a
    third of a million rows for a large library after ten years) on every dashboard; the open states
    are read from a partial index that holds only open requests.
    """
    workflow = registry.get(role)
    counts = dict(
        IllRequest.objects.filter(library=library, role=role).open().values_list("status").annotate(n=Count("*"))
        .order_by()
    )
    return [{"state": state, "count": None if state.final else counts.get(state.value, 0)}
            for state in workflow.states.values()]


def request_detail(*, library: Library, pk: int) -> IllRequest:
    """One of ``library``'s requests with its events and notes; raises ``DoesNotExist`` for another's."""
    return (IllRequest.objects.filter(library=library)
            .select_related("partner", "patron", "patron__patron_profile", "library", "pickup_location")
            .prefetch_related(
                Prefetch("events", queryset=Event.objects.select_related("actor_user", "actor_library")),
                Prefetch("notes", queryset=Note.objects.select_related("author", "author_library")),
                Prefetch("outbox", queryset=OutboxMessage.objects.select_related("recipient").order_by("pk")),
                Prefetch("inbox", queryset=InboundMessage.objects.select_related("sender").order_by("received_at")),
            ).get(pk=pk))


# REST API (requests_app/partners/api/) ---------------------------------------------------------------

def member_directory() -> QuerySet[Library]:
    """Our active member libraries: the directory entries partners may read."""
    return Library.objects.filter(is_member=True, active=True).order_by("symbol")


def partner_requests(*, partner: Library) -> QuerySet[IllRequest]:
    """Every request between ``partner`` and our member libraries, both sides.

    Loads no patron: nothing a partner reads may carry patron data.
    """
    return IllRequest.objects.filter(partner=partner).select_related("library", "partner")


def staff_requests(*, library: Library, roles: frozenset[str]) -> QuerySet[IllRequest]:
    """Member ``library``'s requests of the sides (``roles``) a staff member works."""
    return (IllRequest.objects.filter(library=library, role__in=list(roles))
            .select_related("library", "partner", "patron"))


def with_history(requests: QuerySet[IllRequest]) -> QuerySet[IllRequest]:
    """``requests`` with their events (and who acted) loaded in one more query."""
    return requests.prefetch_related(
        Prefetch("events", queryset=Event.objects.select_related("actor_user", "actor_library")),
    )


def request_notes(*, request: IllRequest, partner: Library | None = None) -> QuerySet[Note]:
    """The notes on ``request``; for ``partner``, only those meant for partners from us and its own."""
    notes = Note.objects.filter(request=request).select_related("author", "author_library").order_by("created_at", "pk")
    if partner is not None:
        notes = notes.filter(Q(author_library=partner)
                             | Q(visibility=NoteVisibility.PARTNER, author_library__isnull=True))
    return notes
