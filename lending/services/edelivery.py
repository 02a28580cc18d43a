"""Electronic delivery of copies: upload a scan, send the borrower a link that expires (Article Exchange practice)."""

from __future__ import annotations

import datetime as dt
import io
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from requests_app.iso18626 import messages as m
from requests_app.models import EventSource, IllRequest, Library
from requests_app.partners.outgoing import build_supplying_agency_message, enqueue
from requests_app.policies import policy_for
from requests_app.services import claim, perform
from requests_app.workflow import Actor, WorkflowError

from .. import pdf
from ..models import DownloadLog, ElectronicDelivery
from ..states import LendingStatus


def max_bytes() -> int:
    return getattr(settings, "ILLMS_EDELIVERY_MAX_BYTES", 60 * 1024 * 1024)


def validate_scan(upload) -> bytes:
    """The uploaded scan's bytes if it is a readable PDF within the size limit; else ``WorkflowError('invalid')``."""
    if upload is None:
        raise WorkflowError("invalid", gettext("Choose the scanned PDF to upload."))
    limit = max_bytes()
    if upload.size > limit:
        raise WorkflowError("invalid", gettext("The file is %(size)s MB; the limit is %(limit)s MB.") % {
            "size": f"{upload.size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:.0f}"})
    data = upload.read()
    if not data.startswith(b"%PDF-"):
        raise WorkflowError("invalid", gettext("The file is not a PDF (whatever its name says). Scan to PDF and try "
                                               "again."))
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise WorkflowError("invalid", gettext("The PDF is damaged and cannot be opened (%(error)s).")
                            % {"error": exc}) from exc
    if pages == 0:
        raise WorkflowError("invalid", gettext("The PDF has no pages."))
    return data


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _limits(library: Library) -> tuple[dt.datetime, int]:
    """(expiry, downloads) of a new link: the lending library's policy (the settings without one)."""
    policy = policy_for(library)
    return timezone.now() + dt.timedelta(days=policy.edelivery_days), policy.edelivery_max_downloads


def download_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/delivery/{token}/"


def deliver_copy(*, request: IllRequest, actor: Actor, upload, base_url: str, note: str = "",
                 source: str = EventSource.WEB) -> ElectronicDelivery:
    """Store ``upload`` (checked) behind a copyright cover sheet and send the borrower the link.

    Performs ``deliver_copy`` with ``data={"url": …}`` so the ISO 18626 CopyCompleted message
    carries the link. Raises ``WorkflowError``; on any failure nothing is stored.
    """
    scan = validate_scan(upload)
    merged = pdf.with_cover_sheet(pdf.cover_sheet(request), scan)
    expires_at, max_downloads = _limits(request.library)
    delivery = ElectronicDelivery(request=request, token=_new_token(), expires_at=expires_at,
                                  max_downloads=max_downloads, size=len(merged),
                                  original_name=(getattr(upload, "name", "") or "")[:255],
                                  created_by=actor.user if actor.user and actor.user.is_authenticated else None)
    delivery.file.save(f"{request.number}-{secrets.token_hex(8)}.pdf", ContentFile(merged), save=False)
    try:
        with transaction.atomic():
            delivery.save()
            perform(request=request, action="deliver_copy", actor=actor, note=note, source=source,
                    data={"url": download_url(base_url, delivery.token)})
    except Exception:
        default_storage.delete(delivery.file.name)
        raise
    return delivery


def reissue_link(*, delivery: ElectronicDelivery, base_url: str) -> ElectronicDelivery:
    """A new link for the same file (new token, fresh counters and expiry), sent to the borrower.

    Staff use it when the borrower's link expired before they could download; no new
    request is needed. Raises ``WorkflowError('invalid')`` when the file is already deleted.
    """
    with transaction.atomic():
        locked = ElectronicDelivery.objects.select_for_update(of=("self",)).select_related(
            "request", "request__library", "request__partner").get(pk=delivery.pk)
        if locked.deleted_at is not None:
            raise WorkflowError("invalid", gettext("The file was deleted after its link expired; upload the scan "
                                                   "again."))
        locked.token = _new_token()
        locked.expires_at, locked.max_downloads = _limits(locked.request.library)
        locked.download_count = 0
        locked.reissue_count += 1
        locked.save(update_fields=["token", "expires_at", "max_downloads", "download_count", "reissue_count"])
        request = locked.request
        url = download_url(base_url, locked.token)
        if request.partner_id:
            message = build_supplying_agency_message(
                request, reason=m.ReasonForMessage.NOTIFICATION, status=m.Status.COPY_COMPLETED,
                timestamp=timezone.now(), note=f"A new download link: {url}",
                delivery_info=m.DeliveryInfo(date_sent=timezone.now(), url=url))
            enqueue(request, message)
    return locked


def claim_download(*, token: str, ip: str | None, user_agent: str) -> ElectronicDelivery | None:
    """Count one download of the link ``token`` if it is still valid; ``None`` when it is not.

    The count is one conditional UPDATE, so two downloads racing for the last allowed one
    cannot both succeed.
    """
    now = timezone.now()
    valid = Q(token=token, deleted_at__isnull=True, expires_at__gt=now, download_count__lt=F("max_downloads"))
    with transaction.atomic():
        if not ElectronicDelivery.objects.filter(valid).update(download_count=F("download_count") + 1):
            return None
        delivery = ElectronicDelivery.objects.get(token=token)
        DownloadLog.objects.create(delivery=delivery, at=now, ip=ip or None, user_agent=(user_agent or "")[:300])
    return delivery


def expire_deliveries(*, now: dt.datetime | None = None) -> int:
    """Delete the files of expired links and mark them deleted; complete their requests.

    A used-up link keeps its file until its expiry date, so staff can still re-issue it.

    Idempotent: a row is claimed by a conditional UPDATE on ``deleted_at``, so a second run
    (or a second worker) deletes nothing twice.
    """
    now = now or timezone.now()
    due = ElectronicDelivery.objects.filter(deleted_at__isnull=True, expires_at__lte=now)
    done = 0
    for delivery in due.only("pk", "file", "request_id").order_by("pk"):
        if not ElectronicDelivery.objects.filter(pk=delivery.pk, deleted_at__isnull=True).update(deleted_at=now):
            continue
        if delivery.file.name:
            default_storage.delete(delivery.file.name)
        done += 1
        claim(request_id=delivery.request_id, from_status=LendingStatus.COPY_DELIVERED, action="complete_copy",
              actor=Actor.system("e-delivery expiry"), source=EventSource.JOB,
              note="The download link expired or was used up; the file is deleted.")
    return done
