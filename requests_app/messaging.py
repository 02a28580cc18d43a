"""Notes between the people around a request: staff, the patron and the partner library.

A staff note is *internal* (staff only), *to the patron* (shown on their request page and
e-mailed, through the ``note_written`` signal the borrowing app answers), or *to the
partner* (sent as an ISO 18626 Notification through the outbox, in the same transaction
as the note). A patron writes back from their request page; a partner's note arrives
through the protocol handler. Notes from outside (patron, partner) wait unread in the
staff inbox until someone opens the request or marks them read.

``thread`` and ``inbox_notes`` are the reads: one chronological list of a request's notes
and protocol messages, and the unread notes of a member library's sides; ``failed_messages`` the
partner messages to it that were confirmed but could not be applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from .iso18626.messages import MessageKind
from .models import (
    IllRequest,
    InboundMessage,
    InboundState,
    Library,
    Note,
    NoteVisibility,
    OutboxMessage,
    Role,
)
from .partner_messages import partner_messages
from .workflow import WorkflowError, registry

#: Sent inside the transaction that writes a staff note, so what a listener writes commits with the
#: note or not at all. Argument: ``note`` (Note). The borrowing app writes the patron's e-mail.
note_written = Signal()

#: Longest note accepted from a form (the protocol carries longer ones, but people do not write them).
MAX_NOTE_LENGTH = 4000


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise WorkflowError("invalid", gettext("A note cannot be empty."))
    if len(text) > MAX_NOTE_LENGTH:
        raise WorkflowError("invalid", gettext("A note may be at most %(most)s characters long.") % {
            "most": MAX_NOTE_LENGTH})
    return text


# Writing -----------------------------------------------------------------------------------

def write_note(*, request: IllRequest, text: str, visibility: str, author) -> Note:
    """A staff member's note on ``request``: internal, to the patron, or to the partner.

    The author has read their own note (it never shows in the inbox). A note to the
    partner is queued in the outbox as an ISO 18626 Notification in the same transaction
    (a requestingAgencyMessage on a borrowing request, a supplyingAgencyMessage on a
    lending one); when the partner has no electronic address it is kept, and staff reach
    the partner another way. ``note_written`` is sent in the same transaction (the patron's e-mail).

    Raises ``WorkflowError('invalid')`` for an empty note, a patron note on a lending
    request, or a partner note nobody could receive (no partner yet, or a lender that was
    never sent the request).
    """
    text = _clean(text)
    if visibility not in NoteVisibility.values:
        raise WorkflowError("invalid", gettext("Choose who the note is for."))
    if visibility == NoteVisibility.PATRON and (request.role != Role.BORROWING or request.patron_id is None):
        raise WorkflowError("invalid", gettext("Only a borrowing request has a patron to write to."))
    with transaction.atomic():
        locked = (IllRequest.objects.select_for_update(of=("self",)).select_related("library", "partner")
                  .get(pk=request.pk))
        if visibility == NoteVisibility.PARTNER:
            _check_partner_reachable(locked)
        now = timezone.now()
        note = Note.objects.create(request=locked, text=text, visibility=visibility, author=author,
                                   created_at=now, read_at=now, read_by=author)
        if visibility == NoteVisibility.PARTNER:
            partner_messages().send_note(locked, note)
        note_written.send(sender=Note, note=note)
    return note


def _check_partner_reachable(request: IllRequest) -> None:
    if request.partner_id is None:
        raise WorkflowError("invalid", gettext("No partner library has this request yet: there is nobody to send the "
                                               "note to."))
    if request.role == Role.BORROWING:
        sent = OutboxMessage.objects.filter(request=request, recipient_id=request.partner_id,
                                            kind=MessageKind.REQUEST).exists()
        if partner_messages().reachable(request.partner) and not sent:
            raise WorkflowError("invalid", gettext("%(symbol)s has not been sent this request yet: send it first, or "
                                                   "keep the note internal.") % {"symbol": request.partner.symbol})


def write_patron_note(*, request: IllRequest, patron, text: str) -> Note:
    """The patron writes to the library about their own request; it waits unread in the staff inbox.

    Raises ``WorkflowError('forbidden')`` for someone else's request and ``('invalid')``
    for an empty or over-long note.
    """
    if request.role != Role.BORROWING or patron is None or request.patron_id != patron.pk:
        raise WorkflowError("forbidden", gettext("This is not your request."))
    return Note.objects.create(request=request, text=_clean(text), visibility=NoteVisibility.PATRON, author=patron)


def partner_delivery_possible(request: IllRequest) -> bool:
    """True when a note to ``request``'s partner can go electronically (for the form's hint)."""
    return request.partner is not None and partner_messages().reachable(request.partner)


def kept_only(note: Note, request: IllRequest) -> str:
    """What staff must do themselves when a note to the partner could not go out; empty when it went."""
    if note.visibility != NoteVisibility.PARTNER or partner_delivery_possible(request):
        return ""
    return gettext("Note kept. %(partner)s has no electronic address: tell them by e-mail or phone.") % {
        "partner": request.partner.symbol}


def note_outcome(note: Note, request: IllRequest) -> tuple[bool, str]:
    """What to tell the staff member who wrote ``note`` on either desk: ``(True, what to do themselves)``
    when a note to the partner could not go out, else ``(False, where it went)``."""
    if warning := kept_only(note, request):
        return True, warning
    if note.visibility == NoteVisibility.PARTNER:
        return False, (gettext("Note sent to the lender.") if request.role == Role.BORROWING
                       else gettext("Note sent to the borrowing library."))
    if note.visibility == NoteVisibility.PATRON:
        return False, gettext("Note shown to the patron (and e-mailed, if they get e-mails).")
    return False, gettext("Note added.")


# Reading and marking read ------------------------------------------------------------------

def from_outside() -> Q:
    """Notes written outside the library: by a partner, or by the patron to us."""
    return Q(author_library__isnull=False) | Q(visibility=NoteVisibility.PATRON, author_id=F("request__patron_id"),
                                               author__isnull=False)


def staff_roles(user) -> list[str]:
    """The sides (borrowing, lending) whose queues ``user`` works."""
    return [w.role for w in registry if w.staff_permission and user.has_perm(w.staff_permission)]


def inbox_notes(*, library: Library, roles: list[str]) -> QuerySet[Note]:
    """Unread notes from partners and patrons on ``library``'s requests of ``roles``, newest first."""
    return (Note.objects.filter(from_outside(), read_at__isnull=True, request__library=library,
                                request__role__in=roles)
            .select_related("request", "request__partner", "author", "author_library")
            .order_by("-created_at", "-pk"))


#: The side a received message belongs to, by its kind: a partner's request or a borrower's message is lending's.
ROLE_OF_KIND = {MessageKind.REQUEST: Role.LENDING, MessageKind.REQUESTING_AGENCY_MESSAGE: Role.LENDING,
                MessageKind.SUPPLYING_AGENCY_MESSAGE: Role.BORROWING}


def failed_messages(*, library: Library, roles: list[str]) -> QuerySet[InboundMessage]:
    """Partner messages to ``library`` of the sides ``roles`` that could not be applied, newest first.

    Confirmed to the partner, then refused when a worker applied them (``partners.intake``); they stay until staff
    apply them again (the admin) or deal with the partner themselves.
    """
    kinds = [kind for kind, role in ROLE_OF_KIND.items() if role in roles]
    return (InboundMessage.objects.filter(state=InboundState.FAILED, member=library, kind__in=kinds)
            .select_related("sender", "request").order_by("-received_at", "-pk"))


def unread_count(*, library: Library, roles: list[str]) -> int:
    if not roles:
        return 0
    return Note.objects.filter(from_outside(), read_at__isnull=True, request__library=library,
                               request__role__in=roles).count()


def mark_read(*, library: Library, roles: list[str], user, note_ids: list[int] | None = None) -> int:
    """Mark unread notes read (those of ``note_ids``, or all of the inbox); returns how many changed.

    Notes already read keep who read them first, so marking twice changes nothing.
    Partner messages about the same requests are marked read with them.
    """
    notes = Note.objects.filter(from_outside(), read_at__isnull=True, request__library=library,
                                request__role__in=roles)
    if note_ids is not None:
        notes = notes.filter(pk__in=note_ids)
    now = timezone.now()
    request_ids = list(notes.values_list("request_id", flat=True).distinct())
    changed = Note.objects.filter(pk__in=notes.values("pk")).update(read_at=now, read_by=user)
    if request_ids:
        InboundMessage.objects.filter(request_id__in=request_ids, read_at__isnull=True).update(read_at=now)
    return changed


def mark_request_read(*, request: IllRequest, user) -> int:
    """Staff opened ``request``: its notes and partner messages are read (two UPDATEs, none when nothing is new)."""
    now = timezone.now()
    changed = Note.objects.filter(request=request, read_at__isnull=True).update(read_at=now, read_by=user)
    InboundMessage.objects.filter(request=request, read_at__isnull=True).update(read_at=now)
    return changed


@dataclass(frozen=True)
class ThreadEntry:
    """One line of a request's message thread."""

    at: Any
    kind: str  # "note" or "message"
    direction: str  # "in", "out" or "internal"
    who: str
    audience: str
    text: str
    unread: bool = False
    delivery: str = ""
    obj: Any = None


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def thread(request: IllRequest) -> list[ThreadEntry]:
    """``request``'s notes and protocol messages in one chronological list.

    Reads ``request.notes``, ``request.outbox`` and ``request.inbox`` through their
    prefetch (``selectors.request_detail`` loads them), so it adds no query.
    """
    partner = request.partner.symbol if request.partner_id else gettext("the partner")
    entries = []
    for note in request.notes.all():
        if note.author_library_id:
            entry = ThreadEntry(note.created_at, "note", "in", note.author_library.symbol, gettext("From the partner"),
                                note.text, note.read_at is None, obj=note)
        elif note.visibility == NoteVisibility.PATRON and note.author_id and note.author_id == request.patron_id:
            entry = ThreadEntry(note.created_at, "note", "in", gettext("Patron"), gettext("From the patron"), note.text,
                                note.read_at is None, obj=note)
        elif note.visibility == NoteVisibility.PATRON:
            entry = ThreadEntry(note.created_at, "note", "out", _person(note.author), gettext("To the patron"),
                                note.text,
                                obj=note)
        elif note.visibility == NoteVisibility.PARTNER:
            entry = ThreadEntry(note.created_at, "note", "out", _person(note.author),
                                gettext("To %(partner)s") % {"partner": partner}, note.text,
                                obj=note)
        else:
            entry = ThreadEntry(note.created_at, "note", "internal", _person(note.author), gettext("Staff only"),
                                note.text, obj=note)
        entries.append(entry)
    for message in request.outbox.all():
        entries.append(ThreadEntry(message.created_at, "message", "out", request.library.symbol,
                                   gettext("To %(partner)s") % {"partner": message.recipient.symbol},
                                   f"{message.kind}: {message.summary}",
                                   delivery=message.get_status_display(), obj=message))
    for message in request.inbox.all():
        text = f"{message.kind}: {message.summary}"
        if message.repairs:  # what lenient intake repaired to read it (``iso18626.repairs``)
            text += "\n" + gettext("Read leniently:") + " " + "; ".join(repair.get("text", "")
                                                                   for repair in message.repairs)
        entries.append(ThreadEntry(message.received_at, "message", "in", message.sender.symbol,
                                   gettext("From %(partner)s") % {"partner": message.sender.symbol}, text,
                                   message.read_at is None, obj=message))
    return sorted(entries, key=lambda e: e.at)
