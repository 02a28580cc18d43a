"""Learning of the circulation desk's work in the ILS: “the desk checks borrowed items out in the ILS”.

With that option on a connection, ILLMS sends no CheckOutItem: the circulation desk checks the temporary
item out in the ILS, as it does its own books. A periodic job (:func:`learn_from_ils`, every few minutes)
asks the ILS about the temporary items of the loans waiting at the pickup desk, with ``LookupItem`` (or
``LookupItemSet``, many at once, where the profile offers it), and moves a request whose item the ILS has
on loan to *checked out*, with the ILS's due date as the patron's and the ILS's borrower on its record. A
loan learnt so is watched the same way until the ILS has the item back, and is then *checked in* (returned
by the patron): the desk never records the loan twice.

The job is safe to run twice and from two workers at once: each change is claimed by compare-and-set on the
request's state (``services.claim``), and the ILS is only told nothing (a change the ILS itself reported
is never sent back to it). Reading is batched: one query for the connections, one for the requests of all
of them, then the ILS; a request's row is written only when it changes.

A profile without LookupItem (Alma, FOLIO, Sierra, Polaris) cannot be asked: the desk records the check-out
in ILLMS too (docs/ncip.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .. import services
from ..models import IllRequest, NcipCall, NcipCallStatus, NcipConnection, Role, ServiceType
from ..utilities.credentials import CredentialError
from ..workflow import Actor
from .calls import item_barcode, patron_due_date, patron_user_id, sources_of
from .codec import ItemRecord
from .connections import client_for
from .errors import NcipError, NcipProblem
from .profiles import Service

logger = logging.getLogger(__name__)

#: The workflow actions learnt from the ILS (the borrowing side's, looked up in its workflow by name).
CHECK_OUT, CHECK_IN = "check_out", "check_in"
#: The most requests one pass asks about (the rest wait for the next pass).
BATCH = 500
#: The name the learnt changes are made under (the request's history shows it).
ACTOR_NAME = "the library's ILS (NCIP)"


@dataclass(frozen=True)
class Learnt:
    request_id: int
    action: str
    words: str


def learn_from_ils(*, limit: int = BATCH) -> list[Learnt]:
    """One pass over every library whose desk checks out in the ILS; what was learnt."""
    connections = {connection.library_id: connection for connection in
                   NcipConnection.objects.filter(enabled=True, borrowing=True, ils_checks_out=True)
                   if connection.ready and connection.profile.learns_circulation}
    if not connections:
        return []
    waiting = sources_of(Role.BORROWING, CHECK_OUT)
    out = [status for status in sources_of(Role.BORROWING, CHECK_IN) if status not in waiting]
    accepted = NcipCall.objects.filter(request_id=OuterRef("pk"), service=Service.ACCEPT_ITEM,
                                       status=NcipCallStatus.DONE)
    learnt_out = NcipCall.objects.filter(request_id=OuterRef("pk"), service=Service.LOOKUP_ITEM,
                                         arguments__learnt=CHECK_OUT)
    requests = list(
        IllRequest.objects.filter(library_id__in=connections, role=Role.BORROWING, patron__isnull=False)
        .exclude(service_type=ServiceType.COPY)
        .filter(Q(Q(status__in=waiting) & Exists(accepted)) | Q(Q(status__in=out) & Exists(learnt_out)))
        .select_related("library", "patron__patron_profile").order_by("status_changed_at", "pk")[:limit])
    by_library: dict[int, list[IllRequest]] = {}
    for request in requests:
        by_library.setdefault(request.library_id, []).append(request)
    learnt: list[Learnt] = []
    for library_id, rows in by_library.items():
        learnt += _learn_library(connections[library_id], rows, waiting=set(waiting))
    return learnt


def _learn_library(connection: NcipConnection, rows: list[IllRequest], *, waiting: set[str]) -> list[Learnt]:
    profile = connection.profile
    barcodes = {request.pk: item_barcode(connection, request) for request in rows}
    try:
        client = client_for(connection)
        found = client.lookup_items(list(barcodes.values()), current_borrower=True)
    except (NcipError, CredentialError) as exc:
        logger.warning("NCIP: cannot ask %s about its desk's loans: %s", connection.library_id, exc)
        return []
    learnt = []
    for request in rows:
        barcode = barcodes[request.pk]
        record = found.get(barcode)
        if record is None or isinstance(record, NcipProblem):
            continue  # the ILS does not know it (yet): nothing to learn
        if request.status in waiting:
            if profile.is_on_loan(record.circulation_status):
                change = _checked_out(connection, request, barcode, record)
                if change:
                    learnt.append(change)
        elif profile.is_returned(record.circulation_status):
            change = _checked_in(request, barcode, record)
            if change:
                learnt.append(change)
    return learnt


def _checked_out(connection: NcipConnection, request: IllRequest, barcode: str, record: ItemRecord) -> Learnt | None:
    due = record.date_due.date() if record.date_due else None
    ours = patron_user_id(connection, request)
    words = f"checked out at the ILS's desk to {record.borrower or ours}"
    if due:
        words += f", due {due.isoformat()}"
    if record.borrower and ours and record.borrower != ours:
        words += f" (the request's patron is {ours} in the ILS)"
    limit = patron_due_date(request)
    if due and request.due_date and due > request.due_date:
        words += f"; later than the lender's due date {request.due_date.isoformat()}: change it in the ILS"
    elif due and limit and due > limit:
        words += f"; later than our date {limit.isoformat()} (the lender's less the buffer)"
    data = {"from_ils": True, "ils_borrower": record.borrower}
    if due:
        data["patron_due_date"] = due.isoformat()
    return _learn(request, barcode, CHECK_OUT, words, data)


def _checked_in(request: IllRequest, barcode: str, record: ItemRecord) -> Learnt | None:
    words = f"checked in at the ILS's desk ({record.circulation_status})"
    return _learn(request, barcode, CHECK_IN, words, {"from_ils": True})


def _learn(request: IllRequest, barcode: str, action: str, words: str, data: dict) -> Learnt | None:
    """Make ``action`` as the ILS reported it, with the LookupItem that learnt it on the request's record; ``None``
    when the request moved meanwhile (another pass, or the desk, did it first)."""
    with transaction.atomic():
        done = services.claim(request_id=request.pk, from_status=request.status, action=action,
                              actor=Actor.system(ACTOR_NAME), data=data)
        if done is None:
            return None
        NcipCall.objects.create(request=request, library=request.library, service=Service.LOOKUP_ITEM,
                                arguments={"barcode": barcode, "learnt": action}, status=NcipCallStatus.DONE,
                                finished_at=timezone.now(), answer=words[:300])
    return Learnt(request_id=request.pk, action=action, words=words)
