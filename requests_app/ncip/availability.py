"""Live availability of our own copy in the ILS (LookupItem), beside the imported holdings on a lending request.

Asked while the page is drawn, so with the connection's short time limit, and kept for a minute per copy
(``ILLMS_NCIP_LIVE_SECONDS``) so a desk reloading the page does not ask again; an ILS that does not answer
is said so on the page and asked again after a few seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from ..models import Library
from ..utilities.credentials import CredentialError
from .connections import client_for, connection_for
from .errors import NcipError, UnknownItem
from .profiles import Service

#: How long an unanswered look-up is remembered (so a slow ILS does not slow every page view).
UNANSWERED_SECONDS = 10


@dataclass(frozen=True)
class LiveItem:
    barcode: str
    status: str = ""
    location: str = ""
    call_number: str = ""
    due_back: dt.date | None = None
    #: Why there is no answer (the ILS does not know the item, or did not answer); empty when answered.
    problem: str = ""


def live_item(*, library: Library, barcode: str) -> LiveItem | None:
    """What the ILS says of our copy ``barcode`` now; ``None`` when NCIP cannot ask (off, or no LookupItem)."""
    if not barcode:
        return None
    connection = connection_for(library)
    if connection is None or not connection.lending or not connection.profile.offers(Service.LOOKUP_ITEM):
        return None
    key = f"ncip-live:{library.pk}:{barcode}"
    found = cache.get(key)
    if found is not None:
        return found
    seconds = int(getattr(settings, "ILLMS_NCIP_LIVE_SECONDS", 60))
    try:
        answer = client_for(connection, timeout=connection.lookup_timeout_seconds).lookup_item(barcode=barcode)
    except UnknownItem as exc:
        found = LiveItem(barcode=barcode, problem=f"The ILS does not know item {barcode}: {exc.reason}.")
    except (NcipError, CredentialError) as exc:
        found = LiveItem(barcode=barcode, problem=f"The ILS did not answer: {exc}")
        seconds = UNANSWERED_SECONDS
    else:
        item = answer.item
        found = LiveItem(barcode=barcode, status=item.circulation_status if item else "",
                         location=item.location if item else "", call_number=item.call_number if item else "",
                         due_back=item.date_due.date() if item and item.date_due else None)
    cache.set(key, found, seconds)
    return found
