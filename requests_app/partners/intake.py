"""Acknowledge, then apply: the ISO 18626 doors store a partner's message and a worker applies it.

``ILLMS_ISO18626_APPLY`` says how the doors (``/iso18626`` and its JSON twin) take a message in:

- ``by_worker`` (the production default): :func:`receive` answers everything the standard wants answered
  at once with an ERROR confirmation (below), stores the message ``pending`` in one short statement,
  answers OK, and leaves applying it to a Celery worker on the ``protocol`` queue
  (:func:`apply_pending`, task ``requests_app.tasks.apply_inbound_messages``);
- ``at_once``: the message is applied while the partner waits (``handler.handle``), as before.

**What is still answered at once.** A confirmation says the message was received and understood (its
``errorType`` names a message that is badly formed, an element or value we do not recognise, an action or
reason we do not support); it does not report what the request then does. Whatever can be told from the
message and what is stored, without applying it, is answered synchronously as before:

- a message that does not parse or validate (the hardened parser, the schema, closed code lists) and a
  confirmation sent as a message: ``BadlyFormedMessage`` / ``UnrecognisedData*`` (the endpoint);
- an unknown, inactive or unauthenticated sender, a throttled one (the endpoint: authentication);
- a ``request``: the requesting agency not the sender, a supplying agency that is none of our member
  libraries, a missing or over-long request id, a citation that does not validate (an identifier,
  a length, a choice), each as ``UnrecognisedDataValue``; a request id we already have from that partner is
  a resend, answered OK as before (and applying it creates nothing);
- a ``supplyingAgencyMessage`` / ``requestingAgencyMessage`` about a request we do not have (or not
  with that partner) — a request whose own ``request`` message is still waiting counts as had — and one
  the request's state refuses (the workflow's table: e.g. *Loaned* for a request nobody supplied), when no
  earlier message of the same transaction is still waiting (then the state it will be in is not known
  yet, and the message is checked when it is applied);
- a repeat (the same sender, kind, ids, timestamp and status or action: ``handler.fingerprint_of``) gets
  the confirmation the first delivery got, whether or not it has been applied yet.

What only applying can tell (a guard of the transition at that moment, a staff action in between) makes
the message ``failed`` with its error: the staff inbox lists it (``failed_messages``), staff apply it
again or deal with the partner themselves, and the transaction's later messages and every other
request's go on.

**Order.** A message belongs to a *thread*: the transaction it is about (our lending request for a
partner's request id, or our borrowing request). The worker takes only the oldest waiting message of each
thread (a later one waits while an earlier one is pending), so a transaction's messages apply in the
order they were stored. A message acknowledged before the next was sent was committed first, so it is
stored first; two messages of one transaction in flight at the same moment have no order between them
but the one their rows got.

**Claims.** A batch is claimed and applied in one transaction: on PostgreSQL the rows are locked
(``SELECT … FOR UPDATE SKIP LOCKED``), so workers running side by side take different messages; on SQLite
the transaction takes the database's one write lock when it begins (``transaction_mode=IMMEDIATE``), so
batches run one after the other. Each message is marked applied by a compare-and-set in the savepoint that
applied it, so a message is applied once even when two workers raced for it. A worker that dies mid-batch
takes its transaction with it: its rows are pending again, unlocked, and the next worker (or the
sweep every minute) applies them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ..iso18626 import messages as m
from ..iso18626.json_codec import from_json, kind_of, to_json
from ..iso18626.repairs import Repair
from ..models import EventSource, IllRequest, InboundMessage, InboundState, Library, PartnerApiKey, Role
from ..workflow import WorkflowError, registry
from . import handler
from .handler import Refusal, confirm, fingerprint_of, heard_of, same_agency
from .keys import record_use, record_uses
from .savepoint_retry import first_without_savepoint

logger = logging.getLogger(__name__)

AT_ONCE = "at_once"
BY_WORKER = "by_worker"
MODES = (AT_ONCE, BY_WORKER)

#: The most messages one claim takes (one transaction).
BATCH = 50


def mode() -> str:
    value = getattr(settings, "ILLMS_ISO18626_APPLY", BY_WORKER)
    return value if value in MODES else BY_WORKER


def applies_by_worker() -> bool:
    return mode() == BY_WORKER


def receive(message, *, sender: Library, source: str = EventSource.ISO18626, member: Library | None,
            repairs: Sequence[Repair] = (), api_key: PartnerApiKey | None = None) -> object:
    """Take ``message`` from ``sender`` in and return the confirmation to answer with.

    Applied at once (``handler.handle``) or checked, stored and left to the worker (``ILLMS_ISO18626_APPLY``).
    ``member`` is the member library it is addressed to, as the door found it with the sender (``None``: none).

    ``api_key`` is the key the sender authenticated with, whose last use is left to this function: a message
    stored for the worker keeps the key's prefix, and the worker writes the use with the batch that applies it
    (so taking a message in costs no commit of its own for it); otherwise the use is written now.
    """
    if not applies_by_worker():
        if api_key is not None:
            record_use(api_key)
        return handler.handle(message, sender=sender, source=source, member=member, repairs=repairs,
                              api_key_prefix=api_key.prefix if api_key is not None else "")
    stored, confirmation = _store(message, sender, source, member, repairs, api_key)
    if api_key is not None and not stored:  # refused, or a repeat: no row carries the use
        record_use(api_key)
    return confirmation


def _store(message, sender: Library, source: str, member: Library | None, repairs: Sequence[Repair],
           api_key: PartnerApiKey | None) -> tuple[bool, object]:
    """Check ``message`` and store it for the worker: ``(whether it was stored, the confirmation)``."""
    received = timezone.now()
    fingerprint = fingerprint_of(message, sender)
    try:
        request, thread, summary = _check(message, sender, member)
    except Refusal as refusal:
        previous = handler._answered_before(fingerprint)
        if previous is not None:
            return False, previous
        return False, confirm(message, received=received, errors=[m.ErrorData(error_type=refusal.error_type,
                                                                               error_value=refusal.value[:500])])
    confirmation = confirm(message, received=received)
    row = InboundMessage(
        sender=sender, fingerprint=fingerprint, kind=kind_of(message), summary=summary[:100], request=request,
        confirmation=to_json(confirmation), repairs=[repair.as_data() for repair in repairs], received_at=received,
        state=InboundState.PENDING, member=member, source=source, thread=thread, payload=to_json(message),
        api_key_prefix=api_key.prefix if api_key is not None else "")
    try:
        # One statement: in autocommit it is its own transaction (no BEGIN, no COMMIT to wait for); inside a
        # caller's transaction, a savepoint. A repeat fails on the fingerprint's unique index.
        inside = transaction.get_connection().in_atomic_block
        with transaction.atomic(savepoint=True) if inside else contextlib.nullcontext():
            row.save(force_insert=True)
    except IntegrityError:
        previous = handler._answered_before(fingerprint)
        if previous is None:
            raise
        return False, previous
    if _eager():  # tasks run at once (tests): apply now, in the caller's transaction if there is one
        kick()
    else:
        transaction.on_commit(kick)
    return True, confirmation


def _eager() -> bool:
    from .tasks import apply_inbound_messages  # the task imports this module; it is only queued here

    return bool(apply_inbound_messages.app.conf.task_always_eager)


# What is answered at once ----------------------------------------------------------------------

def thread_of(message, member: Library | None, sender: Library) -> str:
    """The transaction ``message`` is about, as the worker orders by: our lending or borrowing request's keys."""
    rid = (message.header.requesting_agency_request_id or "")[:120]
    member_id = member.pk if member is not None else 0
    if isinstance(message, m.SupplyingAgencyMessage):
        return f"{Role.BORROWING}:{member_id}:{rid}"
    return f"{Role.LENDING}:{member_id}:{sender.pk}:{rid}"


def _check(message, sender: Library, member: Library | None) -> tuple[IllRequest | None, str, str]:
    """What is answered at once (the module's docstring); returns the request, the thread and the summary."""
    thread = thread_of(message, member, sender)
    if isinstance(message, m.Request):
        _check_request(message, sender, member)
        return None, thread, "request"
    if isinstance(message, m.SupplyingAgencyMessage):
        request = handler._find_borrowing(message.header, sender, member)
        _check_state(request, heard_of(message), thread)
        return request, thread, f"{message.message_info.reason_for_message}/{message.status_info.status}"
    if isinstance(message, m.RequestingAgencyMessage):
        try:
            request = handler._find_lending(message.header, sender, member)
        except Refusal:
            if not _waiting(thread, kind=m.MessageKind.REQUEST):
                raise
            return None, thread, str(message.action)  # its request is still waiting to be applied
        _check_state(request, heard_of(message), thread)
        return request, thread, str(message.action)
    raise Refusal(m.ErrorType.UNRECOGNISED_DATA_ELEMENT, f"A {kind_of(message)} is not answered with a confirmation.")


def _check_request(message: m.Request, sender: Library, member: Library | None) -> None:
    header = message.header
    if not same_agency(header.requesting_agency_id, sender):
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "requestingAgencyId is not the sending library.")
    if member is None:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "supplyingAgencyId does not name a library served here.")
    if member.pk == sender.pk:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "A library cannot borrow from itself.")
    rid = (header.requesting_agency_request_id or "").strip()
    if not rid:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "The requesting library's request id is required.")
    if len(rid) > 64:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE,
                      "The requesting library's request id is longer than 64 characters.")
    # The citation is checked as creating the request will check it (its fields: identifiers, lengths,
    # choices), without writing anything.
    unsaved = IllRequest(role=Role.LENDING, library=member, partner=sender, status=registry.get(Role.LENDING).initial,
                         requesting_agency_request_id=rid, **handler.citation_of(message))
    try:
        unsaved.clean_fields(exclude=["library", "partner", "id"])
        unsaved.clean()
    except ValidationError as exc:
        # A resend is answered with the request received first, even when its citation would not validate.
        if IllRequest.objects.filter(role=Role.LENDING, library=member, partner=sender,
                                     requesting_agency_request_id=rid).exists() \
                or _waiting(thread_of(message, member, sender), kind=m.MessageKind.REQUEST):
            return
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, handler.invalid_values(exc)) from exc


def _check_state(request: IllRequest, heard, thread: str) -> None:
    """Refuse what the request's state refuses, when no earlier message of its thread waits to change it."""
    if _waiting(thread):
        return
    found = request.workflow.lookup(heard, request.status)
    if found.refusal:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, found.refusal)


def _waiting(thread: str, *, kind: str | None = None) -> bool:
    waiting = InboundMessage.objects.filter(state=InboundState.PENDING, thread=thread)
    if kind is not None:
        waiting = waiting.filter(kind=kind)
    return waiting.exists()


# Telling a worker ------------------------------------------------------------------------------

#: The worker's task starts this long after the message that queued it (a countdown) …
KICK_DELAY = 0.5
#: … so the messages this process stores until this long after queuing it are sure to be read by it
#: (the difference covers the worker's clock running a little ahead of ours).
KICK_WINDOW = 0.25
_kicks = threading.Lock()
_covered_until = 0.0


def kick() -> None:
    """After a message was stored: make sure a worker applies it soon.

    Publishing a Celery task costs about as much as storing the message, so messages a process stores close
    together share one task: the first queues it to start ``KICK_DELAY`` seconds later and those stored in
    the next ``KICK_WINDOW`` seconds queue nothing, since it cannot have started yet and will read them (it
    applies until nothing is waiting). With tasks run eagerly (tests, ``CELERY_TASK_ALWAYS_EAGER``) every
    message is applied here at once; with the broker out of reach, too. The sweep every minute applies
    whatever a lost task left.
    """
    global _covered_until
    from .tasks import apply_inbound_messages  # the task imports this module; it is only queued here

    if _eager():
        apply_inbound_messages.delay()
        return
    now = time.monotonic()
    with _kicks:
        if now < _covered_until:
            return
        _covered_until = now + KICK_WINDOW
    try:
        apply_inbound_messages.apply_async(countdown=KICK_DELAY, retry=False)
    except Exception:  # noqa: BLE001 - the broker is down: apply here, so nothing waits for the sweep
        logger.warning("Could not queue the ISO 18626 apply task; applying in this process.", exc_info=True)
        with _kicks:
            _covered_until = 0.0
        apply_pending()


# Applying ----------------------------------------------------------------------------------------

def claimable() -> QuerySet[InboundMessage]:
    """The waiting messages a worker may apply now: the oldest of each thread."""
    earlier = InboundMessage.objects.filter(state=InboundState.PENDING, thread=OuterRef("thread"),
                                            pk__lt=OuterRef("pk"))
    return InboundMessage.objects.filter(state=InboundState.PENDING).exclude(Exists(earlier)).order_by("pk")


def apply_batch(*, limit: int = BATCH) -> int:
    """Claim up to ``limit`` waiting messages and apply them, in one transaction; returns how many were taken."""
    with transaction.atomic():
        batch = list(claimable().select_for_update(skip_locked=True, of=("self",))
                     .select_related("sender", "member")[:limit])
        for row in batch:
            apply_one(row)
        record_uses(_key_uses(batch))
    return len(batch)


def _key_uses(batch: Sequence[InboundMessage]) -> dict[str, object]:
    """The last use of each key the batch's messages came with (``receive`` left it to the worker)."""
    uses: dict[str, object] = {}
    for row in batch:
        if row.api_key_prefix and (row.api_key_prefix not in uses or row.received_at > uses[row.api_key_prefix]):
            uses[row.api_key_prefix] = row.received_at
    return uses


def apply_pending(*, limit: int | None = None, seconds: float | None = None) -> int:
    """Apply batches until nothing is waiting (or ``limit`` messages, or ``seconds``); returns how many."""
    done, started = 0, time.monotonic()
    while limit is None or done < limit:
        taken = apply_batch(limit=BATCH if limit is None else min(BATCH, limit - done))
        done += taken
        if not taken or (seconds is not None and time.monotonic() - started > seconds):
            break
    return done


class _AppliedElsewhere(Exception):
    """Another worker marked the message applied first: this savepoint's work is rolled back."""


def apply_one(row: InboundMessage) -> str:
    """Apply one stored message (in the caller's transaction); returns its state afterwards."""
    try:
        message = from_json(row.payload)
        first_without_savepoint(lambda savepoint: _apply_in_savepoint(row, message, savepoint))
    except _AppliedElsewhere:
        return InboundState.APPLIED
    except (Refusal, ValidationError, WorkflowError) as exc:
        return _failed(row, _reason(exc))
    except DatabaseError as exc:
        if not transaction.get_connection().is_usable():
            raise  # the connection is gone: the batch is rolled back and taken again
        logger.exception("Applying inbound message %s failed", row.pk)
        return _failed(row, f"Database error: {exc}")
    except Exception as exc:
        logger.exception("Applying inbound message %s failed", row.pk)
        return _failed(row, f"Unexpected error: {exc}")
    return InboundState.APPLIED


def _apply_in_savepoint(row: InboundMessage, message, savepoint: bool) -> None:
    with transaction.atomic():
        member = row.member if row.member_id is not None else None
        request, summary = handler._apply(message, row.sender, row.source, member, list(row.repairs or []),
                                          savepoint=savepoint)
        marked = InboundMessage.objects.filter(pk=row.pk, state=InboundState.PENDING).update(
            state=InboundState.APPLIED, applied_at=timezone.now(), request=request, summary=summary[:100],
            payload=None, apply_error="")
        if not marked:
            raise _AppliedElsewhere


def _reason(exc: Exception) -> str:
    if isinstance(exc, Refusal):
        return exc.value
    if isinstance(exc, ValidationError):
        return handler.invalid_values(exc) if hasattr(exc, "error_dict") else "; ".join(exc.messages)
    return getattr(exc, "message", "") or str(exc)


def _failed(row: InboundMessage, reason: str) -> str:
    InboundMessage.objects.filter(pk=row.pk, state=InboundState.PENDING).update(
        state=InboundState.FAILED, applied_at=timezone.now(), apply_error=reason[:2000])
    return InboundState.FAILED


def apply_again(messages: QuerySet[InboundMessage]) -> int:
    """Staff's *apply again*: failed messages wait for the worker once more (after the commit it is told)."""
    changed = messages.filter(state=InboundState.FAILED).update(state=InboundState.PENDING, apply_error="",
                                                                applied_at=None)
    if changed:
        transaction.on_commit(kick)
    return changed
