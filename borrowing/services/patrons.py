"""What a patron does on their own: submit a request (after the duplicate check), set preferences.

``submit_request`` (``requests.py``) holds the rules every new borrowing request obeys
(a blocked patron, the limit of active requests); this module adds what is particular to a
patron typing a request: their own open requests for the same item are pointed out, and
the request goes in only once they confirm.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from requests_app import catalogue, identifiers
from requests_app.models import EventSource, IllRequest, NoteVisibility, PatronProfile, PickupLocation
from requests_app.services import add_note
from requests_app.workflow import Actor

from .. import selectors
from .requests import request_refusal as request_refusal  # re-exported: the patron pages ask it
from .requests import submit_request

#: Titles at least this similar (difflib ratio, after normalising) are the same item.
TITLE_SIMILARITY = 0.9

_ARTICLES = frozenset({"a", "an", "the"})
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_PAGE_DASHES = re.compile(r"\s*[-‐‑‒–—]\s*")


class PossibleDuplicate(Exception):
    """The patron already has open requests that look like the same item; they must confirm."""

    code = "possible_duplicate"

    def __init__(self, duplicates: list[tuple[IllRequest, str]], owned: list | None = None) -> None:
        super().__init__("You already have an open request for what looks like the same item."
                         if duplicates else "The library already owns what looks like the same item.")
        self.duplicates = duplicates
        #: ``requests_app.catalogue.OwnedItem`` rows: the library's own copies of the item.
        self.owned = owned or []


def normalise_title(title: str) -> str:
    """Case-folded, accents and punctuation removed, without the articles “a”, “an”, “the”."""
    text = unicodedata.normalize("NFKD", title or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = _NOT_WORD.sub(" ", text).split()
    return " ".join(w for w in words if w not in _ARTICLES)


def _pages(value: str) -> str:
    return _PAGE_DASHES.sub("-", (value or "").strip().lower())


def duplicate_reason(existing: IllRequest, citation: Mapping[str, Any]) -> str:
    """Why ``existing`` looks like the item ``citation`` describes, or "" when it does not.

    Identifiers are compared in their normalised form (as forms and ``Citation.clean`` store them).
    """
    doi = identifiers.doi_key(citation.get("doi") or "")
    if doi and doi == identifiers.doi_key(existing.doi):
        return "same DOI"  # DOIs are case-insensitive: stored as sent, compared folded
    for field, label in (("pmid", "PubMed ID"), ("isbn", "ISBN")):
        value = (citation.get(field) or "").strip().lower()
        if value and value == (getattr(existing, field) or "").lower():
            return f"same {label}"
    issn, volume, pages = (citation.get(k) or "" for k in ("issn", "volume", "pages"))
    if (issn and volume and pages and issn.upper() == existing.issn.upper()
            and volume.strip().lower() == existing.volume.strip().lower()
            and _pages(pages) == _pages(existing.pages)):
        return "same ISSN, volume and pages"
    new_title, old_title = normalise_title(citation.get("title") or ""), normalise_title(existing.title)
    if new_title and old_title and (
            new_title == old_title
            or difflib.SequenceMatcher(None, new_title, old_title).ratio() >= TITLE_SIMILARITY):
        return "nearly the same title"
    return ""


def find_duplicates(*, patron, citation: Mapping[str, Any]) -> list[tuple[IllRequest, str]]:
    """The patron's own open requests that look like ``citation``, each with the reason (one query)."""
    found = []
    for existing in selectors.patron_open_requests(patron=patron):
        reason = duplicate_reason(existing, citation)
        if reason:
            found.append((existing, reason))
    return found


def submit_patron_request(*, patron, confirm_duplicates: bool = False, source: str = EventSource.WEB,
                          note: str = "", **citation: Any) -> IllRequest:
    """A patron's new request, in ``submitted``.

    Raises ``PossibleDuplicate`` (nothing saved) when the patron has open requests that look
    like the same item and has not confirmed; once confirmed, the request is created and
    staff get an internal note naming the requests it may duplicate. Raises
    ``ValidationError`` from ``submit_request`` (blocked, over the limit, bad citation).
    ``note`` goes on the request's first event (e.g. which discovery system the link came from).
    """
    duplicates = find_duplicates(patron=patron, citation=citation)
    owned = catalogue.owned_items(library=patron.patron_profile.library, citation=citation)
    if (duplicates or owned) and not confirm_duplicates:
        raise PossibleDuplicate(duplicates, owned)
    with transaction.atomic():
        # ``submit_request`` hands ``note`` on to ``create_request``, which writes it on the first event.
        request = submit_request(patron=patron, actor=Actor.patron(patron), source=source, note=note, **citation)
        if owned:
            add_note(request=request, visibility=NoteVisibility.INTERNAL, author=patron, text=(
                "The patron confirmed this request although the library holds "
                + "; ".join(f"{o.title} ({o.call_number or 'no call number'}, {o.location or 'no location'})"
                            for o in owned) + "."))
        if duplicates:
            add_note(request=request, visibility=NoteVisibility.INTERNAL, author=patron, text=(
                "The patron confirmed this request although it may duplicate their open request(s) "
                + ", ".join(f"{d.number} ({reason})" for d, reason in duplicates) + "."))
    return request


def update_preferences(*, profile: PatronProfile, notify_by_email: bool, due_date_reminders: bool,
                       pickup_location: PickupLocation | None) -> PatronProfile:
    """Save a patron's notification preferences and usual pickup location (one of their library's)."""
    if pickup_location is not None and (pickup_location.library_id != profile.library_id
                                        or not pickup_location.active):
        raise ValidationError({"pickup_location": "Choose one of your library's pickup locations."},
                              code="invalid_pickup_location")
    profile.notify_by_email = notify_by_email
    profile.due_date_reminders = due_date_reminders
    profile.pickup_location = pickup_location
    profile.save(update_fields=["notify_by_email", "due_date_reminders", "pickup_location"])
    return profile
