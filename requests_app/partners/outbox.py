"""The outbox: protocol messages to partners, written with the change that caused them.

``enqueue`` runs inside the caller's transaction, so a message exists if and only if its
state change committed. Delivery happens after commit, in a Celery task, in order per
request: a message is not sent while an older message of the same request is
undelivered. Each attempt is claimed with a compare-and-set on ``attempts`` plus a lease
on ``next_attempt_at``, so two workers never send one message at once; a transport error
schedules the next attempt with exponential back-off, and after the retry limit the
message is ``failed`` (it then holds back the later messages of its request until staff
resend it). The receiver de-duplicates by ids and timestamp, so a message sent again
after a lost confirmation acts once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import IllRequest, Library, OutboxMessage, OutboxStatus, Transport

logger = logging.getLogger(__name__)


class TransportError(Exception):
    """The message could not be handed over (network, HTTP status, unreadable answer): try again later."""


class MessageRefused(Exception):
    """The partner read the message and answered with an ERROR confirmation: retrying will not help."""

    def __init__(self, message: str, confirmation: dict | None = None) -> None:
        super().__init__(message)
        self.confirmation = confirmation


def max_attempts() -> int:
    return int(getattr(settings, "ILLMS_OUTBOX_MAX_ATTEMPTS", 12))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 1 min, 2 min, … capped at one hour."""
    base = float(getattr(settings, "ILLMS_OUTBOX_BACKOFF_SECONDS", 30))
    return dt.timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), 3600))


#: How long a claimed attempt holds its message before another worker may try it.
LEASE = dt.timedelta(minutes=5)


def transport_for(library: Library) -> str | None:
    """How we reach ``library``: in-process for a member, else its ISO 18626 or ILLMS REST endpoint."""
    if library.is_member:
        return Transport.LOCAL
    if library.iso18626_endpoint:
        return Transport.ISO18626
    if library.rest_endpoint:
        return Transport.REST
    return None


def enqueue(*, request: IllRequest, sender: Library, recipient: Library, kind: str, summary: str,
            payload: dict) -> OutboxMessage | None:
    """Write a message for ``recipient`` in the current transaction and deliver it after commit.

    Returns ``None`` when the partner has no electronic endpoint: staff reach it by other
    means, and the request's history says so.
    """
    transport = transport_for(recipient)
    if transport is None:
        return None
    message = OutboxMessage.objects.create(
        request=request, sender=sender, recipient=recipient, kind=kind, summary=summary[:100], payload=payload,
        transport=transport,
    )
    from .tasks import deliver_request_outbox  # the task imports this module; it is only queued here

    transaction.on_commit(lambda: deliver_request_outbox.delay(request.pk))
    return message


def _undelivered_before(message: OutboxMessage) -> bool:
    return OutboxMessage.objects.filter(
        request_id=message.request_id, pk__lt=message.pk,
    ).exclude(status=OutboxStatus.DELIVERED).exists()


def deliver(message: OutboxMessage, *, now: dt.datetime | None = None) -> bool:
    """Try to send one message; returns True when it was delivered (now or before)."""
    now = now or timezone.now()
    if message.status == OutboxStatus.DELIVERED:
        return True
    if message.status != OutboxStatus.PENDING or message.next_attempt_at > now or _undelivered_before(message):
        return False
    claimed = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.PENDING, attempts=message.attempts, next_attempt_at__lte=now,
    ).update(attempts=message.attempts + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return False  # another worker has it
    message.attempts += 1
    try:
        confirmation = TRANSPORTS[message.transport](message)
    except MessageRefused as exc:
        _finish(message, status=OutboxStatus.FAILED, error=str(exc), confirmation=exc.confirmation)
        return False
    except TransportError as exc:
        if message.attempts >= max_attempts():
            _finish(message, status=OutboxStatus.FAILED, error=f"Gave up after {message.attempts} attempts: {exc}")
        else:
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
            message.last_error = str(exc)[:2000]
            message.save(update_fields=["next_attempt_at", "last_error"])
        logger.warning("outbox %s to %s: %s", message.pk, message.recipient_id, exc)
        return False
    _finish(message, status=OutboxStatus.DELIVERED, confirmation=confirmation)
    return True


def _finish(message: OutboxMessage, *, status: str, error: str = "", confirmation: dict | None = None) -> None:
    message.status = status
    message.last_error = error[:2000]
    message.confirmation = confirmation
    fields = ["status", "last_error", "confirmation"]
    if status == OutboxStatus.DELIVERED:
        message.delivered_at = timezone.now()
        fields.append("delivered_at")
    message.save(update_fields=fields)


def deliver_request(request_id: int) -> int:
    """Deliver the request's pending messages in order; stop at the first that cannot go now."""
    sent = 0
    for message in (OutboxMessage.objects.filter(request_id=request_id).exclude(status=OutboxStatus.DELIVERED)
                    .select_related("recipient", "sender").order_by("pk")):
        if not deliver(message):
            break
        sent += 1
    return sent


def deliver_due(*, limit: int = 500) -> int:
    """One pass over every request with a message due now (the periodic retry job)."""
    now = timezone.now()
    older_pending = OutboxMessage.objects.filter(
        request_id=OuterRef("request_id"), pk__lt=OuterRef("pk"),
    ).exclude(status=OutboxStatus.DELIVERED)
    heads = (OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
             .exclude(Exists(older_pending)).values_list("request_id", flat=True).order_by("next_attempt_at")[:limit])
    return sum(deliver_request(request_id) for request_id in list(heads))


def resend(message: OutboxMessage) -> OutboxMessage:
    """Staff's “send again”: a failed (or waiting) message goes back to the front of the queue."""
    if message.status != OutboxStatus.DELIVERED:
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="")
        message.refresh_from_db()
        from .tasks import deliver_request_outbox  # the task imports this module; it is only queued here

        transaction.on_commit(lambda: deliver_request_outbox.delay(message.request_id))
    return message


#: Transport name → function sending one message and returning the confirmation as JSON.
#: Filled by ``requests_app.partners.transports``; tests may replace entries.
TRANSPORTS: dict[str, Callable[[OutboxMessage], dict]] = {}
