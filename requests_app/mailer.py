"""Outgoing e-mail: rows written with the change that decided them, sent one a claim.

``write`` and ``write_many`` run inside the caller's transaction, so an e-mail exists if and
only if its change committed; after commit a task per row (``requests_app.tasks.send_email``)
hands it to the mail server. The hand-over is claimed with a compare-and-set (pending →
sending, ``claimed_at``), so two workers never send one e-mail. The row records the moment the
server accepted it (``handed_over_at``, status sent); a worker that dies between the claim and
that record leaves the row in sending, and the sweep (``sweep``, every minute) gives it back
after the lease: that one e-mail may go twice (with the same Message-ID), none is lost.

A failed hand-over (the server refused or did not answer) leaves the row pending with the
attempt counted and the next one after a back-off; after ``ILLMS_EMAIL_MAX_ATTEMPTS`` it is
failed and listed for staff in the admin, who may send it again.

An attachment is named by kind and id (``invoice-pdf`` and the invoice's id); the app that owns
it registers a loader (``register_attachment``) that returns the file, or ``None`` while it does
not exist yet: the e-mail then waits (its producer queues it once the file is stored, the sweep
otherwise).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import EmailStatus, IllRequest, Library, OutgoingEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class AttachmentSource:
    """How an app supplies one kind of attachment, and hears that its e-mail went."""

    kind: str
    #: ``load(id) -> Attachment | list[Attachment] | None``: ``None`` while the file does not exist yet; a list
    #: attaches several files (a purchase order's MARC record and CSV).
    load: Callable[[int], Attachment | list[Attachment] | None]
    #: ``handed_over(id, when)``: called in the transaction that marks the e-mail sent.
    handed_over: Callable[[int, dt.datetime], None] | None = None


_sources: dict[str, AttachmentSource] = {}


def register_attachment(source: AttachmentSource) -> None:
    """Let e-mails name attachments of ``source.kind`` (called from an app's ``ready``; idempotent)."""
    _sources[source.kind] = source


def max_attempts() -> int:
    return int(settings.ILLMS_EMAIL_MAX_ATTEMPTS)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: the base, doubled each time, capped at six hours."""
    base = float(settings.ILLMS_EMAIL_BACKOFF_SECONDS)
    return dt.timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), 6 * 3600))


def lease() -> dt.timedelta:
    """How long a claimed hand-over holds its row before the sweep gives it back."""
    return dt.timedelta(seconds=int(settings.ILLMS_EMAIL_LEASE_SECONDS))


#: A new e-mail still pending this long after it was due lost its task (the one queued on commit
#: had time to run, even behind a night's reminders): the sweep queues it again. Retries are queued
#: by the sweep as soon as their back-off is over.
LOST_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Draft:
    """An e-mail decided but not yet written: what ``write_many`` stores."""

    library: Library
    kind: str
    key: str
    to: str
    subject: str
    text: str
    html: str = ""
    reply_to: str = ""
    request: IllRequest | None = None
    attachment_kind: str = ""
    attachment_id: int | None = None

    def row(self, now: dt.datetime) -> OutgoingEmail:
        return OutgoingEmail(
            library=self.library, request=self.request, kind=self.kind, key=self.key[:200], recipient=self.to,
            reply_to=self.reply_to or "", subject=" ".join(self.subject.split()), body_text=self.text,
            body_html=self.html or "", attachment_kind=self.attachment_kind, attachment_id=self.attachment_id,
            next_attempt_at=now, created_at=now)


def write(draft: Draft) -> OutgoingEmail:
    """Write one e-mail in the current transaction and queue its hand-over after commit.

    Raises ``IntegrityError`` when an e-mail with the same key exists (the caller decides twice).
    """
    [row] = write_many([draft])
    return row


def write_many(drafts: Iterable[Draft]) -> list[OutgoingEmail]:
    """Write the e-mails in one statement in the current transaction; one task each after commit."""
    now = timezone.now()
    rows = OutgoingEmail.objects.bulk_create([draft.row(now) for draft in drafts])
    if rows:
        queue_after_commit([row.pk for row in rows])
    return rows


def write_once(draft: Draft) -> OutgoingEmail | None:
    """Write the e-mail unless one with its key exists (a sweep catching up); ``None`` then.

    Two sweeps racing for the same key: the unique key lets one write it, the other gets ``None``.
    """
    if OutgoingEmail.objects.filter(key=draft.key).exists():
        return None
    try:
        with transaction.atomic():
            return write(draft)
    except IntegrityError:
        if OutgoingEmail.objects.filter(key=draft.key).exists():
            return None
        raise


def queue_after_commit(ids: list[int]) -> None:
    from .tasks import send_email  # the task imports this module; it is only queued here

    def publish() -> None:
        for pk in ids:
            send_email.delay(pk)

    transaction.on_commit(publish)


def send(email_id: int, *, now: dt.datetime | None = None) -> bool:
    """Hand e-mail ``email_id`` to the mail server if it is due; returns whether it went now.

    Does nothing for an e-mail already sent, claimed by another worker, failed, not due yet, or
    whose attachment does not exist yet.
    """
    now = now or timezone.now()
    email = OutgoingEmail.objects.filter(pk=email_id).first()
    if email is None or email.status != EmailStatus.PENDING or email.next_attempt_at > now:
        return False
    attachment = None
    if email.attachment_kind:
        attachment = _load_attachment(email)
        if attachment is None:
            return False
    claimed = OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.PENDING, attempts=email.attempts).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False  # another worker has it
    email.attempts += 1
    try:
        _message(email, attachment).send()
    except Exception as exc:  # noqa: BLE001 - any failure of the hand-over is retried, then listed for staff
        _attempt_failed(email, exc)
        return False
    _handed_over(email)
    return True


def _load_attachment(email: OutgoingEmail) -> Attachment | list[Attachment] | None:
    source = _sources.get(email.attachment_kind)
    if source is None or email.attachment_id is None:
        raise LookupError(f"No attachment source {email.attachment_kind!r} is registered (e-mail {email.pk}).")
    return source.load(email.attachment_id)


def message_id(email: OutgoingEmail) -> str:
    """The same Message-ID for every hand-over of one e-mail, so a repeat after a lost answer can be told apart."""
    return f"<illms.{email.pk}.{int(email.created_at.timestamp())}@{DNS_NAME}>"


def _message(email: OutgoingEmail, attachment: Attachment | list[Attachment] | None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=email.subject, body=email.body_text, to=[email.recipient],
                                     reply_to=[email.reply_to] if email.reply_to else None,
                                     headers={"Message-ID": message_id(email)})
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for one in ([] if attachment is None else attachment if isinstance(attachment, list) else [attachment]):
        message.attach(one.filename, one.content, one.mimetype)
    return message


def _handed_over(email: OutgoingEmail) -> None:
    when = timezone.now()
    with transaction.atomic():
        OutgoingEmail.objects.filter(pk=email.pk).exclude(status=EmailStatus.SENT).update(
            status=EmailStatus.SENT, handed_over_at=when, last_error="")
        source = _sources.get(email.attachment_kind) if email.attachment_kind else None
        if source is not None and source.handed_over is not None and email.attachment_id is not None:
            source.handed_over(email.attachment_id, when)


def _attempt_failed(email: OutgoingEmail, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    still_ours = OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING, attempts=email.attempts)
    if email.attempts >= max_attempts():
        still_ours.update(status=EmailStatus.FAILED, last_error=f"Gave up after {email.attempts} attempts: {error}")
        logger.error("e-mail %s to %s failed for good: %s", email.pk, email.recipient, error)
    else:
        still_ours.update(status=EmailStatus.PENDING, next_attempt_at=timezone.now() + backoff(email.attempts),
                          last_error=error)
        logger.warning("e-mail %s to %s not handed over (attempt %s): %s", email.pk, email.recipient,
                       email.attempts, error)


def sweep(*, now: dt.datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """The periodic catch-up: give back hand-overs stuck past the lease, queue what is due.

    A row in sending whose claim is older than the lease (its worker died) is pending again, or
    failed when it has used its attempts. A retry (a pending row with attempts) is queued once its
    back-off is over; a new row still pending ``LOST_AFTER`` after it was due lost its task and is
    queued again. Returns the counts.
    """
    now = now or timezone.now()
    stuck = OutgoingEmail.objects.filter(status=EmailStatus.SENDING, claimed_at__lt=now - lease())
    given_up = stuck.filter(attempts__gte=max_attempts()).update(
        status=EmailStatus.FAILED, last_error="Gave up: the worker handing it over stopped before the mail "
                                              "server answered, on every attempt.")
    again = list(stuck.order_by("claimed_at").values_list("pk", flat=True)[:limit])
    released = stuck.filter(pk__in=again).update(
        status=EmailStatus.PENDING, next_attempt_at=now,
        last_error="The worker handing it over stopped before the mail server answered.")
    pending = OutgoingEmail.objects.filter(status=EmailStatus.PENDING).exclude(pk__in=again)
    due = (pending.filter(attempts__gt=0, next_attempt_at__lte=now)
           | pending.filter(attempts=0, next_attempt_at__lte=now - LOST_AFTER))
    due = again + list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    from .tasks import send_email  # the task imports this module; it is only queued here

    for pk in due:
        send_email.delay(pk)
    return {"released": released, "failed": given_up, "queued": len(due)}


def send_again(email: OutgoingEmail) -> bool:
    """Staff's “send again” for a failed e-mail: pending, attempts from zero, queued after commit."""
    changed = OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED).update(
        status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None)
    if changed:
        queue_after_commit([email.pk])
    return bool(changed)
