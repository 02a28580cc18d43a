"""NCIP calls that follow workflow changes: decided in the change's transaction, sent after it by claim.

A side's workflow names, on the transitions that concern the ILS, a hook from :func:`hook` (``receive`` →
AcceptItem, ``check_out`` → CheckOutItem, …). The hook writes an :class:`~requests_app.models.NcipCall` with
the arguments the message will carry, in the same transaction as the change, when the library's NCIP
connection is on for that side; the call is sent after commit by a task, in order per request (a call waits
while an older call of its request is unfinished), claimed by compare-and-set so two workers never send it
twice. An ILS that does not answer is tried again with the outbox's back-off; one that answers with a
Problem, or the end of the retries, leaves the call ``failed``, listed for staff, who retry or skip it. A
call never stops the desk: the request's own change has committed already.

A service the ILS's profile does not offer is written as ``not_offered`` (and shown), never sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from ..models import (
    NCIP_FINISHED,
    NCIP_NOT_HOLDING,
    IllRequest,
    NcipCall,
    NcipCallStatus,
    NcipConnection,
    Role,
    ServiceType,
)
from ..policies import policy_for
from ..utilities.credentials import CredentialError
from ..workflow import registry
from .client import Exchange, NcipClient
from .connections import client_for
from .errors import InvalidMessage, NcipProblem, NcipUnavailable, UnsupportedService
from .patrons import user_id_of
from .profiles import RecallBy, Service

logger = logging.getLogger(__name__)

#: How long a claimed attempt holds its call before another worker may try it.
LEASE = dt.timedelta(minutes=5)
#: The most of each message kept on the call, for the request's page.
KEPT_XML = 20_000

S = Service


def max_attempts() -> int:
    """As the partner outbox: ``ILLMS_OUTBOX_MAX_ATTEMPTS``."""
    return int(getattr(settings, "ILLMS_OUTBOX_MAX_ATTEMPTS", 12))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``, as the partner outbox: 30 s, 1 min, 2 min, … capped at one hour."""
    base = float(getattr(settings, "ILLMS_OUTBOX_BACKOFF_SECONDS", 30))
    return dt.timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), 3600))


# --------------------------------------------------------------------------------------
# What each call carries
# --------------------------------------------------------------------------------------


def patron_user_id(connection: NcipConnection, request: IllRequest) -> str:
    """The patron's id as the ILS knows them (its profile says which of ours)."""
    profile = getattr(request.patron, "patron_profile", None) if request.patron_id else None
    return user_id_of(connection, profile) if profile is not None else ""


def item_barcode(connection: NcipConnection, request: IllRequest) -> str:
    """The temporary item's barcode: the request's own (B123), prefixed as the profile says."""
    return connection.profile.item_barcode(request.number)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def patron_due_date(request: IllRequest) -> dt.date | None:
    """The lender's due date less the library's buffer (the patron's date when it is set)."""
    if request.patron_due_date:
        return request.patron_due_date
    if request.due_date:
        return request.due_date - dt.timedelta(days=policy_for(request.library).due_date_buffer_days)
    return None


def borrowing_arguments(service: str, connection: NcipConnection, request: IllRequest) -> dict:
    barcode = item_barcode(connection, request)
    user_id = patron_user_id(connection, request)
    if service == S.ACCEPT_ITEM:
        return {"request_id": request.number, "barcode": barcode, "user_id": user_id, "title": request.title,
                "author": request.author, "due_date": _date(patron_due_date(request)),
                "pickup_location": connection.pickup_code(request.pickup_location)}
    if service in (S.CHECK_OUT_ITEM, S.RENEW_ITEM):
        return {"barcode": barcode, "user_id": user_id, "due_date": _date(patron_due_date(request)),
                "request_id": request.number}
    return {"barcode": barcode}


def lending_arguments(service: str, connection: NcipConnection, request: IllRequest, barcode: str,
                      isbn: str) -> dict:
    user_id = connection.lending_user_for(request.partner) if request.partner_id else ""
    if service == S.REQUEST_ITEM:
        return {"user_id": user_id, "request_id": request.number, "barcode": barcode, "isbn": isbn,
                "pickup_location": connection.lending_pickup_code, "need_before": _date(request.need_by)}
    if service == S.CHECK_OUT_ITEM:
        return {"user_id": user_id, "barcode": barcode, "due_date": _date(request.due_date),
                "request_id": request.number}
    if service == S.CANCEL_REQUEST_ITEM:
        return {"user_id": user_id, "request_id": request.number, "barcode": barcode}
    return {"barcode": barcode}


# --------------------------------------------------------------------------------------
# Deciding calls (inside the workflow's transaction)
# --------------------------------------------------------------------------------------


def _side_on(connection: NcipConnection, role: str) -> bool:
    return connection.borrowing if role == Role.BORROWING else connection.lending


def queue(*, request: IllRequest, service: str, arguments: dict, connection: NcipConnection,
          reason: str = "") -> NcipCall:
    """Write the call in the current transaction; send it after commit (unless the ILS does not offer it)."""
    if not connection.profile.offers(service):
        return NcipCall.objects.create(
            request=request, library=request.library, service=service, arguments=arguments,
            status=NcipCallStatus.NOT_OFFERED, finished_at=timezone.now(),
            answer=reason or f"{connection.profile.label} does not offer {service}: nothing was sent.")
    call = NcipCall.objects.create(request=request, library=request.library, service=service, arguments=arguments)
    from .tasks import send_request_ncip_calls  # the task imports this module; it is only queued here

    transaction.on_commit(lambda: send_request_ncip_calls.delay(request.pk))
    return call


def _item_created(request: IllRequest) -> bool:
    """An AcceptItem (or a RequestItem on the lending side) was decided for the request and not skipped."""
    first = S.ACCEPT_ITEM if request.role == Role.BORROWING else S.REQUEST_ITEM
    return NcipCall.objects.filter(request=request, service=first).exclude(
        status__in=(NcipCallStatus.SKIPPED, NcipCallStatus.NOT_OFFERED)).exists()


Hook = Callable[[IllRequest, object], None]

#: What each call does, in the staff help's words (a hook's docstring is its line in /help/).
HELP = {
    S.ACCEPT_ITEM: "The library's ILS creates the temporary item, on hold for the patron with our due date",
    S.CHECK_OUT_ITEM: "The item is checked out in the library's ILS",
    S.RENEW_ITEM: "The new due date goes to the library's ILS, when the renewal was granted",
    S.CHECK_IN_ITEM: "The item is checked in in the library's ILS",
    S.DELETE_ITEM: "The temporary item is deleted from the library's ILS",
    S.REQUEST_ITEM: "Our copy is put on hold in our ILS for pulling",
    S.CANCEL_REQUEST_ITEM: "The hold on our copy is lifted in our ILS",
    S.RECALL_ITEM: "The recall's earlier due date goes to the library's ILS (RecallItem, a RenewItem with the date, "
                   "or a to-do for its desk)",
}


def sources_of(role: str, action: str) -> list[str]:
    """The states ``action`` of ``role``'s workflow starts from, sorted (none when the workflow has no such action):
    ``check_out``'s are a loan waiting at the pickup desk."""
    transition = registry.get(role).transitions.get(action)
    return sorted(transition.sources) if transition is not None else []


def _by_hand(request: IllRequest, service: str, arguments: dict, words: str) -> NcipCall:
    """A to-do at the ILS's desk, listed for staff, holding back no later call."""
    return NcipCall.objects.create(request=request, library=request.library, service=service, arguments=arguments,
                                   status=NcipCallStatus.BY_HAND, answer=words[:300], last_error=words[:2000])


def recall(connection: NcipConnection, request: IllRequest, event) -> NcipCall | None:
    """The lender recalled: the patron's earlier due date (already set by the transition) to the ILS.

    A loan the ILS has out gets RecallItem where the profile offers it, else a RenewItem with the date where
    the ILS takes DesiredDateDue at renewal (Koha, Symphony), else a to-do for the ILS's desk. An item still
    waiting at the pickup desk needs nothing: a recalled item is no longer checked out to the patron, it goes
    back, and its check-in ends the temporary item as usual.
    """
    due = patron_due_date(request)
    if due is None:
        return None
    if getattr(event, "from_status", "") in sources_of(request.role, "check_out"):
        return None  # waiting at the pickup desk: no loan in the ILS to shorten
    profile = connection.profile
    barcode = item_barcode(connection, request)
    arguments = {"barcode": barcode, "due_date": due.isoformat(), "recall": True}
    if profile.recall_by == RecallBy.RECALL_ITEM:
        return queue(request=request, service=S.RECALL_ITEM, arguments=arguments, connection=connection)
    if profile.recall_by == RecallBy.RENEW_ITEM:
        return queue(request=request, service=S.RENEW_ITEM, connection=connection,
                     arguments={**borrowing_arguments(S.RENEW_ITEM, connection, request), "recall": True})
    return _by_hand(request, S.RECALL_ITEM, arguments,
                    f"Recalled: {profile.label} cannot take an earlier due date over NCIP. Change the due date of "
                    f"{barcode} to {due.isoformat()} at its desk, then mark this done.")


def hook(service: str, *, when: Callable[[IllRequest, object], bool] | None = None,
         item: Callable[[IllRequest], tuple[str, str]] | None = None) -> Hook:
    """A ``with_event`` hook of a transition that decides ``service`` for the library's ILS.

    ``when(request, event)`` may narrow it (a renewal: only when granted). ``item(request)`` gives the lending
    side's ``(barcode, isbn)`` of our own copy. Every service but the first (AcceptItem, RequestItem) is
    decided only when the first was: a request that never reached the ILS has nothing there to change.
    """

    def decide(request: IllRequest, event) -> None:
        if when is not None and not when(request, event):
            return
        if (getattr(event, "data", None) or {}).get("from_ils"):
            return  # the ILS told us of this change (its desk did it): nothing to tell it back
        connection = NcipConnection.objects.filter(library_id=request.library_id).first()
        if connection is None or not connection.ready or not _side_on(connection, request.role):
            return
        if request.role == Role.BORROWING:
            if request.service_type == ServiceType.COPY or not request.patron_id:
                return
            if service == S.CHECK_OUT_ITEM and connection.ils_checks_out:
                return
            if service == S.DELETE_ITEM and not connection.profile.deletes_temporary_item:
                return
            if service != S.ACCEPT_ITEM and not _item_created(request):
                return
            if service == S.RECALL_ITEM:
                recall(connection, request, event)
                return
            arguments = borrowing_arguments(service, connection, request)
        else:
            if service != S.REQUEST_ITEM and not _item_created(request):
                return
            barcode, isbn = item(request) if item is not None else ("", "")
            arguments = lending_arguments(service, connection, request, barcode, isbn)
            if service in (S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM) and not barcode:
                NcipCall.objects.create(
                    request=request, library=request.library, service=service, arguments=arguments,
                    status=NcipCallStatus.SKIPPED, finished_at=timezone.now(),
                    answer="No barcode of our copy is known (the holdings have none): do it at the ILS's desk.")
                return
        queue(request=request, service=service, arguments=arguments, connection=connection)

    decide.__name__ = f"ncip_{service}"
    decide.__doc__ = f"{HELP.get(service, f'The ILS is sent {service}')} (NCIP {service}, when NCIP is on)."
    return decide


def renewal_granted(request: IllRequest, event) -> bool:
    """The lender's renewal answer was yes (the event keeps the answer as sent: Y, true …)."""
    answer = (getattr(event, "data", None) or {}).get("answer")
    if isinstance(answer, bool):
        return answer
    return str(answer).strip().upper() in {"Y", "YES", "TRUE", "1"}


# --------------------------------------------------------------------------------------
# Sending (after commit, by claim)
# --------------------------------------------------------------------------------------


def _parse_date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _when(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value else ""


def perform(call: NcipCall, client: NcipClient) -> str:
    """Send one call; the ILS's answer in words. Raises the client's errors."""
    a = call.arguments
    profile = client.profile
    if call.service == S.ACCEPT_ITEM:
        answer = client.accept_item(request_id=a["request_id"], barcode=a["barcode"], user_id=a["user_id"],
                                    title=a.get("title", ""), author=a.get("author", ""),
                                    due_date=_parse_date(a.get("due_date")),
                                    pickup_location=a.get("pickup_location", ""))
        words = f"temporary item created in the ILS as {answer.item_id or a['barcode']}"
        if a.get("due_date") and profile.due_date_in_accept_item():
            words += f", due {a['due_date']}"
        elif not profile.due_date_in_check_out():
            words += "; its due date is set by the ILS's loan policy"
        return words
    if call.service == S.CHECK_OUT_ITEM:
        answer = client.check_out_item(user_id=a["user_id"], barcode=a["barcode"],
                                       due_date=_parse_date(a.get("due_date")), request_id=a.get("request_id", ""))
        return f"checked out in the ILS to {answer.user_id or a['user_id']}" + (
            f", due {_when(answer.date_due)}" if answer.date_due else "")
    if call.service == S.RENEW_ITEM:
        answer = client.renew_item(user_id=a["user_id"], barcode=a["barcode"], due_date=_parse_date(a.get("due_date")))
        if answer.pending:
            return "renewal pending in the ILS"
        if a.get("recall"):
            return ("recall: due date set in the ILS by a renewal" +
                    (f", due {_when(answer.date_due)}" if answer.date_due else "") + " (the ILS counts a renewal)")
        return "renewed in the ILS" + (f", due {_when(answer.date_due)}" if answer.date_due else "")
    if call.service == S.RECALL_ITEM:
        answer = client.recall_item(barcode=a["barcode"], due_date=dt.date.fromisoformat(a["due_date"]))
        return "recalled in the ILS" + (f", due {_when(answer.date_due)}" if answer.date_due else
                                        f", due {a['due_date']}")
    if call.service == S.CHECK_IN_ITEM:
        client.check_in_item(barcode=a["barcode"])
        return f"checked in in the ILS ({a['barcode']})"
    if call.service == S.DELETE_ITEM:
        client.delete_item(barcode=a["barcode"])
        return f"temporary item {a['barcode']} deleted from the ILS"
    if call.service == S.REQUEST_ITEM:
        answer = client.request_item(user_id=a["user_id"], request_id=a["request_id"], barcode=a.get("barcode", ""),
                                     isbn=a.get("isbn", ""), pickup_location=a.get("pickup_location", ""),
                                     need_before=_parse_date(a.get("need_before")))
        return f"hold placed in the ILS for {a['user_id']}" + (f" on {a['barcode']}" if a.get("barcode") else "") + (
            f" (request {answer.request_id})" if answer.request_id else "")
    if call.service == S.CANCEL_REQUEST_ITEM:
        client.cancel_request_item(user_id=a["user_id"], request_id=a["request_id"], barcode=a.get("barcode", ""))
        return "hold cancelled in the ILS"
    if call.service == S.LOOKUP_USER:
        answer = client.lookup_user(a["user_id"])
        user = answer.user
        blocked = user.block_reason() if user else ""
        expired = user.expired_on(timezone.localdate()) if user else None
        if blocked:
            raise NcipProblem([_problem("User Blocked", blocked)], service=call.service)
        if expired:
            raise NcipProblem([_problem("User Expired", f"expired on {expired.isoformat()}")], service=call.service)
        return f"the ILS knows the patron ({user.category or 'no category'}): may borrow"
    raise InvalidMessage(f"no way to send {call.service}")


def _problem(kind: str, detail: str):
    from .errors import Problem

    return Problem(type=kind, detail=detail)


def _undelivered_before(call: NcipCall) -> bool:
    return NcipCall.objects.filter(request_id=call.request_id, pk__lt=call.pk).exclude(
        status__in=NCIP_NOT_HOLDING).exists()


def send(call: NcipCall, *, now: dt.datetime | None = None) -> bool:
    """Try one call; True when it is finished (now or before)."""
    now = now or timezone.now()
    if call.is_finished:
        return True
    if call.status != NcipCallStatus.PENDING or call.next_attempt_at > now or _undelivered_before(call):
        return False
    claimed = NcipCall.objects.filter(pk=call.pk, status=NcipCallStatus.PENDING, attempts=call.attempts,
                                      next_attempt_at__lte=now).update(attempts=call.attempts + 1,
                                                                       next_attempt_at=now + LEASE)
    if not claimed:
        return False  # another worker has it
    call.attempts += 1
    exchanges: list[Exchange] = []
    connection = NcipConnection.objects.filter(library_id=call.library_id).first()
    try:
        if connection is None or not connection.ready:
            raise NcipUnavailable("NCIP is switched off or incomplete for this library (Policies → ILS)")
        client = client_for(connection, on_exchange=lambda exchange: exchanges.append(
            _redacted(exchange, client.endpoint.secret)))
        words = perform(call, client)
    except UnsupportedService as exc:
        _finish(call, NcipCallStatus.NOT_OFFERED, answer=str(exc), exchanges=exchanges)
        return True
    except NcipProblem as exc:
        _finish(call, NcipCallStatus.FAILED, answer=f"the ILS refused: {exc}", problem=exc.problem.type,
                exchanges=exchanges)
        return False
    except (InvalidMessage, CredentialError) as exc:
        _finish(call, NcipCallStatus.FAILED, answer=str(exc), exchanges=exchanges)
        return False
    except NcipUnavailable as exc:
        _keep(call, exchanges)
        if call.attempts >= max_attempts():
            _finish(call, NcipCallStatus.FAILED, answer=f"gave up after {call.attempts} attempts: {exc}",
                    exchanges=exchanges)
        else:
            call.next_attempt_at = timezone.now() + backoff(call.attempts)
            call.last_error = str(exc)[:2000]
            call.save(update_fields=["next_attempt_at", "last_error", "sent_xml", "received_xml"])
        logger.warning("NCIP %s for request %s: %s", call.service, call.request_id, exc)
        return False
    _finish(call, NcipCallStatus.DONE, answer=words, exchanges=exchanges)
    return True


def _redacted(exchange: Exchange, secret: str) -> Exchange:
    """The exchange with the secret (FromAgencyAuthentication travels in the message) blanked out."""
    if not secret:
        return exchange
    hidden = secret.encode()
    return Exchange(service=exchange.service, sent=exchange.sent.replace(hidden, b"[secret]"),
                    received=exchange.received.replace(hidden, b"[secret]"))


def _keep(call: NcipCall, exchanges: list[Exchange]) -> None:
    if exchanges:
        call.sent_xml = exchanges[-1].sent.decode("utf-8", "replace")[:KEPT_XML]
        call.received_xml = exchanges[-1].received.decode("utf-8", "replace")[:KEPT_XML]


def _finish(call: NcipCall, status: str, *, answer: str, problem: str = "", exchanges: list[Exchange]) -> None:
    _keep(call, exchanges)
    call.status = status
    call.answer = answer[:300]
    call.problem_type = problem[:100]
    call.last_error = "" if status == NcipCallStatus.DONE else answer[:2000]
    call.finished_at = timezone.now() if status in NCIP_FINISHED else None
    call.save(update_fields=["status", "answer", "problem_type", "last_error", "finished_at", "sent_xml",
                             "received_xml"])


def send_request(request_id: int) -> int:
    """Send the request's unfinished calls in order; stop at the first that cannot go now."""
    sent = 0
    for call in NcipCall.objects.filter(request_id=request_id).exclude(status__in=NCIP_NOT_HOLDING).order_by("pk"):
        if not send(call):
            break
        sent += 1
    return sent


def send_due(*, limit: int = 500) -> int:
    """One pass over every request with a call due now (the periodic retry job)."""
    now = timezone.now()
    older_open = NcipCall.objects.filter(request_id=OuterRef("request_id"), pk__lt=OuterRef("pk")).exclude(
        status__in=NCIP_NOT_HOLDING)
    heads = (NcipCall.objects.filter(status=NcipCallStatus.PENDING, next_attempt_at__lte=now)
             .exclude(Exists(older_open)).values_list("request_id", flat=True).order_by("next_attempt_at")[:limit])
    return sum(send_request(request_id) for request_id in list(dict.fromkeys(heads)))


# --------------------------------------------------------------------------------------
# Staff: retry or skip
# --------------------------------------------------------------------------------------


class CallNotChanged(Exception):
    """The call is finished already: nothing to retry or skip."""


def retry(*, call: NcipCall, actor) -> NcipCall:
    """Send a failed (or waiting) call again now; the later calls of its request follow it."""
    with transaction.atomic():
        locked = NcipCall.objects.select_for_update().get(pk=call.pk)
        if locked.is_finished:
            raise CallNotChanged(gettext("The %(service)s call is finished already.") % {"service": locked.service})
        if locked.by_hand:
            raise CallNotChanged(gettext("The %(service)s call cannot be sent: do it at the ILS's desk, then Skip it.")
                                 % {"service": locked.service})
        NcipCall.objects.filter(pk=locked.pk).update(status=NcipCallStatus.PENDING, attempts=0,
                                                     next_attempt_at=timezone.now(), last_error="")
        from .tasks import send_request_ncip_calls

        transaction.on_commit(lambda: send_request_ncip_calls.delay(locked.request_id))
    call.refresh_from_db()
    return call


def skip(*, call: NcipCall, actor) -> NcipCall:
    """Give up on a call (staff did it at the ILS's own desk, or it does not matter): the next calls go on. A to-do
    at the ILS's desk is marked done the same way."""
    with transaction.atomic():
        locked = NcipCall.objects.select_for_update().get(pk=call.pk)
        if locked.is_finished:
            raise CallNotChanged(gettext("The %(service)s call is finished already.") % {"service": locked.service})
        # Worded in the language of the staff member who skipped it, as the desk's other notes are.
        who = actor.get_username() if getattr(actor, "pk", None) else ""
        if locked.by_hand:
            done = (gettext("done at the ILS's desk by %(user)s: %(answer)s") if who else
                    gettext("done at the ILS's desk: %(answer)s"))
        else:
            done = gettext("skipped by %(user)s") if who else pgettext("an NCIP call's answer", "skipped")
        locked.answer = (done % {"user": who, "answer": locked.answer})[:300]
        locked.status = NcipCallStatus.SKIPPED
        locked.finished_at = timezone.now()
        locked.finished_by = actor if getattr(actor, "pk", None) else None
        locked.save(update_fields=["status", "finished_at", "finished_by", "answer"])
        from .tasks import send_request_ncip_calls

        transaction.on_commit(lambda: send_request_ncip_calls.delay(locked.request_id))
    return locked
