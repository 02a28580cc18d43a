"""From a performed transition to the ISO 18626 message the partner must get.

What we send is read from the transition's mapping (``Transition.iso18626``): the borrowing side
sends the ``request`` and requesting agency messages (``action`` entries); the lending side sends
supplying agency messages (``status`` and ``reason`` entries, conditions in ReShare's note). A
transition performed *by* the partner (it told us) sends nothing back, and an entry about the other
side's messages (a lending transition mapped to the action Cancel) only names what drives it.
:func:`enqueue_reply` sends what the lending table answers a borrower's message with (``Reply``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from ..actors import ActorKind
from ..iso18626 import messages as m
from ..iso18626.json_codec import kind_of, to_json
from ..models import (
    DeliveryMethod,
    Event,
    IllRequest,
    Library,
    Note,
    OutboxMessage,
    PickupLocation,
    Role,
    ServiceType,
    has_street_address,
)
from ..policies import policy_for
from ..workflow import GIVEN, Actor, Reply, Transition
from . import outbox

#: ReShare's convention for conditions carried in a note; we send and understand it.
CONDITION_NOTE_PREFIX = "#ReShareAddLoanCondition#"
CONDITIONS_ACCEPTED_NOTE = "#ReShareLoanConditionAgreeResponse#"

#: The mapping entries (``Iso18626.message``) each side sends.
SENT_BY = {Role.BORROWING: frozenset({"request", "action"}), Role.LENDING: frozenset({"status", "reason"})}


def agency_id(library: Library) -> m.AgencyId:
    return m.AgencyId(type=m.TypedValue(value=library.agency_id_type), value=library.agency_id_value)


def sends_message(request: IllRequest, transition: Transition, actor: Actor) -> bool:
    mapping = transition.iso18626
    if mapping is None or actor.kind == ActorKind.PARTNER or request.partner_id is None:
        return False
    return mapping.message in SENT_BY[request.role]


def enqueue_for_transition(*, request: IllRequest, transition: Transition, event: Event, actor: Actor,
                           payload: dict) -> OutboxMessage | None:
    """Queue the message ``transition`` owes the partner (inside the transition's transaction)."""
    if not sends_message(request, transition, actor) or outbox.transport_for(request.partner) is None:
        return None
    mapping = transition.iso18626
    if mapping.message == "request":
        message = build_request(request, timestamp=event.created_at)
    elif mapping.message == "action":
        note = f"{CONDITIONS_ACCEPTED_NOTE} {event.note}".strip() if mapping.agrees else event.note
        message = build_requesting_agency_message(request, m.Action(mapping.values[0]), note=note or None,
                                                  timestamp=event.created_at)
    else:
        message = build_supplying_agency_message_for(request, transition, event, payload)
    return enqueue(request, message)


def enqueue_reply(request: IllRequest, reply: Reply) -> OutboxMessage | None:
    """Queue ``reply`` to the borrower, with the status our request's state reports now."""
    request.refresh_from_db()
    status = request.workflow.state(request.status).iso18626 or m.Status.REQUEST_RECEIVED
    note = reply.note_while_open if not request.is_final else ""
    return enqueue(request, build_supplying_agency_message(
        request, reason=m.ReasonForMessage(reply.reason), status=status, timestamp=timezone.now(),
        answer=m.YesNo(reply.answer) if reply.answer else None, note=note or None))


def enqueue_note(request: IllRequest, note: Note) -> OutboxMessage | None:
    """Queue the ISO 18626 Notification carrying a staff ``note`` (inside the caller's transaction)."""
    if request.role == Role.BORROWING:
        message = build_requesting_agency_message(request, m.Action.NOTIFICATION, note=note.text,
                                                  timestamp=note.created_at)
    else:
        status = request.workflow.state(request.status).iso18626 or m.Status.REQUEST_RECEIVED
        message = build_supplying_agency_message(request, reason=m.ReasonForMessage.NOTIFICATION, status=status,
                                                 timestamp=note.created_at, note=note.text)
    return enqueue(request, message)


def enqueue(request: IllRequest, message) -> OutboxMessage | None:
    return outbox.enqueue(request=request, sender=request.library, recipient=request.partner,
                          kind=kind_of(message), summary=summary_of(message), payload=to_json(message))


def summary_of(message) -> str:
    if isinstance(message, m.Request):
        return "request"
    if isinstance(message, m.RequestingAgencyMessage):
        return str(message.action)
    if isinstance(message, m.SupplyingAgencyMessage):
        return f"{message.message_info.reason_for_message}/{message.status_info.status}"
    return kind_of(message)


def _as_datetime(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(12, 0), tzinfo=dt.UTC)
    return _as_datetime(dt.date.fromisoformat(str(value)[:10]))


# Borrowing side: our request and our actions ----------------------------------------------

#: ISO 18626 open-list values we write (the maintenance agency's electronicAddressType and serviceLevel lists).
EMAIL, PHONE = "Email", "Phone"
RUSH, NORMAL = "Rush", "Normal"


def _text(value: str | None) -> str | None:
    """``value`` without surrounding blanks; ``None`` when nothing is left (an element we leave out)."""
    value = (value or "").strip()
    return value or None


def physical_address(place: Library | PickupLocation) -> m.PhysicalAddress | None:
    """The postal address of a library or a pickup location; ``None`` when it has no street address."""
    if not has_street_address(place):
        return None
    country = _text(place.country)
    return m.PhysicalAddress(line1=_text(place.address_line1), line2=_text(place.address_line2),
                             locality=_text(place.city), postal_code=_text(place.postal_code),
                             region=_text(place.region),
                             country=m.TypedValue(value=country.upper()) if country else None)


def _electronic(kind: str, data: str | None) -> m.ElectronicAddress | None:
    data = _text(data)
    return m.ElectronicAddress(type=m.TypedValue(value=kind), data=data) if data else None


def ship_to(request: IllRequest) -> m.PhysicalAddress | None:
    """Where a lender ships: the request's pickup location's address where it has one, else the library's."""
    location = request.pickup_location
    if location is not None and location.has_address:
        return physical_address(location)
    return physical_address(request.library)


def requested_delivery(request: IllRequest) -> tuple[m.RequestedDeliveryInfo, ...]:
    """The delivery addresses we accept, the preferred first (``sortOrder`` 1, 2).

    A loan goes to the postal address (:func:`ship_to`). A copy may also come by e-mail to the library's
    ILL address; a copy the patron asked for electronically prefers it, a paper copy the postal address.
    """
    physical = ship_to(request)
    electronic = None
    if request.service_type in (ServiceType.COPY, ServiceType.COPY_OR_LOAN):
        electronic = _electronic(EMAIL, request.library.email)
    prefers_electronic = (request.service_type != ServiceType.LOAN
                          and request.delivery_method == DeliveryMethod.ELECTRONIC)
    addresses = [electronic, physical] if prefers_electronic else [physical, electronic]
    return tuple(m.RequestedDeliveryInfo(sort_order=n, address=address)
                 for n, address in enumerate((a for a in addresses if a is not None), start=1))


def service_level(request: IllRequest, *, today: dt.date) -> m.TypedValue:
    """Rush when the need-by date is within the library's ``rush_within_days`` policy of ``today``, else Normal."""
    within = policy_for(request.library).rush_within_days
    if within and request.need_by is not None and (request.need_by - today).days <= within:
        return m.TypedValue(value=RUSH)
    return m.TypedValue(value=NORMAL)


def requesting_agency_info(library: Library) -> m.RequestingAgencyInfo:
    """Our name, the ILL contact and every address we have for them: e-mail, phone, postal."""
    return m.RequestingAgencyInfo(
        name=_text(library.name), contact_name=_text(library.contact_name),
        addresses=tuple(a for a in (_electronic(EMAIL, library.email), _electronic(PHONE, library.phone),
                                    physical_address(library)) if a is not None),
    )


def billing_info(request: IllRequest) -> m.BillingInfo:
    """Who pays (our library), where invoices go and the most the patron will pay.

    The schema allows one billing address: the library's billing e-mail when it has one (invoices are
    mostly e-mailed), else its postal address; the postal address also travels in requestingAgencyInfo.
    """
    library = request.library
    maximum = None
    if request.max_cost is not None:
        maximum = m.Costs(currency_code=m.TypedValue(value=request.max_cost_currency),
                          monetary_value=Decimal(request.max_cost))
    return m.BillingInfo(maximum_costs=maximum, billing_name=_text(library.name),
                         address=_electronic(EMAIL, library.billing_email) or physical_address(library))


def build_request(request: IllRequest, *, timestamp: dt.datetime) -> m.Request:
    item_ids = tuple(
        m.BibliographicItemId(code=m.TypedValue(value=code), value=value.strip())
        for code, value in (("ISBN", request.isbn), ("ISSN", request.issn), ("DOI", request.doi),
                            ("PMID", request.pmid), ("OCLC", request.oclc_number))
        if _text(value)
    )
    is_part = bool(request.container_title)
    bibliographic = m.BibliographicInfo(
        title=_text(request.container_title if is_part else request.title),
        author=_text(request.author) if not is_part else None,
        edition=_text(request.edition),
        title_of_component=_text(request.title) if is_part else None,
        author_of_component=_text(request.author) if is_part else None,
        volumes=(request.volume.strip(),) if _text(request.volume) else (),
        issue=_text(request.issue),
        pages_requested=_text(request.pages),
        bibliographic_item_ids=item_ids,
    )
    publication = None
    if _text(request.publisher) or _text(request.publication_date) or _text(request.place_of_publication):
        publication = m.PublicationInfo(publisher=_text(request.publisher),
                                        publication_date=_text(request.publication_date),
                                        place_of_publication=_text(request.place_of_publication),
                                        publication_type=m.TypedValue(value=request.format))
    service = m.ServiceInfo(
        request_type=m.RequestType.NEW,
        service_type=m.ServiceType(request.service_type or ServiceType.LOAN),
        service_level=service_level(request, today=timezone.localdate(timestamp)),
        need_before_date=_as_datetime(request.need_by),
        copyright_compliance=m.TypedValue(value=request.copyright_compliance) if request.copyright_compliance else None,
        note=None,
    )
    library = request.library
    return m.Request(
        header=m.RequestHeader(
            supplying_agency_id=agency_id(request.partner), requesting_agency_id=agency_id(library),
            timestamp=timestamp, requesting_agency_request_id=request.requesting_agency_request_id,
        ),
        bibliographic_info=bibliographic, publication_info=publication, service_info=service,
        requested_delivery_infos=requested_delivery(request),
        requesting_agency_info=requesting_agency_info(library), billing_info=billing_info(request),
    )


def build_requesting_agency_message(request: IllRequest, action: m.Action, *, note: str | None,
                                    timestamp: dt.datetime) -> m.RequestingAgencyMessage:
    return m.RequestingAgencyMessage(
        header=m.RequestingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.partner), requesting_agency_id=agency_id(request.library),
            timestamp=timestamp, requesting_agency_request_id=request.requesting_agency_request_id,
            supplying_agency_request_id=request.supplying_agency_request_id or None,
        ),
        action=action, note=note or None,
    )


# Lending side: our answers ----------------------------------------------------------------

def _first_answer_sent(request: IllRequest) -> bool:
    return OutboxMessage.objects.filter(request=request, kind=m.MessageKind.SUPPLYING_AGENCY_MESSAGE).exists()


def build_supplying_agency_message(request: IllRequest, *, reason: m.ReasonForMessage, status: str,
                                   timestamp: dt.datetime, note: str | None = None,
                                   answer: m.YesNo | None = None, reason_unfilled: str | None = None,
                                   delivery_info: m.DeliveryInfo | None = None,
                                   shipping_info: m.ShippingInfo | None = None,
                                   retry_info: m.RetryInfo | None = None) -> m.SupplyingAgencyMessage:
    return m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.library), requesting_agency_id=agency_id(request.partner),
            timestamp=timestamp, requesting_agency_request_id=request.requesting_agency_request_id,
            supplying_agency_request_id=request.supplying_agency_request_id or None,
        ),
        message_info=m.MessageInfo(reason_for_message=reason, answer_yes_no=answer, note=note or None,
                                   reason_unfilled=m.TypedValue(value=reason_unfilled) if reason_unfilled else None),
        status_info=m.StatusInfo(status=m.Status(status), due_date=_as_datetime(request.due_date),
                                 last_change=timestamp),
        retry_info=retry_info, delivery_info=delivery_info, shipping_info=shipping_info,
    )


def build_supplying_agency_message_for(request: IllRequest, transition: Transition, event: Event,
                                       payload: dict) -> m.SupplyingAgencyMessage:
    mapping = transition.iso18626
    first = not _first_answer_sent(request)
    reason = m.ReasonForMessage.REQUEST_RESPONSE if first else m.ReasonForMessage.STATUS_CHANGE
    note = event.note or None
    answer = None
    delivery = shipping = retry = None
    if mapping.message == "reason":
        reason = m.ReasonForMessage(mapping.values[0])
        status = m.Status(mapping.with_status)
    else:
        status = m.Status(mapping.values[0])
    if mapping.answer == GIVEN:
        answer = m.YesNo.Y if payload.get("answer") else m.YesNo.N
    elif mapping.answer:
        answer = m.YesNo(mapping.answer)
    if mapping.conditions:
        reason = m.ReasonForMessage.NOTIFICATION if not first else reason
        note = f"{CONDITION_NOTE_PREFIX} {event.note}".strip()
        retry = conditions_offered(payload)
    if status in (m.Status.LOANED, m.Status.COPY_COMPLETED) and mapping.message == "status":
        delivery = m.DeliveryInfo(
            date_sent=event.created_at,
            item_ids=tuple(str(i) for i in ([payload["item_id"]] if payload.get("item_id") else [])),
            url=payload.get("url") or None,
            delivery_method=m.TypedValue(value=payload["shipping_method"]) if payload.get("shipping_method") else None,
        )
        if payload.get("tracking_number"):
            shipping = m.ShippingInfo(courier_name=m.TypedValue(value=payload.get("carrier") or "Other"),
                                      tracking_ids=(str(payload["tracking_number"]),))
    return build_supplying_agency_message(
        request, reason=reason, status=status, timestamp=event.created_at, note=note, answer=answer,
        reason_unfilled=payload.get("reason_unfilled") if status == m.Status.UNFILLED else None,
        delivery_info=delivery, shipping_info=shipping, retry_info=retry,
    )


def conditions_offered(payload: dict) -> m.RetryInfo | None:
    """The terms of an offer of conditions: its loanCondition codes and its fee (offeredCosts).

    In 2021-2 they go in retryInfo, the terms on which the lender would supply; version 1.2 writes the
    fee as its messageInfo/offeredCosts (``iso18626.version_1_2``). The note says them in words too.
    """
    codes = tuple(m.TypedValue(value=str(code)) for code in payload.get("loan_conditions") or ())
    cost = payload.get("offered_cost") or {}
    costs = ()
    if cost.get("amount") not in (None, ""):
        costs = (m.Costs(currency_code=m.TypedValue(value=str(cost["currency"])),
                         monetary_value=Decimal(str(cost["amount"]))),)
    return m.RetryInfo(loan_conditions=codes, offered_costs=costs) if codes or costs else None
