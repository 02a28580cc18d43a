"""Incoming ISO 18626 messages, whatever door they came through (HTTP XML, REST JSON, in-process).

``handle`` decodes a message into what the workflow engine reads of it (:func:`heard_of`), finds
the request it is about, looks it up in that side's table (``Workflow.lookup``: the transitions'
``iso18626`` entries and the side's replies) and does what the table says with the same service
staff use (``perform``), then answers with a confirmation. The partner's note reaches our staff.
A partner's ``request`` creates a lending request, with what it says of the requesting library (where
to ship, its contact, who to bill: :mod:`.requester`). A message seen before (same sender, kind, ids,
timestamp and status or action) is answered with the confirmation it got the first time and acts
nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..iso18626 import messages as m
from ..iso18626.confirmations import confirmation_for
from ..iso18626.errors import PartialHeader
from ..iso18626.json_codec import from_json, kind_of, to_json
from ..iso18626.repairs import Repair
from ..models import Event, EventSource, IllRequest, InboundMessage, Library, NoteVisibility, RequestFormat, Role
from ..services import add_note, copy_link_received, perform
from ..utilities.precompiled_sql import RowsStatement
from ..workflow import Actor, Heard, WorkflowError
from .identifier_codes import read_identifiers
from .outgoing import CONDITION_NOTE_PREFIX, CONDITIONS_ACCEPTED_NOTE, enqueue_reply
from .requester import keep_requester_details
from .savepoint_retry import first_without_savepoint, receive_request

logger = logging.getLogger(__name__)


@dataclass
class Refusal(Exception):
    """A message we read but cannot accept: answered with an ERROR confirmation."""

    error_type: m.ErrorType
    value: str


#: ``handle(member=...)`` not given: the member library the message is addressed to is looked up here.
LOOK_UP = object()


#: The key of an event's ``data`` holding what lenient intake repaired in the message that made it.
REPAIRS_KEY = "iso18626_repairs"
#: The key of the intake event's ``data`` holding the identifiers we have no citation field for.
OTHER_IDENTIFIERS_KEY = "other_identifiers"


def handle(message, *, sender: Library, source: str = EventSource.ISO18626, member: Library | None | object = LOOK_UP,
           repairs: Sequence[Repair] = (), api_key_prefix: str = "") -> object:
    """Apply ``message`` from ``sender`` and return the confirmation to answer with.

    ``member`` is the member library the message is addressed to (``None``: none of ours), when the
    caller has already looked it up with the sender (:func:`find_parties`); by default it is looked up.
    ``repairs`` are what lenient intake repaired to read the message (``iso18626.repairs``): they are
    kept on its inbound record and in the data of the event it makes, where the desk shows them.
    ``api_key_prefix`` names the key the sender authenticated with, kept on the inbound record.
    """
    repaired = [repair.as_data() for repair in repairs]
    return first_without_savepoint(
        lambda savepoint: _handle(message, sender, source, member, repaired, savepoint=savepoint,
                                  api_key_prefix=api_key_prefix))


def _handle(message, sender: Library, source: str, member: Library | None | object, repaired: list[dict], *,
            savepoint: bool, api_key_prefix: str = "") -> object:
    received = timezone.now()
    fingerprint = fingerprint_of(message, sender)
    # A message seen before is found by the unique fingerprint of its record, not by a look-up first:
    # it is applied in the same transaction as the record is written, so a repeat (a retry after a lost
    # answer, or the same message twice at once) fails on the fingerprint and everything it did is rolled
    # back; it is then answered with the first confirmation. Whatever a repeat fails on instead (a refusal
    # because the first delivery already moved the request on), that confirmation is the answer too.
    # Every new message saves the look-up; only failures pay it.
    try:
        with transaction.atomic():
            request, summary = _apply(message, sender, source, member, repaired, savepoint=savepoint)
            confirmation = confirm(message, received=received)
            InboundMessage.objects.create(sender=sender, fingerprint=fingerprint, kind=kind_of(message),
                                          summary=summary[:100], request=request, confirmation=to_json(confirmation),
                                          repairs=repaired, api_key_prefix=api_key_prefix)
    except Refusal as refusal:
        previous = _answered_before(fingerprint)
        if previous is not None:
            return previous
        return confirm(message, received=received, errors=[m.ErrorData(error_type=refusal.error_type,
                                                                        error_value=refusal.value[:500])])
    except Exception:  # the fingerprint's unique index (IntegrityError), or whatever else a repeat ran into
        previous = _answered_before(fingerprint)
        if previous is None:
            raise
        return previous
    return confirmation


def invalid_values(exc: ValidationError) -> str:
    """A citation or field the model refused, as a confirmation's ``errorValue``: the fields it names, or its
    messages."""
    fields = ", ".join(sorted(exc.message_dict)) if hasattr(exc, "error_dict") else "; ".join(exc.messages)
    return f"Invalid value(s): {fields}."


def _answered_before(fingerprint: str):
    """The confirmation a message with ``fingerprint`` was answered with the first time, if it was."""
    previous = InboundMessage.objects.filter(fingerprint=fingerprint).only("confirmation").first()
    return from_json(previous.confirmation) if previous is not None else None


def fingerprint_of(message, sender: Library) -> str:
    header = message.header
    detail = ""
    if isinstance(message, m.SupplyingAgencyMessage):
        detail = f"{message.message_info.reason_for_message}/{message.status_info.status}"
    elif isinstance(message, m.RequestingAgencyMessage):
        detail = str(message.action)
    parts = [str(sender.pk), kind_of(message), header.requesting_agency_request_id or "",
             getattr(header, "supplying_agency_request_id", None) or "", header.timestamp.isoformat(), detail]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def confirm(message, *, received: dt.datetime, errors: list[m.ErrorData] | None = None):
    """The confirmation answering ``message`` (OK, or ERROR with ``errors``)."""
    return confirmation_for(message, errors=errors or (), timestamp_received=received)


def same_agency(agency: m.AgencyId | None, library: Library) -> bool:
    return (agency is not None and agency.type.value.upper() == library.agency_id_type.upper()
            and agency.value.upper() == library.agency_id_value.upper())


def _agency_q(agency: m.AgencyId) -> Q:
    return Q(agency_id_type__iexact=agency.type.value, agency_id_value__iexact=agency.value)


def member_by_agency(agency: m.AgencyId | None) -> Library | None:
    if agency is None:
        return None
    return Library.objects.filter(_agency_q(agency), is_member=True, active=True).first()


def sender_agency(message) -> m.AgencyId | None:
    """Who sent it: the requesting agency of a request or requesting agency message, else the supplier."""
    if isinstance(message, m.SupplyingAgencyMessage):
        return message.header.supplying_agency_id
    return message.header.requesting_agency_id


def recipient_agency(message) -> m.AgencyId | None:
    """Whom it is for: the agency on the other side of the transaction from the sender."""
    if isinstance(message, m.SupplyingAgencyMessage):
        return message.header.requesting_agency_id
    return getattr(message.header, "supplying_agency_id", None)


#: :func:`find_parties`' query, written out once (:mod:`requests_app.utilities.precompiled_sql`). Built by the ORM
#: for every message (a Q of two case-insensitive agency ids, 35 columns), it cost three times what
#: the database took to answer it. It says what the ``iexact`` lookups say (``UPPER`` on both sides),
#: so ``library_agency_upper_idx`` finds the rows.
_PARTIES = RowsStatement([("l", Library)], lambda quote: (
    f"{quote(Library._meta.db_table)} l WHERE l.active AND ("
    "(UPPER(l.agency_id_type) = UPPER(%s) AND UPPER(l.agency_id_value) = UPPER(%s))"
    " OR (l.is_member AND UPPER(l.agency_id_type) = UPPER(%s) AND UPPER(l.agency_id_value) = UPPER(%s))"
    ") ORDER BY l.symbol"
))


def find_parties(message) -> tuple[Library | None, Library | None]:
    """The active library that sent ``message`` and the active member library it is addressed to.

    One query for both, where each used to cost one: the database finds the rows on its agency-id
    index, case-insensitively; which row is which is then told apart as :func:`same_agency` does.
    Several matches are taken in symbol order, as ``first()`` would.
    """
    return find_parties_by_agency(sender_agency(message), recipient_agency(message))


def find_parties_of(partial: PartialHeader) -> tuple[Library | None, Library | None]:
    """:func:`find_parties` for a message that could be read only in part (its ``PartialHeader``)."""
    if partial.kind is m.MessageKind.SUPPLYING_AGENCY_MESSAGE:
        return find_parties_by_agency(partial.supplying_agency_id, partial.requesting_agency_id)
    if partial.kind in (m.MessageKind.REQUEST, m.MessageKind.REQUESTING_AGENCY_MESSAGE):
        return find_parties_by_agency(partial.requesting_agency_id, partial.supplying_agency_id)
    return None, None


def find_parties_by_agency(sent_by: m.AgencyId | None, sent_to: m.AgencyId | None
                           ) -> tuple[Library | None, Library | None]:
    """The active library of agency ``sent_by`` and the active member library of agency ``sent_to``."""
    if sent_by is None:
        return None, None
    to_type, to_value = (sent_to.type.value, sent_to.value) if sent_to is not None else (None, None)
    sender = member = None
    for (library,) in _PARTIES.fetch([sent_by.type.value, sent_by.value, to_type, to_value]):
        if sender is None and same_agency(sent_by, library):
            sender = library
        if member is None and library.is_member and same_agency(sent_to, library):
            member = library
    return sender, member


def _member(agency: m.AgencyId | None, member: Library | None | object) -> Library | None:
    return member_by_agency(agency) if member is LOOK_UP else member


def _apply(message, sender: Library, source: str, member: Library | None | object = LOOK_UP,
           repaired: list[dict] | None = None, *, savepoint: bool = True) -> tuple[IllRequest | None, str]:
    repaired = repaired or []
    if isinstance(message, m.Request):
        return _apply_request(message, sender, source, member, repaired, savepoint=savepoint)
    if isinstance(message, m.SupplyingAgencyMessage):
        return _apply_supplying_agency_message(message, sender, source, member, repaired)
    if isinstance(message, m.RequestingAgencyMessage):
        return _apply_requesting_agency_message(message, sender, source, member, repaired)
    raise Refusal(m.ErrorType.UNRECOGNISED_DATA_ELEMENT, f"A {kind_of(message)} is not answered with a confirmation.")


# request: a partner asks to borrow from one of our member libraries --------------------------

def _apply_request(message: m.Request, sender: Library, source: str, member: Library | None | object = LOOK_UP,
                   repaired: list[dict] | None = None, *, savepoint: bool = True) -> tuple[IllRequest, str]:
    header = message.header
    if not same_agency(header.requesting_agency_id, sender):
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "requestingAgencyId is not the sending library.")
    library = _member(header.supplying_agency_id, member)
    if library is None:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE,
                      "supplyingAgencyId does not name a library served here.")
    try:
        request, created = receive_request(
            library=library, partner=sender, requesting_agency_request_id=header.requesting_agency_request_id,
            source=source, savepoint=savepoint, event_data=intake_data(message, repaired or []),
            **citation_of(message),
        )
    except ValidationError as exc:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, invalid_values(exc)) from exc
    except WorkflowError as exc:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, exc.message) from exc
    if created:  # a resend is answered with the request received first, addresses and all
        keep_requester_details(request=request, message=message)
    return request, "request"


_FORMAT_BY_TYPE = {"book": RequestFormat.BOOK, "article": RequestFormat.ARTICLE, "journal": RequestFormat.ARTICLE,
                   "chapter": RequestFormat.CHAPTER, "thesis": RequestFormat.THESIS,
                   "conference": RequestFormat.CONFERENCE}


def identifiers_of(bib: m.BibliographicInfo) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The citation's identifier fields a request's bibliographic ids fill, and the ids left over for staff.

    Codes are read with every spelling peers use (``identifier_codes.CODES``); the supplier's record id
    the requester names (``supplierUniqueRecordId``) is kept among the others.
    """
    pairs = [(i.code.value, i.value) for i in (*bib.bibliographic_item_ids, *bib.bibliographic_record_ids)]
    fields, others = read_identifiers(pairs)
    if bib.supplier_unique_record_id and bib.supplier_unique_record_id.strip():
        others.append({"code": "Record id at the supplier", "value": bib.supplier_unique_record_id.strip()[:200]})
    return fields, others


def intake_data(message: m.Request, repaired: list[dict]) -> dict:
    """The data of a partner's request's intake event: the identifiers we have no field for, the repairs."""
    _fields, others = identifiers_of(message.bibliographic_info)
    data: dict = {}
    if others:
        data[OTHER_IDENTIFIERS_KEY] = others
    if repaired:
        data[REPAIRS_KEY] = repaired
    return data


def citation_of(message: m.Request) -> dict:
    """Our citation fields from an ISO 18626 request (identifiers are validated by the model)."""
    bib, pub, service = message.bibliographic_info, message.publication_info, message.service_info
    ids, _others = identifiers_of(bib)
    component = bib.title_of_component
    publication_type = (pub.publication_type.value.lower() if pub and pub.publication_type else "")
    fmt = _FORMAT_BY_TYPE.get(publication_type)
    if fmt is None:
        fmt = (RequestFormat.ARTICLE if component and "issn" in ids else RequestFormat.CHAPTER if component
               else RequestFormat.BOOK)
    citation = {
        "format": fmt,
        "title": (component or bib.title or "(no title given)")[:500],
        "author": ((bib.author_of_component if component else bib.author) or "")[:300],
        "container_title": ((bib.title or "") if component else "")[:500],
        "volume": (bib.volumes[0] if bib.volumes else "")[:30],
        "issue": (bib.issue or "")[:30],
        "pages": (bib.pages_requested or "")[:50],
        "edition": (bib.edition or "")[:50],
        "publisher": ((pub.publisher if pub else None) or "")[:200],
        "publication_date": ((pub.publication_date if pub else None) or "")[:30],
        "place_of_publication": ((pub.place_of_publication if pub else None) or "")[:100],
        "isbn": ids.get("isbn", ""), "issn": ids.get("issn", ""), "doi": ids.get("doi", ""),
        "pmid": ids.get("pmid", ""), "oclc_number": ids.get("oclc_number", ""),
        "service_type": str(service.service_type),
        "need_by": service.need_before_date.date() if service.need_before_date else None,
        "patron_note": (service.note or "")[:2000],
        "copyright_compliance": (service.copyright_compliance.value.upper()
                                 if service.copyright_compliance
                                 and service.copyright_compliance.value.upper() in {"CCG", "CCL"} else ""),
    }
    billing = message.billing_info
    if billing and billing.maximum_costs:
        citation["max_cost"] = billing.maximum_costs.monetary_value
        citation["max_cost_currency"] = billing.maximum_costs.currency_code.value[:3]
    return citation


# supplyingAgencyMessage: a lender about our borrowing request ------------------------------

def _find_borrowing(header, sender: Library, member: Library | None | object = LOOK_UP) -> IllRequest:
    library = _member(header.requesting_agency_id, member)
    request = None
    if library is not None:
        request = (IllRequest.objects.filter(role=Role.BORROWING, library=library,
                                             requesting_agency_request_id=header.requesting_agency_request_id)
                   .select_related("library", "partner").first())
    if request is None:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"requestingAgencyRequestId {header.requesting_agency_request_id!r} is not one of ours.")
    if request.partner_id != sender.pk or not same_agency(header.supplying_agency_id, sender):
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "This request is not with the sending library.")
    return request


def _apply_supplying_agency_message(message: m.SupplyingAgencyMessage, sender: Library, source: str,
                                    member: Library | None | object = LOOK_UP, repaired: list[dict] | None = None
                                    ) -> tuple[IllRequest, str]:
    request = _find_borrowing(message.header, sender, member)
    supplier_id = message.header.supplying_agency_request_id
    if supplier_id and request.supplying_agency_request_id != supplier_id:
        IllRequest.objects.filter(pk=request.pk).update(supplying_agency_request_id=supplier_id[:64])
        request.supplying_agency_request_id = supplier_id[:64]
    info = message.message_info
    note = (info.note or "").removeprefix(CONDITION_NOTE_PREFIX).strip()
    if info.reason_unfilled and not note:
        note = f"Unfilled: {info.reason_unfilled.value}"
    data = lender_data(message)
    _look_up_and_perform(request, sender, source, heard_of(message), note,
                         {k: v for k, v in data.items() if v} | _repairs_data(repaired), url=data["url"])
    return request, f"{info.reason_for_message}/{message.status_info.status}"


def lender_data(message: m.SupplyingAgencyMessage) -> dict:
    """What a lender's message tells the transition it performs (its event's data)."""
    info, status_info, delivery = message.message_info, message.status_info, message.delivery_info
    retry = message.retry_info
    return {
        "iso18626_status": str(status_info.status),
        "reason_for_message": str(info.reason_for_message),
        "due_date": status_info.due_date.date().isoformat() if status_info.due_date else None,
        "answer": str(info.answer_yes_no) if info.answer_yes_no else None,
        "reason_unfilled": info.reason_unfilled.value if info.reason_unfilled else None,
        "url": delivery.url if delivery else None,
        "loan_conditions": [c.value for c in (*(delivery.loan_conditions if delivery else ()),
                                               *(retry.loan_conditions if retry else ()))],
        "delivery_cost": _delivery_cost(delivery),
        "offered_cost": _money(retry.offered_costs[0]) if retry and retry.offered_costs else None,
    }


# requestingAgencyMessage: a borrower about our lending request ------------------------------

def _find_lending(header, sender: Library, member: Library | None | object = LOOK_UP) -> IllRequest:
    library = _member(header.supplying_agency_id, member)
    if not same_agency(header.requesting_agency_id, sender):
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, "requestingAgencyId is not the sending library.")
    request = None
    if library is not None:
        request = (IllRequest.objects.filter(role=Role.LENDING, library=library, partner=sender,
                                             requesting_agency_request_id=header.requesting_agency_request_id)
                   .select_related("library", "partner").first())
    if request is None:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"No request {header.requesting_agency_request_id!r} from this library is known here.")
    return request


def _apply_requesting_agency_message(message: m.RequestingAgencyMessage, sender: Library, source: str,
                                     member: Library | None | object = LOOK_UP, repaired: list[dict] | None = None
                                     ) -> tuple[IllRequest, str]:
    request = _find_lending(message.header, sender, member)
    heard = heard_of(message)
    note = (message.note or "").strip()
    # An action nothing here answers (HoldReturn, Lost…) reaches staff as a note naming it.
    _look_up_and_perform(request, sender, source, heard, note,
                         {"iso18626_action": str(message.action)} | _repairs_data(repaired),
                         note_only=note if heard.informs else f"{message.action}: {note}".strip(": "))
    return request, str(message.action)


# Decode, look up, perform ----------------------------------------------------------------

def heard_of(message: m.SupplyingAgencyMessage | m.RequestingAgencyMessage) -> Heard:
    """What the workflow engine reads of a partner's message (``requests_app.workflow.Heard``)."""
    if isinstance(message, m.RequestingAgencyMessage):
        return Heard(action=str(message.action), agrees=agrees_to_conditions(message.note or ""))
    info = message.message_info
    return Heard(
        reason=str(info.reason_for_message), status=str(message.status_info.status),
        answer=str(info.answer_yes_no) if info.answer_yes_no else "",
        conditions=bool(message.delivery_info and message.delivery_info.loan_conditions)
        or bool(message.retry_info and message.retry_info.loan_conditions)
        or (info.note or "").startswith(CONDITION_NOTE_PREFIX),
    )


def agrees_to_conditions(note: str) -> bool:
    """A borrower's note agrees to our conditions: ReShare's agreement, "accept…", "agree…", "yes…" or none."""
    note = note.strip()
    return not note or note.startswith(CONDITIONS_ACCEPTED_NOTE) or note.lower().startswith(("accept", "agree", "yes"))


def _look_up_and_perform(request: IllRequest, sender: Library, source: str, heard: Heard, note: str, data: dict, *,
         note_only: str | None = None, url: str | None = None) -> None:
    """Do what the side's table says ``heard`` does to ``request`` (:meth:`Workflow.lookup`)."""
    found = request.workflow.lookup(heard, request.status)
    if found.refusal:
        raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, found.refusal)
    if found.transition is not None:
        try:
            perform(request=request, action=found.transition.action, actor=Actor.partner(sender), source=source,
                    note=note, data=data)
        except WorkflowError as exc:
            raise Refusal(m.ErrorType.UNRECOGNISED_DATA_VALUE, exc.message) from exc
        # The partner's words (conditions, a reason) also wait in the staff inbox, like any note of theirs.
        _record_note(request, sender, note)
        if found.reply is not None:
            enqueue_reply(request, found.reply)
    elif found.reply is not None:
        enqueue_reply(request, found.reply)
        if found.reply.keeps_note:
            _record_note(request, sender, note)
    elif found.note_only:
        _record_note(request, sender, note if note_only is None else note_only)
        if url:
            copy_link_received.send(sender=IllRequest, request=request, url=url, partner=sender)


# Lenient intake ---------------------------------------------------------------------------

def _repairs_data(repaired: list[dict] | None) -> dict:
    return {REPAIRS_KEY: repaired} if repaired else {}


def lender_status_now(partial: PartialHeader, sender: Library, member: Library | None) -> m.Status | None:
    """The status our borrowing request named in ``partial`` has with ``sender``, its lender, now.

    What the lender last told us (the newest ISO 18626 status among the request's events of that lender),
    or RequestReceived when it has told us none yet; ``None`` when no such request is with that lender.
    Lenient intake reads a CancelResponse answered N without ``statusInfo`` as this status.
    """
    if member is None or not partial.requesting_agency_request_id:
        return None
    request = (IllRequest.objects.filter(role=Role.BORROWING, library=member, partner=sender,
                                         requesting_agency_request_id=partial.requesting_agency_request_id)
               .only("pk").first())
    if request is None:
        return None
    told = (Event.objects.filter(request=request, actor_library=sender, data__has_key="iso18626_status")
            .order_by("-created_at", "-pk").values_list("data__iso18626_status", flat=True).first())
    try:
        return m.Status(told) if told else m.Status.REQUEST_RECEIVED
    except ValueError:
        return m.Status.REQUEST_RECEIVED


# Shared ----------------------------------------------------------------------------------

def _delivery_cost(info: m.DeliveryInfo | None) -> dict[str, str] | None:
    """What the lender says the supply costs us (deliveryInfo/deliveryCosts), for billing's payable."""
    if info is None or not info.delivery_costs:
        return None
    return _money(info.delivery_costs[0])


def _money(cost: m.Costs) -> dict[str, str]:
    return {"amount": str(cost.monetary_value), "currency": cost.currency_code.value.upper()}


def _record_note(request: IllRequest, sender: Library, note: str) -> None:
    if note:
        add_note(request=request, text=note, visibility=NoteVisibility.PARTNER, author_library=sender)
