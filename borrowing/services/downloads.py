"""Electronic copies for patrons: the lender's link kept behind sign-in, with our own limits.

A lender delivers a copy with a link (ISO 18626 CopyCompleted, ``deliveryInfo/URL``); a commercial
document supplier's copy is a file we keep (``borrowing.services.suppliers``). We keep
either as a ``PatronDownload`` with the library's expiry (days and number of downloads; 30 days
and 5 downloads by default, as Article Exchange does). The patron downloads from My
requests: the download is counted by one conditional UPDATE (two clicks racing for the last
download cannot both win), then the browser goes on to the lender's file.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from requests_app.models import IllRequest, Library, Role
from requests_app.policies import policy_for
from requests_app.workflow import WorkflowError

from ..models import PatronDownload
from ..states import DOWNLOADABLE_STATES


def limits(library: Library | None = None) -> tuple[int, int]:
    """(days, downloads) a patron's link lasts: ``library``'s policy (the settings without one)."""
    policy = policy_for(library)
    return policy.edelivery_days, policy.edelivery_max_downloads


def record_link(*, request: IllRequest, url: str, now: dt.datetime | None = None) -> PatronDownload | None:
    """Keep the lender's ``url`` for ``request``'s patron; ``None`` for a link already kept or no link.

    Called inside the transition (or the handler's transaction) that brought the link, so the
    link and the state change are saved together. A repeated link (the same message twice)
    is kept once.
    """
    url = (url or "").strip()
    if not url or request.role != Role.BORROWING:
        return None
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return None  # not a link a browser can follow: the lender's note still tells staff
    if PatronDownload.objects.filter(request=request, url=url).exists():
        return None
    now = now or timezone.now()
    days, downloads = limits(request.library)
    return PatronDownload.objects.create(request=request, url=url[:1000], received_at=now,
                                         expires_at=now + dt.timedelta(days=days), max_downloads=downloads)


def current(request: IllRequest) -> PatronDownload | None:
    """The newest link for ``request`` (valid or not), or ``None``."""
    return request.patron_downloads.order_by("-received_at", "-pk").first()


def claim(*, patron, request_pk: int, now: dt.datetime | None = None) -> str:
    """Count one download of ``patron``'s copy for request ``request_pk`` and return the lender's link
    (``claim_copy`` for a copy that may be a file of ours)."""
    return claim_copy(patron=patron, request_pk=request_pk, now=now).url


def claim_copy(*, patron, request_pk: int, now: dt.datetime | None = None) -> PatronDownload:
    """Count one download of ``patron``'s copy for request ``request_pk`` and return it: the lender's link
    (``url``), or our file (``document``: a document supplier's copy).

    Raises ``IllRequest.DoesNotExist`` for a request that is not the patron's, and
    ``WorkflowError('invalid')`` when there is no copy or its link has expired or been used up.
    """
    request = IllRequest.objects.for_patron(patron).get(pk=request_pk)
    if request.status not in DOWNLOADABLE_STATES:
        raise WorkflowError("invalid", "There is no copy to download for this request.")
    link = current(request)
    if link is None:
        raise WorkflowError("invalid", "There is no copy to download for this request.")
    now = now or timezone.now()
    valid = Q(pk=link.pk, expires_at__gt=now, download_count__lt=F("max_downloads"))
    with transaction.atomic():
        counted = PatronDownload.objects.filter(valid).update(
            download_count=F("download_count") + 1, last_downloaded_at=now)
    if not counted:
        if link.expires_at <= now:
            raise WorkflowError("invalid", f"The link to this copy expired on {link.expires_at:%d %b %Y}. "
                                           "Ask the interlibrary loan office for a new one.")
        raise WorkflowError("invalid", f"This copy has been downloaded {link.max_downloads} times, the most "
                                       "allowed. Ask the interlibrary loan office for a new link.")
    return link


def on_copy_link_received(sender, *, request: IllRequest, url: str, **kwargs) -> None:
    """A lender re-sent a link (e.g. the first one expired): the patron gets fresh limits."""
    if request.role == Role.BORROWING and request.status in DOWNLOADABLE_STATES:
        record_link(request=request, url=url)


def offered(request: IllRequest) -> PatronDownload | None:
    """The copy My requests offers for ``request`` (from the prefetched ``downloads``), if any."""
    links = getattr(request, "downloads", None)
    if links is None:
        links = list(request.patron_downloads.order_by("-received_at", "-pk")[:1])
    return links[0] if links and request.status in DOWNLOADABLE_STATES else None
