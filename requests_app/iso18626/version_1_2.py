"""Version 1.2 of ISO 18626 as we write it, and our own 1.2 form read back.

The message types (:mod:`.messages`) follow the 2021-2 schema. Version 1.2 (``ISO-18626-v1_2.xsd``,
the schema ReShare ships) has less room: one shared ``header`` (``supplyingAgencyId`` and
``multipleItemRequestId`` required, no ``consortialId``), ``retryBefore``, ``retryAfter`` and one
``offeredCosts`` in ``messageInfo`` instead of ``retryInfo``, no ``shippingInfo``, one ``itemId``,
``loanCondition`` and ``deliveryCosts`` in ``deliveryInfo`` and no ``URL`` there, one ``volume``,
three ``requestSubType`` at most, one ``errorData``, and no status HoldReturn or ReleaseHoldReturn,
no action HoldReturn or Lost.

:func:`to_1_2` turns a message into the records the 1.2 field table of :mod:`.xml` writes. What 1.2
has no room for is not dropped where the other side needs it: it is *carried* as a line at the end
of the message's note (``serviceInfo/note`` of a request, ``messageInfo/note`` of a supplying agency
message, ``note`` of a requesting agency message), one line per value::

    #ISO18626-2021:shippingInfo/trackingId# 1Z999AA10123456784

naming the 2021-2 element it stands for (with the position of a repeated parent:
``requestedDeliveryInfo[2]/deliveryMethod``). A copy's URL goes in ``deliveryInfo/itemId`` when
there is no item id (and in a carried line when there is); a status or action outside 1.2's lists
is sent as its nearest 1.2 value (HoldReturn and ReleaseHoldReturn as Loaned: the item is still on
loan; the actions HoldReturn and Lost as Notification) with the real one in a carried line.
:func:`read_back` undoes all this when a 1.2 document is decoded, so ILLMS installations talking 1.2
lose nothing but what is said below; any other peer's staff read the lines in the note.

A carried open-list value keeps its scheme after it (``LibraryUseOnly [scheme: http://…]``). Left
out of 1.2 altogether: ``deliveryInfo/address`` (where a loan was sent), and every errorData of a
confirmation but the first (the others are joined into its errorValue, for people to read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from .messages import (
    Action,
    AgencyId,
    Costs,
    ErrorData,
    Message,
    PreferredEdition,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestingAgencyAuthentication,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    RequestSubType,
    RetryInfo,
    ServiceType,
    ShippingInfo,
    Status,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    TypedValue,
    YesNo,
)

__all__ = ["CARRIED_PREFIX", "Header", "MessageInfo12", "read_back", "to_1_2"]

#: How a carried line begins; the 2021-2 element path and ``#`` follow, then the value.
CARRIED_PREFIX = "#ISO18626-2021:"
_LINE_RE = re.compile(
    re.escape(CARRIED_PREFIX) + r"(?P<parent>\w+)(?:\[(?P<n>\d+)\])?(?:/(?P<child>\w+))?# (?P<text>.*)")


# --------------------------------------------------------------------------------------
# The two records 1.2 shapes differently from 2021-2
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Header:
    """1.2's one ``header`` of a request, a supplying and a requesting agency message."""

    supplying_agency_id: AgencyId
    requesting_agency_id: AgencyId
    multiple_item_request_id: str = ""
    timestamp: datetime
    requesting_agency_request_id: str
    supplying_agency_request_id: str | None = None
    requesting_agency_authentication: RequestingAgencyAuthentication | None = None


@dataclass(frozen=True, kw_only=True)
class MessageInfo12:
    """1.2's ``messageInfo``: 2021-2's, with one offeredCosts and the retry dates of its retryInfo."""

    reason_for_message: ReasonForMessage
    answer_yes_no: YesNo | None = None
    note: str | None = None
    reason_unfilled: TypedValue | None = None
    reason_retry: TypedValue | None = None
    offered_costs: Costs | None = None
    retry_after: datetime | None = None
    retry_before: datetime | None = None


# --------------------------------------------------------------------------------------
# Carried values: how one value reads as text and back
# --------------------------------------------------------------------------------------


class _Text:
    """Plain text on one line (backslash, CR and LF escaped)."""

    def write(self, value: Any) -> str:
        return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")

    def read(self, text: str) -> Any:
        return re.sub(r"\\(.)", lambda match: {"n": "\n", "r": "\r"}.get(match[1], match[1]), text)


_SCHEME_RE = re.compile(r"(?P<rest>.*) \[scheme: (?P<scheme>[^\]\s]+)\]")


def _with_scheme(text: str, value: TypedValue) -> str:
    return text if value.scheme is None else f"{text} [scheme: {value.scheme}]"


def _without_scheme(text: str) -> tuple[str, str | None]:
    match = _SCHEME_RE.fullmatch(text)
    return (match["rest"], match["scheme"]) if match else (text, None)


class _Typed(_Text):
    """An open-list value, its scheme after it: ``LibraryUseOnly [scheme: http://…]``."""

    def write(self, value: TypedValue) -> str:
        return _with_scheme(super().write(value.value), value)

    def read(self, text: str) -> TypedValue:
        text, scheme = _without_scheme(text)
        return TypedValue(value=super().read(text), scheme=scheme)


@dataclass(frozen=True)
class _Closed(_Text):
    """A value of a closed list."""

    enum: type[StrEnum]

    def write(self, value: StrEnum) -> str:
        return value.value

    def read(self, text: str) -> StrEnum:
        return self.enum(text)


class _Money(_Text):
    """An amount and its currency: ``12.50 USD`` (the currency's scheme after it)."""

    def write(self, value: Costs) -> str:
        text = f"{format(value.monetary_value, 'f')} {super().write(value.currency_code.value)}"
        return _with_scheme(text, value.currency_code)

    def read(self, text: str) -> Costs:
        text, scheme = _without_scheme(text)
        amount, _, currency = text.partition(" ")
        try:
            return Costs(currency_code=TypedValue(value=super().read(currency), scheme=scheme),
                         monetary_value=Decimal(amount))
        except InvalidOperation:
            raise ValueError(f"not an amount: {amount!r}") from None


class _Agency(_Text):
    """An agency id: ``ISIL:US-BTAA`` (the type's scheme after it)."""

    def write(self, value: AgencyId) -> str:
        return _with_scheme(f"{super().write(value.type.value)}:{super().write(value.value)}", value.type)

    def read(self, text: str) -> AgencyId:
        text, scheme = _without_scheme(text)
        kind, colon, value = text.partition(":")
        if not colon:
            raise ValueError(f"not an agency id: {text!r}")
        return AgencyId(type=TypedValue(value=super().read(kind), scheme=scheme), value=super().read(value))


TEXT, TYPED, MONEY, AGENCY = _Text(), _Typed(), _Money(), _Agency()


@dataclass(frozen=True)
class _Carried:
    """One field 1.2 has less room for than 2021-2.

    ``part`` is the message's attribute holding the record (``""``: the message itself; a tuple of
    records is carried per record, its position in the label), ``attr`` the record's field. 1.2 keeps
    the first ``keep`` values of a repeatable field; a single value stays when it is not in
    ``stand_in``, which names the 1.2 value sent in its place; any other value is carried.
    """

    label: str
    part: str
    attr: str
    text: _Text = TEXT
    keep: int = 0
    stand_in: dict[Any, Any] | None = None

    def split(self, value: Any) -> tuple[Any, tuple[Any, ...]]:
        """(what 1.2 keeps in place, the values carried as lines)."""
        if isinstance(value, tuple):
            return value[: self.keep], value[self.keep :]
        if value is None:
            return None, ()
        if self.stand_in is None:
            return None, (value,)
        if value in self.stand_in:
            return self.stand_in[value], (value,)
        return value, ()

    def put_back(self, current: Any, value: Any) -> Any:
        return (*current, value) if isinstance(current, tuple) else value

    def line(self, value: Any, position: int | None) -> str:
        parent, _, child = self.label.partition("/")
        where = parent if position is None else f"{parent}[{position}]"
        return f"{CARRIED_PREFIX}{where}{'/' + child if child else ''}# {self.text.write(value)}"


_HOLD_STATUSES = {Status.HOLD_RETURN: Status.LOANED, Status.RELEASE_HOLD_RETURN: Status.LOANED}
_NEW_ACTIONS = {Action.HOLD_RETURN: Action.NOTIFICATION, Action.LOST: Action.NOTIFICATION}

_CARRIED: dict[type, tuple[_Carried, ...]] = {
    Request: (
        _Carried("header/consortialId", "header", "consortial_id", AGENCY),
        _Carried("bibliographicInfo/authorId", "bibliographic_info", "author_id"),
        _Carried("bibliographicInfo/volume", "bibliographic_info", "volumes", keep=1),
        _Carried("publicationInfo/publisherId", "publication_info", "publisher_id"),
        _Carried("serviceInfo/requestSubType", "service_info", "request_sub_types", _Closed(RequestSubType), keep=3),
        _Carried("serviceInfo/preferredEdition", "service_info", "preferred_edition", _Closed(PreferredEdition)),
        _Carried("serviceInfo/loanCondition", "service_info", "loan_conditions", TYPED),
        _Carried("requestedDeliveryInfo/deliveryMethod", "requested_delivery_infos", "delivery_method", TYPED),
        _Carried("requestedDeliveryInfo/courierName", "requested_delivery_infos", "courier_name", TYPED),
    ),
    SupplyingAgencyMessage: (
        _Carried("statusInfo/status", "status_info", "status", _Closed(Status), stand_in=_HOLD_STATUSES),
        _Carried("retryInfo/loanCondition", "retry_info", "loan_conditions", TYPED),
        _Carried("retryInfo/edition", "retry_info", "editions"),
        _Carried("retryInfo/itemFormat", "retry_info", "item_formats", TYPED),
        _Carried("retryInfo/volume", "retry_info", "volumes"),
        _Carried("retryInfo/serviceType", "retry_info", "service_type", _Closed(ServiceType)),
        _Carried("retryInfo/serviceLevel", "retry_info", "service_levels", TYPED),
        _Carried("retryInfo/deliveryMethod", "retry_info", "delivery_methods", TYPED),
        _Carried("retryInfo/courierName", "retry_info", "courier_names", TYPED),
        _Carried("retryInfo/offeredCosts", "retry_info", "offered_costs", MONEY, keep=1),
        _Carried("retryInfo/paymentMethod", "retry_info", "payment_methods", TYPED),
        _Carried("deliveryInfo/itemId", "delivery_info", "item_ids", keep=1),
        _Carried("deliveryInfo/URL", "delivery_info", "url"),
        _Carried("deliveryInfo/loanCondition", "delivery_info", "loan_conditions", TYPED, keep=1),
        _Carried("deliveryInfo/serviceType", "delivery_info", "service_type", _Closed(ServiceType)),
        _Carried("deliveryInfo/deliveryCosts", "delivery_info", "delivery_costs", MONEY, keep=1),
        _Carried("deliveryInfo/paymentMethod", "delivery_info", "payment_method", TYPED),
        _Carried("shippingInfo/courierName", "shipping_info", "courier_name", TYPED),
        _Carried("shippingInfo/trackingId", "shipping_info", "tracking_ids"),
        _Carried("shippingInfo/insurance", "shipping_info", "insurance", _Closed(YesNo)),
        _Carried("shippingInfo/insuranceThirdParty", "shipping_info", "insurance_third_party", _Closed(YesNo)),
        _Carried("shippingInfo/thirdPartyName", "shipping_info", "third_party_name"),
        _Carried("shippingInfo/insuranceCosts", "shipping_info", "insurance_costs", MONEY),
    ),
    RequestingAgencyMessage: (
        _Carried("header/consortialId", "header", "consortial_id", AGENCY),
        _Carried("action", "", "action", _Closed(Action), stand_in=_NEW_ACTIONS),
    ),
}
#: Records a carried line may need that the message left out (1.2 has no element for them).
_EMPTY_PARTS = {"retry_info": RetryInfo, "shipping_info": ShippingInfo}


# --------------------------------------------------------------------------------------
# Writing: 2021-2 message → 1.2 records
# --------------------------------------------------------------------------------------


def to_1_2(message: Message) -> Any:
    """The records :mod:`.xml` writes as 1.2 for ``message`` (see the module's docstring).

    Raises ``ValueError`` for a request that names no supplying agency: 1.2 requires one.
    """
    if isinstance(message, Request):
        if message.header.supplying_agency_id is None:
            raise ValueError("a version 1.2 request header requires the supplying agency (supplyingAgencyId)")
        message, lines = _carry(message)
        service = message.service_info
        return replace(message, header=_header(message.header), service_info=replace(
            service, note=_with_lines(service.note, lines)))
    if isinstance(message, SupplyingAgencyMessage):
        delivery = message.delivery_info
        if delivery is not None and delivery.url is not None and not delivery.item_ids:
            message = replace(message, delivery_info=replace(delivery, item_ids=(delivery.url,), url=None))
        retry = message.retry_info or RetryInfo()
        message, lines = _carry(message)
        info = message.message_info
        return replace(message, header=_header(message.header), retry_info=None, shipping_info=None,
                       message_info=MessageInfo12(
                           reason_for_message=info.reason_for_message, answer_yes_no=info.answer_yes_no,
                           note=_with_lines(info.note, lines), reason_unfilled=info.reason_unfilled,
                           reason_retry=info.reason_retry, offered_costs=next(iter(retry.offered_costs), None),
                           retry_after=retry.retry_after, retry_before=retry.retry_before))
    if isinstance(message, RequestingAgencyMessage):
        message, lines = _carry(message)
        return replace(message, header=_header(message.header), note=_with_lines(message.note, lines))
    if isinstance(message, RequestingAgencyMessageConfirmation) and message.action in _NEW_ACTIONS:
        message = replace(message, action=_NEW_ACTIONS[message.action])
    if isinstance(message, RequestConfirmation | SupplyingAgencyMessageConfirmation
                  | RequestingAgencyMessageConfirmation):
        return replace(message, error_data=_one_error(message.error_data))
    return message


def _header(header: Any) -> Header:
    return Header(
        supplying_agency_id=header.supplying_agency_id,
        requesting_agency_id=header.requesting_agency_id,
        multiple_item_request_id=getattr(header, "multiple_item_request_id", None) or "",
        timestamp=header.timestamp,
        requesting_agency_request_id=header.requesting_agency_request_id,
        supplying_agency_request_id=getattr(header, "supplying_agency_request_id", None),
        requesting_agency_authentication=getattr(header, "requesting_agency_authentication", None),
    )


def _carry(message: Any) -> tuple[Any, list[str]]:
    """``message`` with what 1.2 has no room for taken out, and the lines that carry it."""
    lines: list[str] = []
    for carried in _CARRIED[type(message)]:
        holder = getattr(message, carried.part) if carried.part else message
        records = enumerate(holder, 1) if isinstance(holder, tuple) else [(None, holder)]
        changed = []
        for position, record in records:
            if record is not None:
                kept, extra = carried.split(getattr(record, carried.attr))
                lines += [carried.line(value, position) for value in extra]
                record = replace(record, **{carried.attr: kept})
            changed.append(record)
        if not carried.part:
            message = changed[0]
        else:
            message = replace(message, **{carried.part: tuple(changed) if isinstance(holder, tuple) else changed[0]})
    return message, lines


def _with_lines(note: str | None, lines: list[str]) -> str | None:
    if not lines:
        return note
    return "\n".join(lines if note is None else [note, *lines])


def _one_error(errors: tuple[ErrorData, ...]) -> tuple[ErrorData, ...]:
    """1.2 confirmations hold one errorData: the others are joined into its errorValue."""
    if len(errors) <= 1:
        return errors
    first, *others = errors
    texts = [first.error_value or first.error_type.value]
    texts += [f"{error.error_type.value}: {error.error_value}" if error.error_value else error.error_type.value
              for error in others]
    return (replace(first, error_value="; ".join(texts)),)


# --------------------------------------------------------------------------------------
# Reading: our 1.2 form → the 2021-2 message it stood for
# --------------------------------------------------------------------------------------


def read_back(message: Message) -> Message:
    """Put back what :func:`to_1_2` carried: the lines at the end of the note, a URL sent as itemId.

    An empty ``multipleItemRequestId`` of a request is none.

    A line that names no field we carry, or holds a value that cannot be read, stays in the note.
    An ``itemId`` that is a web address (``http://``, ``https://``) and the only one is the URL.
    """
    if isinstance(message, Request):
        if message.header.multiple_item_request_id == "":  # 1.2 requires the element: empty says there is none
            message = replace(message, header=replace(message.header, multiple_item_request_id=None))
        if message.service_info is None:
            return message
        note, message = _put_back(message, message.service_info.note)
        return replace(message, service_info=replace(message.service_info, note=note))
    if isinstance(message, SupplyingAgencyMessage):
        note, message = _put_back(message, message.message_info.note)
        message = replace(message, message_info=replace(message.message_info, note=note))
        delivery = message.delivery_info
        if (delivery is not None and delivery.url is None and len(delivery.item_ids) == 1
                and re.match(r"https?://", delivery.item_ids[0], re.IGNORECASE)):
            message = replace(message, delivery_info=replace(delivery, url=delivery.item_ids[0], item_ids=()))
        return message
    if isinstance(message, RequestingAgencyMessage):
        note, message = _put_back(message, message.note)
        return replace(message, note=note)
    return message


def _put_back(message: Any, note: str | None) -> tuple[str | None, Any]:
    """(the note without its carried lines, ``message`` with their values back in place)."""
    if note is None:
        return None, message
    if note.startswith(CARRIED_PREFIX):
        body, rest = None, note
    else:
        start = note.find("\n" + CARRIED_PREFIX)
        if start < 0:
            return note, message
        body, rest = note[:start], note[start + 1 :]
    by_label = {carried.label: carried for carried in _CARRIED[type(message)]}
    unread = []
    for line in rest.split("\n"):
        match = _LINE_RE.fullmatch(line)
        carried = by_label.get("/".join(filter(None, (match["parent"], match["child"])))) if match else None
        try:
            if carried is None:
                raise ValueError(line)
            message = _put_value(message, carried, int(match["n"]) if match["n"] else None, match["text"])
        except (ValueError, TypeError, IndexError):
            unread.append(line)
    if unread:
        body = "\n".join(unread if body is None else [body, *unread])
    return body, message


def _put_value(message: Any, carried: _Carried, position: int | None, text: str) -> Any:
    value = carried.text.read(text)
    if not carried.part:
        return replace(message, **{carried.attr: carried.put_back(getattr(message, carried.attr), value)})
    holder = getattr(message, carried.part)
    if isinstance(holder, tuple):
        if position is None or not 1 <= position <= len(holder):
            raise IndexError(position)
        record = holder[position - 1]
        record = replace(record, **{carried.attr: carried.put_back(getattr(record, carried.attr), value)})
        return replace(message, **{carried.part: (*holder[: position - 1], record, *holder[position:])})
    if position is not None:
        raise IndexError(position)
    if holder is None:
        if carried.part not in _EMPTY_PARTS:
            raise ValueError(f"the message has no {carried.part}")
        holder = _EMPTY_PARTS[carried.part]()
    record = replace(holder, **{carried.attr: carried.put_back(getattr(holder, carried.attr), value)})
    return replace(message, **{carried.part: record})

