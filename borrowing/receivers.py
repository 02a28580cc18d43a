"""Borrowing listens to the privacy purge (connected in ``BorrowingConfig.ready``).

The copyright record of a purged request stays (the rule of five and the three-year keeping
need it) but its free text loses any copy of the patron's identity; so do the rota's reasons.
"""

from __future__ import annotations

from django.dispatch import receiver

from requests_app.models import IllRequest
from requests_app.privacy import patron_identity_purged, scrub_rows

from .models import CopyrightRecord, RotaEntry


@receiver(patron_identity_purged, sender=IllRequest, dispatch_uid="borrowing.purge_patron_identity")
def purge_patron_identity(sender, request_ids: list[int], identities: dict, **kwargs) -> None:
    records = scrub_rows(CopyrightRecord.objects.filter(request_id__in=request_ids).only(
        "pk", "request_id", "exception_note"), ["exception_note"], identities)
    CopyrightRecord.objects.bulk_update(records, ["exception_note"], batch_size=500)
    entries = scrub_rows(RotaEntry.objects.filter(request_id__in=request_ids).exclude(reason="").only(
        "pk", "request_id", "reason"), ["reason"], identities)
    RotaEntry.objects.bulk_update(entries, ["reason"], batch_size=500)
