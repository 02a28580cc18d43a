"""Live availability of our own copies in the ILS, beside the imported holdings on a lending request.

The matched copy and the other copies of the same bibliographic record are asked about at once: in one
``LookupItemSet`` where the profile offers it (the standard's “Other” profile), else one ``LookupItem`` per
copy (Koha, Symphony, Evergreen), so the desk sees which copy is on the shelf now. Asked while the page is
drawn, so with the connection's short time limit, and kept for a minute per copy (``ILLMS_NCIP_LIVE_SECONDS``)
so a desk reloading the page does not ask again; an ILS that does not answer is said so on the page and asked
again after a few seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from ..models import Library
from ..utilities.credentials import CredentialError
from .codec import ItemRecord
from .connections import client_for, connection_for
from .errors import NcipError, UnknownItem

#: How long an unanswered look-up is remembered (so a slow ILS does not slow every page view).
UNANSWERED_SECONDS = 10
#: The most copies of one record asked about for a page.
MOST_COPIES = 20


@dataclass(frozen=True)
class LiveItem:
    barcode: str
    status: str = ""
    location: str = ""
    call_number: str = ""
    due_back: dt.date | None = None
    #: Why there is no answer (the ILS does not know the item, or did not answer); empty when answered.
    problem: str = ""


def _key(library: Library, barcode: str) -> str:
    return f"ncip-live:{library.pk}:{barcode}"


def _live(barcode: str, found: ItemRecord | NcipError) -> LiveItem:
    if isinstance(found, UnknownItem):
        return LiveItem(barcode=barcode, problem=f"The ILS does not know item {barcode}: {found.reason}.")
    if isinstance(found, NcipError):
        return LiveItem(barcode=barcode, problem=f"The ILS did not answer about item {barcode}: {found}")
    return LiveItem(barcode=barcode, status=found.circulation_status, location=found.location,
                    call_number=found.call_number, due_back=found.date_due.date() if found.date_due else None)


def live_items(*, library: Library, barcodes: list[str]) -> list[LiveItem] | None:
    """What the ILS says now of each of our copies ``barcodes`` (in their order, at most ``MOST_COPIES``);
    ``None`` when NCIP cannot ask (off, lending off, or the profile cannot look items up)."""
    wanted = list(dict.fromkeys(barcode for barcode in barcodes if barcode))[:MOST_COPIES]
    if not wanted:
        return None
    connection = connection_for(library)
    if connection is None or not connection.lending or not connection.profile.learns_circulation:
        return None
    known = cache.get_many([_key(library, barcode) for barcode in wanted])
    missing = [barcode for barcode in wanted if _key(library, barcode) not in known]
    if missing:
        seconds = int(getattr(settings, "ILLMS_NCIP_LIVE_SECONDS", 60))
        try:
            answers = client_for(connection, timeout=connection.lookup_timeout_seconds).lookup_items(missing)
        except (NcipError, CredentialError) as exc:
            fresh = {barcode: LiveItem(barcode=barcode, problem=f"The ILS did not answer: {exc}")
                     for barcode in missing}
            seconds = UNANSWERED_SECONDS
        else:
            fresh = {barcode: _live(barcode, answers[barcode]) if barcode in answers else
                     LiveItem(barcode=barcode, problem="The ILS said nothing of this item.") for barcode in missing}
        cache.set_many({_key(library, barcode): item for barcode, item in fresh.items()}, seconds)
        known.update({_key(library, barcode): item for barcode, item in fresh.items()})
    return [known[_key(library, barcode)] for barcode in wanted]


def live_item(*, library: Library, barcode: str) -> LiveItem | None:
    """What the ILS says of our copy ``barcode`` now; ``None`` when NCIP cannot ask."""
    found = live_items(library=library, barcodes=[barcode])
    return found[0] if found else None
