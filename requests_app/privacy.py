"""Patron privacy: the purge of patron identity from old requests, and the staff access log.

Library records that identify a patron are confidential. A borrowing request keeps its
patron only while the office needs it: once the request is final (completed or cancelled)
and its last status change is older than its library's retention period (the policy
``patron_data_retention_days``, by default ``ILLMS_PATRON_DATA_RETENTION_DAYS``), ``purge_patron_identity``
unlinks the patron and removes every trace of who they were (their note, the notes shown
to them or written by them, their name, e-mail, username and card barcode wherever free
text or event data repeated them). What stays is anonymous: the citation, the dates, the
status history, the patron's category and department (copied on the request when it was
made), so statistics do not change.

Side tables of apps this core may not import (borrowing's copyright records, billing's
charges) are cleaned by their own receivers of ``patron_identity_purged``, sent inside the
purge's transaction: a receiver that fails rolls the whole batch back, to be retried.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from .models import (
    ActorKind,
    Event,
    IllRequest,
    Library,
    Note,
    NoteVisibility,
    OutboxMessage,
    OutgoingEmail,
    PatronRecordAccess,
    Role,
)
from .policies import policies_by_library_id
from .workflow import registry

#: Sent inside the purge's transaction, once per batch. Arguments: ``request_ids`` (list of
#: ints) and ``identities`` (``{request_id: PatronIdentity}``) so receivers can scrub their
#: own free text. Receivers must work in bulk and be safe to run twice.
patron_identity_purged = Signal()

#: Sent when a patron downloads their own data. Apps this core may not import (billing) answer
#: with ``(section_name, rows)``: JSON-ready lists of what they hold about ``patron`` (a user).
patron_data_requested = Signal()

#: What replaces a patron's name, e-mail, username or barcode in free text kept after the purge.
REDACTED = "[patron]"
DEFAULT_BATCH_SIZE = 500


@dataclasses.dataclass(frozen=True)
class PatronIdentity:
    """The strings that identify one patron, to find and redact in free text."""

    first_name: str = ""
    last_name: str = ""
    username: str = ""
    email: str = ""
    card_barcode: str = ""

    @property
    def terms(self) -> list[str]:
        full = f"{self.first_name} {self.last_name}".strip()
        candidates = [full, self.email, self.username, self.card_barcode, self.last_name, self.first_name]
        # Longest first, so "Ada Lovelace" goes as a whole before "Ada"; one letter is no identity.
        return sorted({c.strip() for c in candidates if len(c.strip()) >= 2}, key=len, reverse=True)

    def pattern(self) -> re.Pattern | None:
        terms = self.terms
        if not terms:
            return None
        # Word boundaries where the term starts or ends with a word character: "Ada" must not eat "Adams".
        parts = [(r"\b" if t[0].isalnum() else "") + re.escape(t) + (r"\b" if t[-1].isalnum() else "")
                 for t in terms]
        return re.compile("|".join(parts), re.IGNORECASE)

    def scrub(self, text: str) -> str:
        pattern = self.pattern()
        return pattern.sub(REDACTED, text) if pattern and text else text


def scrub_value(value: Any, identity: PatronIdentity) -> Any:
    """``value`` (text, or JSON: dicts and lists of them) with the patron's identity redacted."""
    if isinstance(value, str):
        return identity.scrub(value)
    if isinstance(value, dict):
        return {scrub_value(key, identity): scrub_value(item, identity) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_value(item, identity) for item in value]
    return value


def scrub_rows(rows: Iterable, fields: Iterable[str], identities: Mapping[int, PatronIdentity],
               request_id_of=lambda row: row.request_id) -> list:
    """Redact identities in ``fields`` of ``rows``; returns the rows that changed (for ``bulk_update``)."""
    changed = []
    fields = list(fields)
    for row in rows:
        identity = identities.get(request_id_of(row))
        if identity is None:
            continue
        dirty = False
        for name in fields:
            old = getattr(row, name)
            new = scrub_value(old, identity)
            limit = row._meta.get_field(name).max_length
            if limit and isinstance(new, str):
                new = new[:limit]  # "[patron]" may be longer than what it replaced
            if new != old:
                setattr(row, name, new)
                dirty = True
        if dirty:
            changed.append(row)
    return changed


def purgeable_requests(*, now: dt.datetime | None = None):
    """Borrowing requests whose patron identity is due for the purge: final, their last status
    change older than their library's retention period (``policy_for(library).patron_data_retention_days``),
    not purged yet. Two queries to build, whatever the number of libraries."""
    now = now or timezone.now()
    member_ids = Library.objects.filter(is_member=True).values_list("pk", flat=True)
    by_days: dict[int, list[int]] = defaultdict(list)
    for library_id, policy in policies_by_library_id(member_ids).items():
        by_days[policy.patron_data_retention_days].append(library_id)
    due = Q()
    for days, library_ids in sorted(by_days.items()):
        due |= Q(library_id__in=sorted(library_ids), status_changed_at__lt=now - dt.timedelta(days=days))
    if not by_days:
        return IllRequest.objects.none()
    final = sorted(registry.get(Role.BORROWING).final_states)
    return IllRequest.objects.filter(due, role=Role.BORROWING, status__in=final, patron_purged_at__isnull=True)


def purge_patron_identity(*, now: dt.datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                          dry_run: bool = False) -> dict[str, int]:
    """Remove patron identity from every request due for it (see ``purgeable_requests``), in batches.

    Each batch is one transaction with a constant number of queries. Rows are claimed with
    ``select_for_update(skip_locked=True)`` where the database has it, and the final update
    only touches rows still unpurged, so two runs at once, or a run repeated, purge each
    request once. ``dry_run`` counts what is due and changes nothing. Returns counts.
    """
    now = now or timezone.now()
    totals = {"requests": 0, "notes_deleted": 0, "notes_redacted": 0, "events": 0, "outbox_messages": 0,
              "emails_deleted": 0, "access_log_rows": 0}
    if dry_run:
        totals["requests"] = purgeable_requests(now=now).count()
        return totals
    while True:
        counts = _purge_batch(now=now, batch_size=batch_size)
        if not counts["requests"]:
            return totals
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value


def _purge_batch(*, now: dt.datetime, batch_size: int) -> dict[str, int]:
    with transaction.atomic():
        claimed = (purgeable_requests(now=now).select_for_update(skip_locked=True, of=("self",))
                   .order_by("pk").values_list("pk", flat=True)[:batch_size])
        ids = list(claimed)
        if not ids:
            return {"requests": 0}
        rows = (IllRequest.objects.filter(pk__in=ids)
                .values_list("pk", "patron__first_name", "patron__last_name", "patron__username",
                             "patron__email", "patron__patron_profile__card_barcode"))
        identities: dict[int, PatronIdentity] = {}
        for pk, first, last, username, email, barcode in rows:
            identities[pk] = PatronIdentity(first or "", last or "", username or "", email or "", barcode or "")

        counts = {"requests": 0}
        # Notes shown to the patron or written by them go; the others keep their text, redacted.
        notes = Note.objects.filter(request_id__in=ids)
        # "The patron" is each request's own patron: a patron who is also staff keeps the notes they
        # wrote as staff on other people's requests.
        counts["notes_deleted"], _ = notes.filter(Q(visibility=NoteVisibility.PATRON)
                                                  | Q(author=F("request__patron"))).delete()
        notes.filter(read_by=F("request__patron")).update(read_by=None)
        redacted = scrub_rows(notes.only("pk", "request_id", "text"), ["text"], identities)
        Note.objects.bulk_update(redacted, ["text"], batch_size=500)
        counts["notes_redacted"] = len(redacted)

        # Events stay (they are the statistics); the patron's own words and any copy of their identity go.
        events = Event.objects.filter(request_id__in=ids)
        events.filter(actor_kind=ActorKind.PATRON).exclude(note="").update(note="")
        events.filter(actor_user=F("request__patron")).update(actor_user=None)
        changed = scrub_rows(events.only("pk", "request_id", "note", "data"), ["note", "data"], identities)
        Event.objects.bulk_update(changed, ["note", "data"], batch_size=500)
        counts["events"] = len(changed)

        changed = scrub_rows(OutboxMessage.objects.filter(request_id__in=ids).only("pk", "request_id", "payload",
                                                                                   "last_error"),
                             ["payload", "last_error"], identities)
        OutboxMessage.objects.bulk_update(changed, ["payload", "last_error"], batch_size=500)
        counts["outbox_messages"] = len(changed)

        # The e-mails to the patron held their name, address and the notes they were sent.
        counts["emails_deleted"], _ = OutgoingEmail.objects.filter(request_id__in=ids).delete()

        # The access log keeps who looked at which patron, but no longer says at which request.
        counts["access_log_rows"] = PatronRecordAccess.objects.filter(request_id__in=ids).update(request=None,
                                                                                                 path="")

        patron_identity_purged.send(sender=IllRequest, request_ids=ids, identities=identities)

        counts["requests"] = IllRequest.objects.filter(pk__in=ids, patron_purged_at__isnull=True).update(
            patron=None, patron_note="", patron_purged_at=now)
    return counts


# The staff access log ------------------------------------------------------------------------

#: What a look at a patron's identity was (``PatronAccess.what``, stored in English), in the reader's language.
ACCESS_WORDS = {
    "patron access log": gettext_lazy("patron access log"),
    "staff API request detail": gettext_lazy("staff API request detail"),
    "staff API request notes": gettext_lazy("staff API request notes"),
    "patron search (new request)": gettext_lazy("patron search (new request)"),
    "new request for the patron": gettext_lazy("new request for the patron"),
    "book band": gettext_lazy("book band"),
    "return label": gettext_lazy("return label"),
    "borrowing request detail": gettext_lazy("borrowing request detail"),
    "admin request": gettext_lazy("admin request"),
    "admin user account": gettext_lazy("admin user account"),
}


#: How the admin's looks are stored: ``"admin "`` and the model's English name (``verbose_name_raw``).
ADMIN_LOOK = "admin "


@functools.cache
def _models_by_english_name() -> dict[str, type]:
    from django.apps import apps

    return {model._meta.verbose_name_raw: model for model in apps.get_models()}


def access_in_words(what: str) -> str:
    """``what`` of an access-log row as the reader reads it: a look in the admin names the model in the reader's
    language (“Admin: Nutzerprofil”); a kind not listed is shown as stored."""
    if what in ACCESS_WORDS:
        return str(ACCESS_WORDS[what])
    model = _models_by_english_name().get(what.removeprefix(ADMIN_LOOK)) if what.startswith(ADMIN_LOOK) else None
    if model is not None:
        return gettext("admin: %(model)s") % {"model": model._meta.verbose_name}
    return what


def log_patron_access(staff, *, patron=None, request: IllRequest | int | None = None, what: str,
                      path: str = "") -> PatronRecordAccess | None:
    """Record that ``staff`` saw a patron's identity (a page, an export, an admin screen): one insert.

    ``patron`` (a user or its id) defaults to the request's patron; ``request`` may be an id when
    ``patron`` is given. Nothing is written when there is no patron to see (a lending request, a
    purged one) or no signed-in staff member.
    """
    patron_id = getattr(patron, "pk", patron) if patron is not None else getattr(request, "patron_id", None)
    if patron_id is None or staff is None or not staff.is_authenticated:
        return None
    return PatronRecordAccess.objects.create(staff=staff, patron_id=patron_id,
                                             request_id=getattr(request, "pk", request),
                                             what=what[:100], path=(path or "")[:300])


def find_patron(*, library, query: str):
    """The patron of member ``library`` whose card barcode or username is ``query`` (``None`` if none)."""
    from django.contrib.auth import get_user_model

    query = (query or "").strip()
    if not query:
        return None
    return (get_user_model().objects.select_related("patron_profile")
            .filter(patron_profile__library=library)
            .filter(Q(patron_profile__card_barcode__iexact=query) | Q(username__iexact=query))
            .order_by("pk").first())


def access_log(*, patron):
    """Who saw ``patron``'s identity, newest first (staff and request joined: one query per page)."""
    return (PatronRecordAccess.objects.filter(patron=patron).select_related("staff", "request")
            .order_by("-created_at", "-pk"))


def patron_data_sections(*, patron) -> dict[str, Any]:
    """What the apps that listen to ``patron_data_requested`` hold about ``patron``, by section name."""
    sections: dict[str, Any] = {}
    for _receiver, answer in patron_data_requested.send(sender=IllRequest, patron=patron):
        if answer:
            name, rows = answer
            sections[name] = rows
    return sections
