"""Read queries of the borrowing side, shared by pages, the API and jobs."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from requests_app.models import (
    Event,
    IllRequest,
    InboundMessage,
    Library,
    Note,
    NoteVisibility,
    OutboxMessage,
    PatronProfile,
    PickupLocation,
    Role,
)

from .models import CopyrightRecord, PatronDownload, RotaEntry
from .states import FINAL

# Patron side ---------------------------------------------------------------------------------


def patron_requests(*, patron) -> QuerySet[IllRequest]:
    """A patron's own borrowing requests, newest first, with what a row of “My requests” shows."""
    return (IllRequest.objects.for_patron(patron).select_related("pickup_location")
            .prefetch_related(_downloads())
            .order_by("-created_at", "-pk"))


def _downloads() -> Prefetch:
    """The request's copy links, newest first, as ``request.downloads`` (the first is the one offered)."""
    return Prefetch("patron_downloads", queryset=PatronDownload.objects.order_by("-received_at", "-pk"),
                    to_attr="downloads")


def patron_open_requests(*, patron) -> QuerySet[IllRequest]:
    """A patron's requests that are not finished (completed or cancelled)."""
    return IllRequest.objects.for_patron(patron).exclude(status__in=FINAL).order_by("-created_at")


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
                _downloads(),
            ).get(pk=pk))


def pickup_locations(*, library: Library) -> QuerySet[PickupLocation]:
    """The active pickup locations of a member library, by name."""
    return PickupLocation.objects.filter(library=library, active=True).order_by("name")


# Staff side ----------------------------------------------------------------------------------


def staff_queue(*, library: Library) -> QuerySet[IllRequest]:
    """Member ``library``'s borrowing requests with everything a queue row shows (no query per row)."""
    return (IllRequest.objects.filter(library=library, role="borrowing")
            .select_related("partner", "patron", "patron__patron_profile")
            .order_by("-updated_at", "-pk"))


def staff_request_detail(*, library: Library, pk: int) -> IllRequest:
    """One of ``library``'s borrowing requests with its history, notes, messages, rota and copyright record.

    Raises ``IllRequest.DoesNotExist`` for another library's request or a lending request.
    """
    return (IllRequest.objects.filter(library=library, role="borrowing")
            .select_related("partner", "patron", "patron__patron_profile", "library", "pickup_location",
                            "copyright_record", "return_shipment", "purchase_order__vendor",
                            "purchase_order__ordered_by")
            .prefetch_related(
                Prefetch("events", queryset=Event.objects.select_related("actor_user", "actor_library")),
                Prefetch("notes", queryset=Note.objects.select_related("author", "author_library")),
                Prefetch("outbox", queryset=OutboxMessage.objects.select_related("recipient").order_by("pk")),
                Prefetch("inbox", queryset=InboundMessage.objects.select_related("sender").order_by("received_at")),
                Prefetch("rota_entries", queryset=RotaEntry.objects.select_related("lender", "supplier")
                         .order_by("position")),
            ).get(pk=pk))


#: The most patrons one search of the desk lists: a longer list is narrowed by typing more.
PATRON_SEARCH_LIMIT = 25


def find_patrons(*, library: Library, query: str, limit: int = PATRON_SEARCH_LIMIT) -> list[PatronProfile]:
    """Member ``library``'s patrons matching ``query``, by name, e-mail, card barcode or username (one query).

    Every word of ``query`` must match: a part of the first or last name or the e-mail, or the whole
    barcode or username. Each profile comes with its user and ``open_requests`` (not completed or
    cancelled). A patron of another library is never found; an empty query finds nobody.
    """
    words = (query or "").split()
    if not words:
        return []
    patrons = PatronProfile.objects.filter(library=library)
    for word in words[:5]:
        patrons = patrons.filter(Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
                                 | Q(user__email__icontains=word) | Q(card_barcode__iexact=word)
                                 | Q(user__username__iexact=word))
    open_requests = Count("user__ill_requests", filter=Q(user__ill_requests__role=Role.BORROWING)
                          & ~Q(user__ill_requests__status__in=FINAL))
    return list(patrons.select_related("user").annotate(open_requests=open_requests)
                .order_by("user__last_name", "user__first_name", "pk")[:limit])


def library_patron(*, library: Library, pk: int):
    """The user ``pk`` with their patron profile, if a patron of member ``library``.

    Raises ``DoesNotExist`` of the user model for anyone else (another library's patron, staff, no one).
    """
    return (get_user_model().objects.select_related("patron_profile", "patron_profile__library",
                                                    "patron_profile__pickup_location")
            .get(pk=pk, patron_profile__library=library))


def requests_for_printing(*, library: Library, ids: list[int]) -> QuerySet[IllRequest]:
    """``library``'s borrowing requests ``ids`` for book bands and return labels, with patron, lender and return."""
    return (IllRequest.objects.filter(library=library, role="borrowing", pk__in=ids)
            .select_related("library", "partner", "patron", "patron__patron_profile", "pickup_location",
                            "return_shipment")
            .order_by("pk"))


def rota_lender_choices(*, library: Library) -> QuerySet[Library]:
    """Libraries staff may add to a rota by hand: active, not ``library`` itself."""
    return Library.objects.filter(active=True).exclude(pk=library.pk).order_by("symbol")


def copyright_journal_counts(*, library: Library, year: int | None = None) -> QuerySet:
    """The rule-of-five report: per journal and year, copies counted, CCG, CCL and waiting (one query)."""
    records = CopyrightRecord.objects.filter(library=library)
    if year:
        records = records.filter(request_year=year)
    return (records.values("journal_key", "request_year")
            .annotate(title=Max("journal_title"), total=Count("pk"), counted=Count("pk", filter=Q(counted=True)),
                      ccg=Count("pk", filter=Q(compliance="CCG")), ccl=Count("pk", filter=Q(compliance="CCL")),
                      waiting=Count("pk", filter=Q(compliance="")))
            .order_by("-request_year", "-counted", "journal_key"))


def copyright_years(*, library: Library) -> list[int]:
    return list(CopyrightRecord.objects.filter(library=library).values_list("request_year", flat=True)
                .distinct().order_by("-request_year"))
