"""What a patron does on their own: submit a request (after the duplicate check), set preferences.

``submit_request`` (``requests.py``) holds the rules every new borrowing request obeys
(a blocked patron, the limit of active requests); this module adds what is particular to a
patron typing a request: their own open requests for the same item are pointed out, and
the request goes in only once they confirm. Staff typing a request for a patron (telephone,
walk-in, e-mail: ``submit_for_patron``) go through the same checks.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from requests_app import catalogue, identifiers, open_access
from requests_app.actors import ActorKind
from requests_app.models import (
    COPY_FORMATS,
    CopyrightAcceptance,
    EventSource,
    IllRequest,
    Library,
    NoteVisibility,
    PatronProfile,
    PickupLocation,
    RequestChannel,
)
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

    def __init__(self, duplicates: list[tuple[IllRequest, str]], owned: list | None = None,
                 open_access: open_access.OpenAccessCopy | None = None) -> None:
        super().__init__("You already have an open request for what looks like the same item." if duplicates
                         else "The library already owns what looks like the same item." if owned
                         else "A free, legal copy of this article is online.")
        self.duplicates = duplicates
        #: ``requests_app.catalogue.OwnedItem`` rows: the library's own copies of the item.
        self.owned = owned or []
        #: A free copy of the article (``requests_app.open_access``), offered before borrowing.
        self.open_access = open_access


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
                          note: str = "", actor: Actor | None = None, event_data: dict[str, Any] | None = None,
                          **citation: Any) -> IllRequest:
    """A patron's new request, in ``submitted``.

    Raises ``PossibleDuplicate`` (nothing saved) when the patron has open requests that look
    like the same item, the library owns it, or an article's DOI has a free copy online
    (``open_access``), and the patron has not confirmed; once confirmed, the request is created
    and staff get an internal note naming what was offered. Raises
    ``ValidationError`` from ``submit_request`` (blocked, over the limit, bad citation).
    ``note`` goes on the request's first event (e.g. which discovery system the link came from),
    as ``event_data`` does. ``actor`` is the patron unless given: staff typing it for them
    (``submit_for_patron``) pass through the same checks.
    """
    actor = actor or Actor.patron(patron)
    duplicates = find_duplicates(patron=patron, citation=citation)
    owned = catalogue.owned_items(library=patron.patron_profile.library, citation=citation)
    free = open_access.open_access_copy(citation.get("doi") or "") if citation.get("doi") else None
    if (duplicates or owned or free) and not confirm_duplicates:
        raise PossibleDuplicate(duplicates, owned, free)
    if actor.kind == ActorKind.STAFF:
        name = actor.user.get_full_name() or actor.user.get_username()
        confirmed = f"{name} confirmed this request for the patron"
    else:
        confirmed = "The patron confirmed this request"
    with transaction.atomic():
        # ``submit_request`` hands ``note`` on to ``create_request``, which writes it on the first event.
        request = submit_request(patron=patron, actor=actor, source=source, note=note,
                                 event_data=event_data, **citation)
        if owned:
            add_note(request=request, visibility=NoteVisibility.INTERNAL, author=actor.user, text=(
                f"{confirmed} although the library holds "
                + "; ".join(f"{o.title} ({o.call_number or 'no call number'}, {o.location or 'no location'})"
                            for o in owned) + "."))
        if free:
            add_note(request=request, visibility=NoteVisibility.INTERNAL, author=actor.user, text=(
                f"{confirmed} although {free.source} lists a free copy"
                + (f" ({free.version_label})" if free.version_label else "") + f": {free.url}"))
        if duplicates:
            add_note(request=request, visibility=NoteVisibility.INTERNAL, author=actor.user, text=(
                f"{confirmed} although it may duplicate their open request(s) "
                + ", ".join(f"{d.number} ({reason})" for d, reason in duplicates) + "."))
    return request


def submit_for_patron(*, staff, library: Library, patron, channel: str, copyright_received: str = "",
                      confirm_duplicates: bool = False, note: str = "", **citation: Any) -> IllRequest:
    """A request a staff member of member ``library`` types for ``patron`` (telephone, walk-in, e-mail).

    The patron's own rules hold, through ``submit_patron_request``: blocked, over the limit, bad
    citation (``ValidationError``), possible duplicates (``PossibleDuplicate``). The request is the
    patron's; its first event names ``staff`` as the actor and keeps ``channel`` (a ``RequestChannel``)
    and, for a copy, how the patron accepted the copyright warning (a ``CopyrightAcceptance``), which
    a copy cannot go without. Raises ``ValidationError`` for a patron of another library, an unknown
    channel or a copy without the acceptance.
    """
    profile = getattr(patron, "patron_profile", None)
    if profile is None or profile.library_id != library.pk:
        raise ValidationError(gettext("This patron is not registered with %(library)s.") % {"library": library.name},
                              code="other_library")
    if channel not in RequestChannel.values:
        raise ValidationError({"channel": gettext("Choose how the request came in.")}, code="invalid_channel")
    data: dict[str, Any] = {"for_patron": True, "channel": channel}
    if citation.get("format") in COPY_FORMATS:
        if copyright_received not in CopyrightAcceptance.values:
            raise ValidationError({"copyright_received": gettext("Copies can only be requested once the patron has "
                                                                 "accepted the copyright warning: record how they "
                                                                 "did.")},
                                  code="copyright_not_accepted")
        data["copyright_accepted"] = copyright_received
    return submit_patron_request(patron=patron, actor=Actor.staff(staff), source=EventSource.WEB, note=note,
                                 confirm_duplicates=confirm_duplicates, event_data=data, **citation)


def update_preferences(*, profile: PatronProfile, notify_by_email: bool, due_date_reminders: bool,
                       pickup_location: PickupLocation | None, language: str | None = None) -> PatronProfile:
    """Save a patron's notification preferences, usual pickup location (one of their library's) and, when given,
    the language of their pages and e-mails (one of ``LANGUAGES``, or ``""`` for the site's)."""
    if pickup_location is not None and (pickup_location.library_id != profile.library_id
                                        or not pickup_location.active):
        raise ValidationError({"pickup_location": gettext("Choose one of your library's pickup locations.")},
                              code="invalid_pickup_location")
    fields = ["notify_by_email", "due_date_reminders", "pickup_location"]
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": gettext("Choose one of the languages offered.")},
                                  code="invalid_language")
        profile.language = language
        fields.append("language")
    profile.notify_by_email = notify_by_email
    profile.due_date_reminders = due_date_reminders
    profile.pickup_location = pickup_location
    profile.save(update_fields=fields)
    return profile
