"""ISO 18626 XML codec on lxml: :func:`encode`, :func:`decode`, :func:`validate`.

Writing follows the schema of the version the ``ill:version`` attribute names, element
names and sequence order: 2021-2 from the field table ``_SPECS`` (the message types'
own shape), 1.2 (``"1.2"``, the default, which is what most peers speak; ``"1.0"`` and
``"1.1"`` are written alike) from ``_SPECS_1_2`` after :func:`.version_1_2.to_1_2` has
turned the message into 1.2's records, carrying in the note what 1.2 has no room for.
What we write validates against ``ISO-18626-2021-2.xsd`` or ``ISO-18626-v1_2.xsd``
accordingly, and :func:`validate` picks the schema by the same label.

Reading is strict where the standard has an answer for the sender and lenient where
real peers differ harmlessly:

* unknown elements raise ``UnrecognisedDataElement``; a value outside a closed list
  raises ``UnrecognisedDataValue`` (``UnsupportedActionType`` for the action of a
  requestingAgencyMessage, ``UnsupportedReasonForMessageType`` for the reasonForMessage
  of a supplyingAgencyMessage); anything else wrong raises ``BadlyFormedMessage``;
* open-list values (scheme/value pairs) are kept as they are, whatever they say;
* element order inside a parent is not enforced (each name may appear only as often as
  the schema allows), an empty optional element of a non-string type (``<action/>``)
  reads as absent, an ``xs:dateTime`` without a zone is taken as UTC and a bare date
  as midnight UTC, an unqualified ``scheme`` or ``version`` attribute is accepted;
* version 1.2 spellings are read: ``sentVia``/``deliveredFormat`` in deliveryInfo,
  ``offeredCosts``/``retryBefore``/``retryAfter`` in messageInfo (moved to retryInfo),
  and the 1.2 shared header's extra elements (``multipleItemRequestId`` in message and
  confirmation headers, ``supplyingAgencyRequestId`` in a request header,
  ``requestingAgencyAuthentication`` in a supplyingAgencyMessage header) are ignored,
  ``preferredFormat`` in serviceInfo is 2021-2's ``itemFormat``; in a document labelled
  1.x, the lines :func:`.version_1_2.to_1_2` carried in the note are put back.

Parsing is hardened: a size cap before anything is parsed, any DOCTYPE or entity
declaration refused, no DTD loading, no entity expansion, no network, no huge trees.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from lxml import etree

from .confirmations import confirmation_for, error_confirmation
from .errors import PartialHeader, ProtocolError
from .messages import (
    Action,
    AgencyId,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    ConfirmationHeader,
    Costs,
    DeliveryInfo,
    ElectronicAddress,
    ErrorData,
    ErrorType,
    Message,
    MessageInfo,
    MessageKind,
    MessageStatus,
    PatronInfo,
    PhysicalAddress,
    PreferredEdition,
    PublicationInfo,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestedDeliveryInfo,
    RequestHeader,
    RequestingAgencyAuthentication,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    RequestingAgencyMessageHeader,
    RequestSubType,
    RequestType,
    RetryInfo,
    ReturnInfo,
    ServiceInfo,
    ServiceType,
    ShippingInfo,
    Status,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    SupplyingAgencyMessageHeader,
    TypedValue,
    YesNo,
)
from .version_1_2 import Header as Header12
from .version_1_2 import MessageInfo12, read_back, to_1_2

__all__ = [
    "DEFAULT_VERSION",
    "MAX_MESSAGE_BYTES",
    "NS",
    "PREFIX",
    "SCHEMA_FILENAME",
    "SCHEMA_FILENAME_1_2",
    "VERSION_1_2",
    "VERSION_2021_2",
    "VERSION_FORMS",
    "Envelope",
    "PartialHeader",
    "ProtocolError",
    "confirmation_for",
    "decode",
    "decode_envelope",
    "encode",
    "error_confirmation",
    "form_of",
    "validate",
]

NS = "http://illtransactions.org/2013/iso18626"
PREFIX = "ill"
ROOT = "ISO18626Message"
VERSION_1_2 = "1.2"
VERSION_2021_2 = "2021-2"
DEFAULT_VERSION = VERSION_1_2
#: Bodies longer than this are refused before parsing (a large request is a few kB).
MAX_MESSAGE_BYTES = 1_000_000
SCHEMA_FILENAME = "ISO-18626-2021-2.xsd"
SCHEMA_FILENAME_1_2 = "ISO-18626-v1_2.xsd"

_BAD = ErrorType.BADLY_FORMED_MESSAGE
_UNKNOWN_ELEMENT = ErrorType.UNRECOGNISED_DATA_ELEMENT
_UNKNOWN_VALUE = ErrorType.UNRECOGNISED_DATA_VALUE


def _q(name: str) -> str:
    """Clark notation of an element or attribute name in the ISO 18626 namespace."""
    return f"{{{NS}}}{name}"


# --------------------------------------------------------------------------------------
# The field table: one entry per element of each complex type, in schema order.
# --------------------------------------------------------------------------------------


class _Scalar(Enum):
    STR = "xs:string"
    TYPED = "type_schemeValuePair"
    DATETIME = "xs:dateTime"
    DECIMAL = "xs:decimal"
    SORT_ORDER = "xs:integer >= 0"
    BOOL = "xs:boolean"
    ADDRESS = "address"


STR, TYPED, DATETIME, DECIMAL, SORT_ORDER, BOOL, ADDRESS = _Scalar


@dataclass(frozen=True)
class _Field:
    xml: str
    attr: str
    kind: Any  # a _Scalar, a StrEnum class (closed list) or a record class (complex type)
    required: bool = False
    many: bool = False
    bad_value: ErrorType = _UNKNOWN_VALUE
    #: A repeatable element's maximum (None: unbounded); checked when writing.
    most: int | None = None


def _f(
    xml: str,
    kind: Any = STR,
    *,
    attr: str | None = None,
    required: bool = False,
    many: bool = False,
    bad_value: ErrorType = _UNKNOWN_VALUE,
    most: int | None = None,
) -> _Field:
    """One element; the attribute name defaults to the element name in snake_case."""
    name = attr if attr is not None else re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", xml).lower()
    return _Field(xml, name, kind, required, many or most is not None, bad_value, most)


_SPECS: dict[type, tuple[_Field, ...]] = {
    AgencyId: (
        _f("agencyIdType", TYPED, attr="type", required=True),
        _f("agencyIdValue", attr="value", required=True),
    ),
    Costs: (
        _f("currencyCode", TYPED, required=True),
        _f("monetaryValue", DECIMAL, required=True),
    ),
    ElectronicAddress: (
        _f("electronicAddressType", TYPED, attr="type", required=True),
        _f("electronicAddressData", attr="data", required=True),
    ),
    PhysicalAddress: (
        _f("line1"),
        _f("line2"),
        _f("locality"),
        _f("postalCode"),
        _f("region"),
        _f("country", TYPED),
    ),
    RequestingAgencyAuthentication: (
        _f("accountId"),
        _f("securityCode"),
    ),
    BibliographicItemId: (
        _f("bibliographicItemIdentifierCode", TYPED, attr="code", required=True),
        _f("bibliographicItemIdentifier", attr="value", required=True),
    ),
    BibliographicRecordId: (
        _f("bibliographicRecordIdentifierCode", TYPED, attr="code", required=True),
        _f("bibliographicRecordIdentifier", attr="value", required=True),
    ),
    RequestHeader: (
        _f("supplyingAgencyId", AgencyId),
        _f("requestingAgencyId", AgencyId, required=True),
        _f("consortialId", AgencyId),
        _f("multipleItemRequestId"),
        _f("timestamp", DATETIME, required=True),
        _f("requestingAgencyRequestId", required=True),
        _f("requestingAgencyAuthentication", RequestingAgencyAuthentication),
    ),
    SupplyingAgencyMessageHeader: (
        _f("supplyingAgencyId", AgencyId, required=True),
        _f("requestingAgencyId", AgencyId, required=True),
        _f("timestamp", DATETIME, required=True),
        _f("requestingAgencyRequestId", required=True),
        _f("supplyingAgencyRequestId"),
    ),
    RequestingAgencyMessageHeader: (
        _f("supplyingAgencyId", AgencyId, required=True),
        _f("requestingAgencyId", AgencyId, required=True),
        _f("consortialId", AgencyId),
        _f("timestamp", DATETIME, required=True),
        _f("requestingAgencyRequestId", required=True),
        _f("supplyingAgencyRequestId"),
        _f("requestingAgencyAuthentication", RequestingAgencyAuthentication),
    ),
    ConfirmationHeader: (
        _f("supplyingAgencyId", AgencyId),
        _f("requestingAgencyId", AgencyId),
        _f("timestamp", DATETIME, required=True),
        _f("requestingAgencyRequestId"),
        _f("timestampReceived", DATETIME, required=True),
        _f("messageStatus", MessageStatus, required=True),
    ),
    ErrorData: (
        _f("errorType", ErrorType, required=True),
        _f("errorValue"),
    ),
    BibliographicInfo: (
        _f("supplierUniqueRecordId"),
        _f("title"),
        _f("author"),
        _f("authorId"),
        _f("subtitle"),
        _f("seriesTitle"),
        _f("edition"),
        _f("titleOfComponent"),
        _f("authorOfComponent"),
        _f("volume", attr="volumes", many=True),
        _f("issue"),
        _f("pagesRequested"),
        _f("estimatedNoPages"),
        _f("bibliographicItemId", BibliographicItemId, attr="bibliographic_item_ids", many=True),
        _f("sponsor"),
        _f("informationSource"),
        _f("bibliographicRecordId", BibliographicRecordId, attr="bibliographic_record_ids", many=True),
    ),
    PublicationInfo: (
        _f("publisher"),
        _f("publisherId"),
        _f("publicationType", TYPED),
        _f("publicationDate"),
        _f("placeOfPublication"),
    ),
    ServiceInfo: (
        _f("requestType", RequestType),
        _f("requestSubType", RequestSubType, attr="request_sub_types", many=True),
        _f("requestingAgencyPreviousRequestId"),
        _f("serviceType", ServiceType, required=True),
        _f("serviceLevel", TYPED),
        _f("itemFormat", TYPED),
        _f("needBeforeDate", DATETIME),
        _f("copyrightCompliance", TYPED),
        _f("anyEdition", YesNo),
        _f("preferredEdition", PreferredEdition),
        _f("loanCondition", TYPED, attr="loan_conditions", many=True),
        _f("startDate", DATETIME),
        _f("endDate", DATETIME),
        _f("note"),
    ),
    SupplierInfo: (
        _f("sortOrder", SORT_ORDER),
        _f("supplierCode", AgencyId),
        _f("supplierDescription"),
        _f("bibliographicRecordId", BibliographicRecordId),
        _f("callNumber"),
        _f("summaryHoldings"),
        _f("availabilityNote"),
    ),
    RequestedDeliveryInfo: (
        _f("sortOrder", SORT_ORDER),
        _f("address", ADDRESS),
        _f("deliveryMethod", TYPED),
        _f("courierName", TYPED),
    ),
    RequestingAgencyInfo: (
        _f("name"),
        _f("contactName"),
        _f("address", ADDRESS, attr="addresses", many=True),
    ),
    PatronInfo: (
        _f("patronId"),
        _f("surname"),
        _f("givenName"),
        _f("patronType", TYPED),
        _f("sendToPatron", YesNo),
        _f("address", ADDRESS, attr="addresses", many=True),
    ),
    BillingInfo: (
        _f("paymentMethod", TYPED),
        _f("maximumCosts", Costs),
        _f("billingMethod", TYPED),
        _f("billingName"),
        _f("address", ADDRESS),
    ),
    Request: (
        _f("header", RequestHeader, required=True),
        _f("bibliographicInfo", BibliographicInfo, required=True),
        _f("publicationInfo", PublicationInfo),
        _f("serviceInfo", ServiceInfo, required=True),
        _f("supplierInfo", SupplierInfo, attr="supplier_infos", many=True),
        _f("requestedDeliveryInfo", RequestedDeliveryInfo, attr="requested_delivery_infos", many=True),
        _f("requestingAgencyInfo", RequestingAgencyInfo),
        _f("patronInfo", PatronInfo),
        _f("billingInfo", BillingInfo),
    ),
    MessageInfo: (
        _f(
            "reasonForMessage",
            ReasonForMessage,
            required=True,
            bad_value=ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE,
        ),
        _f("answerYesNo", YesNo),
        _f("note"),
        _f("reasonUnfilled", TYPED),
        _f("reasonRetry", TYPED),
    ),
    StatusInfo: (
        _f("status", Status, required=True),
        _f("expectedDeliveryDate", DATETIME),
        _f("dueDate", DATETIME),
        _f("lastChange", DATETIME, required=True),
    ),
    RetryInfo: (
        _f("loanCondition", TYPED, attr="loan_conditions", many=True),
        _f("edition", attr="editions", many=True),
        _f("itemFormat", TYPED, attr="item_formats", many=True),
        _f("volume", attr="volumes", many=True),
        _f("serviceType", ServiceType),
        _f("serviceLevel", TYPED, attr="service_levels", many=True),
        _f("deliveryMethod", TYPED, attr="delivery_methods", many=True),
        _f("courierName", TYPED, attr="courier_names", many=True),
        _f("offeredCosts", Costs, many=True),
        _f("paymentMethod", TYPED, attr="payment_methods", many=True),
        _f("retryBefore", DATETIME),
        _f("retryAfter", DATETIME),
    ),
    DeliveryInfo: (
        _f("dateSent", DATETIME, required=True),
        _f("itemId", attr="item_ids", many=True),
        _f("URL", attr="url"),
        _f("deliveryMethod", TYPED),
        _f("address", ADDRESS),
        _f("sentToPatron", BOOL),
        _f("loanCondition", TYPED, attr="loan_conditions", many=True),
        _f("itemFormat", TYPED),
        _f("serviceType", ServiceType),
        _f("deliveryCosts", Costs, many=True),
        _f("paymentMethod", TYPED),
    ),
    ShippingInfo: (
        _f("courierName", TYPED),
        _f("trackingId", attr="tracking_ids", many=True),
        _f("insurance", YesNo),
        _f("insuranceThirdParty", YesNo),
        _f("thirdPartyName"),
        _f("insuranceCosts", Costs, many=True),
    ),
    ReturnInfo: (
        _f("returnAgencyId", AgencyId),
        _f("name"),
        _f("physicalAddress", PhysicalAddress),
    ),
    SupplyingAgencyMessage: (
        _f("header", SupplyingAgencyMessageHeader, required=True),
        _f("messageInfo", MessageInfo, required=True),
        _f("statusInfo", StatusInfo, required=True),
        _f("retryInfo", RetryInfo),
        _f("deliveryInfo", DeliveryInfo),
        _f("shippingInfo", ShippingInfo),
        _f("returnInfo", ReturnInfo),
    ),
    RequestingAgencyMessage: (
        _f("header", RequestingAgencyMessageHeader, required=True),
        _f("action", Action, required=True, bad_value=ErrorType.UNSUPPORTED_ACTION_TYPE),
        _f("note"),
    ),
    RequestConfirmation: (
        _f("confirmationHeader", ConfirmationHeader, attr="header", required=True),
        _f("errorData", ErrorData, many=True),
    ),
    SupplyingAgencyMessageConfirmation: (
        _f("confirmationHeader", ConfirmationHeader, attr="header", required=True),
        _f("reasonForMessage", ReasonForMessage),
        _f("errorData", ErrorData, many=True),
    ),
    RequestingAgencyMessageConfirmation: (
        _f("confirmationHeader", ConfirmationHeader, attr="header", required=True),
        _f("action", Action),
        _f("errorData", ErrorData, many=True),
    ),
}

_CLASS_BY_KIND: dict[MessageKind, type] = {
    MessageKind.REQUEST: Request,
    MessageKind.REQUEST_CONFIRMATION: RequestConfirmation,
    MessageKind.SUPPLYING_AGENCY_MESSAGE: SupplyingAgencyMessage,
    MessageKind.SUPPLYING_AGENCY_MESSAGE_CONFIRMATION: SupplyingAgencyMessageConfirmation,
    MessageKind.REQUESTING_AGENCY_MESSAGE: RequestingAgencyMessage,
    MessageKind.REQUESTING_AGENCY_MESSAGE_CONFIRMATION: RequestingAgencyMessageConfirmation,
}
_KIND_BY_CLASS: dict[type, MessageKind] = {cls: kind for kind, cls in _CLASS_BY_KIND.items()}
_KIND_NAMES = frozenset(kind.value for kind in MessageKind)

_ADDRESS_CHOICE: dict[str, type] = {"electronicAddress": ElectronicAddress, "physicalAddress": PhysicalAddress}
_ADDRESS_NAME: dict[type, str] = {cls: name for name, cls in _ADDRESS_CHOICE.items()}

# Version 1.2 spellings read on decode (never written).
_ALIASES: dict[type, Mapping[str, str]] = {
    DeliveryInfo: {"sentVia": "deliveryMethod", "deliveredFormat": "itemFormat"},
    ServiceInfo: {"preferredFormat": "itemFormat"},
}
_LEGACY_MESSAGE_INFO: tuple[_Field, ...] = (
    _f("offeredCosts", Costs, many=True),
    _f("retryAfter", DATETIME),
    _f("retryBefore", DATETIME),
)
_IGNORED: dict[type, frozenset[str]] = {
    RequestHeader: frozenset({"supplyingAgencyRequestId"}),
    SupplyingAgencyMessageHeader: frozenset({"multipleItemRequestId", "requestingAgencyAuthentication"}),
    RequestingAgencyMessageHeader: frozenset({"multipleItemRequestId"}),
    ConfirmationHeader: frozenset({"multipleItemRequestId"}),
    MessageInfo: frozenset(field.xml for field in _LEGACY_MESSAGE_INFO),
}


# --------------------------------------------------------------------------------------
# The 1.2 field table: the types 1.2 writes differently, in ISO-18626-v1_2.xsd's order.
# version_1_2.to_1_2 first turns a message into these records; every other type is 2021-2's.
# --------------------------------------------------------------------------------------

_SPECS_1_2: dict[type, tuple[_Field, ...]] = {
    **_SPECS,
    Header12: (
        _f("supplyingAgencyId", AgencyId, required=True),
        _f("requestingAgencyId", AgencyId, required=True),
        _f("multipleItemRequestId", required=True),
        _f("timestamp", DATETIME, required=True),
        _f("requestingAgencyRequestId", required=True),
        _f("supplyingAgencyRequestId"),
        _f("requestingAgencyAuthentication", RequestingAgencyAuthentication),
    ),
    BibliographicItemId: (
        _f("bibliographicItemIdentifier", attr="value", required=True),
        _f("bibliographicItemIdentifierCode", TYPED, attr="code", required=True),
    ),
    BibliographicInfo: tuple(
        replace(field, most=1) if field.xml == "volume" else field
        for field in _SPECS[BibliographicInfo]
        if field.xml != "authorId"
    ),
    PublicationInfo: tuple(field for field in _SPECS[PublicationInfo] if field.xml != "publisherId"),
    ServiceInfo: (
        _f("requestType", RequestType),
        _f("requestSubType", RequestSubType, attr="request_sub_types", most=3),
        _f("requestingAgencyPreviousRequestId"),
        _f("serviceType", ServiceType, required=True),
        _f("serviceLevel", TYPED),
        _f("preferredFormat", TYPED, attr="item_format"),
        _f("needBeforeDate", DATETIME),
        _f("copyrightCompliance", TYPED),
        _f("anyEdition", YesNo),
        _f("startDate", DATETIME),
        _f("endDate", DATETIME),
        _f("note"),
    ),
    RequestedDeliveryInfo: (
        _f("sortOrder", SORT_ORDER),
        _f("address", ADDRESS),
    ),
    Request: tuple(
        _f("header", Header12, required=True) if field.xml == "header"
        else replace(field, required=False) if field.xml == "serviceInfo"
        else field
        for field in _SPECS[Request]
    ),
    MessageInfo12: (
        *_SPECS[MessageInfo],
        _f("offeredCosts", Costs),
        _f("retryAfter", DATETIME),
        _f("retryBefore", DATETIME),
    ),
    DeliveryInfo: (
        _f("dateSent", DATETIME, required=True),
        _f("itemId", attr="item_ids", most=1),
        _f("sentVia", TYPED, attr="delivery_method"),
        _f("sentToPatron", BOOL),
        _f("loanCondition", TYPED, attr="loan_conditions", most=1),
        _f("deliveredFormat", TYPED, attr="item_format"),
        _f("deliveryCosts", Costs, most=1),
    ),
    SupplyingAgencyMessage: (
        _f("header", Header12, required=True),
        _f("messageInfo", MessageInfo12, required=True),
        _f("statusInfo", StatusInfo, required=True),
        _f("deliveryInfo", DeliveryInfo),
        _f("returnInfo", ReturnInfo),
    ),
    RequestingAgencyMessage: (
        _f("header", Header12, required=True),
        *_SPECS[RequestingAgencyMessage][1:],
    ),
    **{
        confirmation: tuple(
            replace(field, most=1) if field.xml == "errorData" else field for field in _SPECS[confirmation]
        )
        for confirmation in (RequestConfirmation, SupplyingAgencyMessageConfirmation,
                             RequestingAgencyMessageConfirmation)
    },
}


@dataclass(frozen=True)
class _Form:
    """How one version is written: its field table, and what turns a message into its records."""

    specs: dict[type, tuple[_Field, ...]]
    shape: Callable[[Message], Any]
    schema_file: str


_FORMS: dict[str, _Form] = {
    VERSION_2021_2: _Form(_SPECS, lambda message: message, SCHEMA_FILENAME),
    VERSION_1_2: _Form(_SPECS_1_2, to_1_2, SCHEMA_FILENAME_1_2),
}
#: The ill:version labels we write and read, and the version whose form each stands for.
VERSION_FORMS: dict[str, str] = {
    "1.0": VERSION_1_2,
    "1.1": VERSION_1_2,
    VERSION_1_2: VERSION_1_2,
    "2021": VERSION_2021_2,
    VERSION_2021_2: VERSION_2021_2,
}


def form_of(version: str | None) -> str | None:
    """The version whose schema a ``ill:version`` label names (``"1.2"`` or ``"2021-2"``), None if unknown.

    1.0 and 1.1 are read and written as 1.2 (1.2 only added optional elements and
    ``multipleItemRequestId``); ``2021`` is 2021-2.
    """
    return VERSION_FORMS.get(version.strip()) if isinstance(version, str) else None


# --------------------------------------------------------------------------------------
# Lexical forms
# --------------------------------------------------------------------------------------

_DATETIME_RE = re.compile(
    r"(?P<year>\d{4,})-(?P<month>\d\d)-(?P<day>\d\d)"
    r"(?:T(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d\d:\d\d)?"
)
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_INTEGER_RE = re.compile(r"[+-]?\d+")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _format_datetime(value: datetime) -> str:
    """xs:dateTime in UTC with a 'Z', at the shortest exact precision (decode gives back an equal instant)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got {value!r}")
    micro = value.microsecond
    timespec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def _parse_datetime(text: str, path: str) -> datetime:
    """Read xs:dateTime (and, leniently, a bare date or a zoneless value, both as UTC)."""
    match = _DATETIME_RE.fullmatch(text.strip())
    if match is None:
        raise ProtocolError(_BAD, f"{path}: {_short(text)} is not an xs:dateTime")
    parts = match.groupdict()
    try:
        zone = UTC
        if parts["zone"] and parts["zone"] != "Z":
            sign = -1 if parts["zone"][0] == "-" else 1
            hours, minutes = int(parts["zone"][1:3]), int(parts["zone"][4:6])
            if hours > 14 or minutes > 59:
                raise ValueError("time zone offset out of range")
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        hour, minute, second = (int(parts[name] or 0) for name in ("hour", "minute", "second"))
        fraction = parts["fraction"] or ""
        next_day = hour == 24 and minute == 0 and second == 0 and not fraction.strip("0")
        value = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            0 if next_day else hour,
            minute,
            second,
            int((fraction + "000000")[:6]),
            tzinfo=zone,
        )
        return value + timedelta(days=1) if next_day else value
    except (ValueError, OverflowError):
        raise ProtocolError(_BAD, f"{path}: {_short(text)} is not a valid date and time") from None


def _clip(value: str, limit: int = 80) -> str:
    """A value cut to ``limit`` characters, for error messages."""
    return value if len(value) <= limit else value[:limit] + "…"


def _short(value: str, limit: int = 80) -> str:
    """repr() of a value cut to ``limit`` characters, for error messages."""
    return repr(_clip(value, limit))


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------


def encode(message: Message, *, version: str = DEFAULT_VERSION, pretty_print: bool = False) -> bytes:
    """Serialise one message as a UTF-8 ISO18626Message document in the form of ``version``.

    Promises: ``ill:version`` is set to ``version`` and the output validates against the
    schema it names (:func:`form_of`): 2021-2's element names and order for ``2021-2``;
    1.2's for ``1.2`` and the older labels ``1.0`` and ``1.1``, with what 1.2 has no room
    for carried in the note (:mod:`.version_1_2`). ``decode(encode(m, version=v)) == m``
    for every valid message ``m`` that ``v`` can carry. Raises ``TypeError`` for an object
    that is not one of the six message types (or a field of the wrong type) and
    ``ValueError`` for a version we do not write or a value the schema cannot carry (a
    missing required field, a value outside a closed list, a naive datetime, a character
    XML cannot hold).
    """
    kind = _KIND_BY_CLASS.get(type(message))
    if kind is None:
        raise TypeError(f"not an ISO 18626 message: {type(message).__name__}")
    if not isinstance(version, str) or not version:
        raise ValueError("version must be a non-empty string")
    written = form_of(version)
    if written is None:
        known = ", ".join(VERSION_FORMS)
        raise ValueError(f"ISO 18626 version {version!r} is not one we write ({known})")
    form = _FORMS[written]
    root = etree.Element(_q(ROOT), nsmap={PREFIX: NS})
    root.set(_q("version"), version)
    _write_record(root, kind.value, form.shape(message), form.specs)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty_print)


def _write_record(parent: etree._Element, name: str, record: object, specs: Mapping[type, tuple[_Field, ...]]) -> None:
    element = etree.SubElement(parent, _q(name))
    for field in specs[type(record)]:
        value = getattr(record, field.attr)
        if field.many:
            if field.most is not None and len(value) > field.most:
                raise ValueError(f"{type(record).__name__}.{field.attr} holds {len(value)} values, "
                                 f"at most {field.most} fit here")
            for item in value:
                _write_value(element, field, item, type(record), specs)
        elif value is None:
            if field.required:
                raise ValueError(f"{type(record).__name__}.{field.attr} is required")
        else:
            _write_value(element, field, value, type(record), specs)


def _write_value(
    parent: etree._Element, field: _Field, value: Any, owner: type, specs: Mapping[type, tuple[_Field, ...]]
) -> None:
    where = f"{owner.__name__}.{field.attr}"
    kind = field.kind
    if kind is ADDRESS:
        name = _ADDRESS_NAME.get(type(value))
        if name is None:
            raise TypeError(f"{where} must be an ElectronicAddress or a PhysicalAddress, got {type(value).__name__}")
        _write_record(etree.SubElement(parent, _q("address")), name, value, specs)
        return
    if isinstance(kind, type) and kind in specs:
        if type(value) is not kind:
            raise TypeError(f"{where} must be a {kind.__name__}, got {type(value).__name__}")
        _write_record(parent, field.xml, value, specs)
        return
    element = etree.SubElement(parent, _q(field.xml))
    if kind is STR:
        if not isinstance(value, str):
            raise TypeError(f"{where} must be a str, got {type(value).__name__}")
        element.text = value
    elif kind is TYPED:
        if not isinstance(value, TypedValue):
            raise TypeError(f"{where} must be a TypedValue, got {type(value).__name__}")
        element.text = value.value
        if value.scheme is not None:
            element.set(_q("scheme"), value.scheme)
    elif kind is DATETIME:
        element.text = _format_datetime(value)
    elif kind is DECIMAL:
        element.text = format(Decimal(value), "f")
    elif kind is SORT_ORDER:
        element.text = str(int(value))
    elif kind is BOOL:
        element.text = "true" if value else "false"
    elif isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            element.text = kind(value).value
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a {kind.__name__}") from None
    else:  # pragma: no cover - the table above only uses the kinds handled here
        raise AssertionError(f"unknown kind {kind!r}")


# --------------------------------------------------------------------------------------
# Parsing (hardened)
# --------------------------------------------------------------------------------------

_FORBIDDEN_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")


def _hardened_parser() -> etree.XMLParser:
    """A new parser (lxml parsers are not thread-safe) with every external or expanding feature off."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=False,
    )


def _parse(data: bytes, max_bytes: int) -> etree._Element:
    """Parse a body into its root element, or raise ProtocolError(BadlyFormedMessage)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"an ISO 18626 body must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise ProtocolError(_BAD, f"the message is {len(data)} bytes long, more than the {max_bytes} allowed")
    if not data.strip():
        raise ProtocolError(_BAD, "the message is empty")
    # First line of defence, before libxml2 sees a DTD at all (ASCII-compatible encodings).
    if any(declaration in data for declaration in _FORBIDDEN_DECLARATIONS):
        raise ProtocolError(_BAD, "DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise ProtocolError(_BAD, f"not well-formed XML: {_short(str(exc.msg), 200)}") from None
    # Second line: a DOCTYPE in an encoding the byte scan cannot see (UTF-16, UTF-32).
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ProtocolError(_BAD, "DOCTYPE and entity declarations are not allowed")
    return root


def _elements(parent: etree._Element) -> Iterator[etree._Element]:
    """Element children, without comments and processing instructions."""
    return (child for child in parent if isinstance(child.tag, str))


def _name(element: etree._Element) -> tuple[str | None, str]:
    qname = etree.QName(element)
    return qname.namespace, qname.localname


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """A decoded document: the ill:version attribute and the one message it carries."""

    version: str
    message: Message


def decode(data: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Message:
    """Read one ISO18626Message document and return the message it carries.

    Promises: the inverse of :func:`encode` (``decode(encode(m)) == m``); never loads a
    DTD, an external entity or anything from the network; raises :class:`ProtocolError`
    with the errorType to answer with, and with ``partial_header`` holding whatever
    header fields could be read. Use :func:`decode_envelope` to also get the version.
    """
    return decode_envelope(data, max_bytes=max_bytes).message


def decode_envelope(
    data: bytes,
    *,
    max_bytes: int = MAX_MESSAGE_BYTES,
    prepare: Callable[[etree._Element], object] | None = None,
) -> Envelope:
    """Like :func:`decode`, but returns the ``ill:version`` attribute with the message.

    ``prepare``, when given, is called with the parsed root element before anything is read
    from it and may change the tree (:mod:`.repairs` normalises a lenient partner's message so);
    the partial header of an error is read from the tree as ``prepare`` left it.
    """
    root = _parse(data, max_bytes)
    if prepare is not None:
        prepare(root)
    try:
        return _decode_root(root)
    except ProtocolError as exc:
        exc.partial_header = _read_partial_header(root)
        raise
    except (ValueError, TypeError) as exc:  # a message type refused a value the reader let through
        raise ProtocolError(_BAD, f"invalid value: {_short(str(exc), 200)}", _read_partial_header(root)) from exc


def _decode_root(root: etree._Element) -> Envelope:
    namespace, local = _name(root)
    if local != ROOT:
        raise ProtocolError(_BAD, f"the root element is <{_clip(local)}>, not <{ROOT}>")
    if namespace != NS:
        where = f"in namespace {_short(namespace)}" if namespace else "in no namespace"
        raise ProtocolError(_BAD, f"the root element is {where}, not in {NS!r}")
    version = _read_version(root)
    if version is None:
        raise ProtocolError(_BAD, f"{ROOT} has no ill:version attribute")
    children = list(_elements(root))
    for child in children:
        child_namespace, child_local = _name(child)
        if child_namespace != NS or child_local not in _KIND_NAMES:
            raise ProtocolError(_UNKNOWN_ELEMENT, f"{ROOT}: unexpected element <{_clip(child_local)}>")
    if len(children) != 1:
        raise ProtocolError(_BAD, f"{ROOT} must contain exactly one message, found {len(children)}")
    kind = MessageKind(_name(children[0])[1])
    if kind is MessageKind.REQUEST and form_of(version) == VERSION_1_2 and children[0].find(_q("serviceInfo")) is None:
        message = _request_without_service_info(children[0])
    else:
        message = _read_record(_CLASS_BY_KIND[kind], children[0], kind.value)
    if isinstance(message, SupplyingAgencyMessage):
        message = _with_legacy_retry_info(message, children[0])
    if form_of(version) == VERSION_1_2:
        message = read_back(message)
    return Envelope(version=version, message=message)


def _request_without_service_info(element: etree._Element) -> Request:
    """A 1.x request may leave out ``serviceInfo`` (2021-2 requires it): it asks for neither form in particular.

    Read as ``serviceType`` CopyOrLoan, the value that says so, and nothing else of serviceInfo.
    """
    path = MessageKind.REQUEST.value
    specs = tuple(replace(field, required=False) if field.xml == "serviceInfo" else field for field in _SPECS[Request])
    groups = _group_children(element, path, specs, _ALIASES.get(Request, {}), _IGNORED.get(Request, frozenset()))
    values = _read_fields(specs, groups, path)
    values["service_info"] = ServiceInfo(service_type=ServiceType.COPY_OR_LOAN)
    return Request(**values)


def _read_version(root: etree._Element) -> str | None:
    version = root.get(_q("version"))
    return version if version is not None else root.get("version")


def _read_record(cls: type, element: etree._Element, path: str) -> Any:
    """Read a complex-type element into ``cls``, checking names and occurrence counts."""
    specs = _SPECS[cls]
    groups = _group_children(element, path, specs, _ALIASES.get(cls, {}), _IGNORED.get(cls, frozenset()))
    return cls(**_read_fields(specs, groups, path))


def _group_children(
    element: etree._Element,
    path: str,
    specs: tuple[_Field, ...],
    aliases: Mapping[str, str],
    ignored: frozenset[str],
    *,
    skip_unknown: bool = False,
) -> dict[str, list[etree._Element]]:
    known = {field.xml for field in specs}
    groups: dict[str, list[etree._Element]] = {}
    for child in _elements(element):
        namespace, local = _name(child)
        name = aliases.get(local, local) if namespace == NS else None
        if name in known:
            groups.setdefault(name, []).append(child)
        elif skip_unknown or (namespace == NS and local in ignored):
            continue
        else:
            raise ProtocolError(_UNKNOWN_ELEMENT, f"{path}: unexpected element <{_clip(local)}>")
    return groups


def _read_fields(
    specs: tuple[_Field, ...], groups: Mapping[str, list[etree._Element]], path: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in specs:
        found = groups.get(field.xml, [])
        where = f"{path}/{field.xml}"
        if field.many:
            items = (_read_value(field, element, where, optional=True) for element in found)
            values[field.attr] = tuple(item for item in items if item is not None)
            continue
        if len(found) > 1:
            raise ProtocolError(_BAD, f"{where} occurs {len(found)} times, at most once is allowed")
        value = _read_value(field, found[0], where, optional=not field.required) if found else None
        if value is None:
            if field.required:
                raise ProtocolError(_BAD, f"{where} is missing")
            continue
        values[field.attr] = value
    return values


def _read_value(field: _Field, element: etree._Element, path: str, *, optional: bool) -> Any:
    """Read one element; ``None`` for an empty optional element of a non-string type."""
    kind = field.kind
    if kind is ADDRESS:
        return _read_address(element, path, optional=optional)
    if isinstance(kind, type) and kind in _SPECS:
        return _read_record(kind, element, path)
    text = _simple_text(element, path)
    if kind is STR:
        return text
    if kind is TYPED:
        scheme = element.get(_q("scheme"))
        return TypedValue(value=text, scheme=scheme if scheme is not None else element.get("scheme"))
    token = text.strip()
    if not token and optional:
        return None
    if kind is DATETIME:
        return _parse_datetime(token, path)
    if kind is DECIMAL:
        if not _DECIMAL_RE.fullmatch(token):
            raise ProtocolError(_BAD, f"{path}: {_short(token)} is not an xs:decimal")
        try:
            return Decimal(token)
        except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
            raise ProtocolError(_BAD, f"{path}: {_short(token)} is not an xs:decimal") from None
    if kind is SORT_ORDER:
        if not _INTEGER_RE.fullmatch(token) or int(token) < 0:
            raise ProtocolError(_BAD, f"{path}: {_short(token)} is not a non-negative integer")
        return int(token)
    if kind is BOOL:
        if token not in _BOOLEANS:
            raise ProtocolError(_BAD, f"{path}: {_short(token)} is not an xs:boolean")
        return _BOOLEANS[token]
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(token)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise ProtocolError(
                field.bad_value, f"{path}: {_short(token)} is not one of the allowed values ({allowed})"
            ) from None
    raise AssertionError(f"unknown kind {kind!r}")  # pragma: no cover


def _simple_text(element: etree._Element, path: str) -> str:
    """The text of a simple-type element (comments ignored); child elements are not allowed."""
    for child in _elements(element):
        raise ProtocolError(_UNKNOWN_ELEMENT, f"{path}: unexpected element <{_clip(_name(child)[1])}>")
    return "".join(element.itertext())


def _read_address(element: etree._Element, path: str, *, optional: bool) -> Any:
    groups = _group_children(element, path, tuple(_f(name) for name in _ADDRESS_CHOICE), {}, frozenset())
    found = [(name, child) for name, children in groups.items() for child in children]
    if not found and optional:
        return None
    if len(found) != 1:
        raise ProtocolError(_BAD, f"{path} must hold exactly one of electronicAddress or physicalAddress")
    name, child = found[0]
    return _read_record(_ADDRESS_CHOICE[name], child, f"{path}/{name}")


def _with_legacy_retry_info(message: SupplyingAgencyMessage, element: etree._Element) -> SupplyingAgencyMessage:
    """Move 1.2's messageInfo/offeredCosts, retryBefore and retryAfter into retryInfo."""
    message_info = element.find(_q("messageInfo"))
    if message_info is None:  # pragma: no cover - messageInfo is required and was read already
        return message
    path = f"{MessageKind.SUPPLYING_AGENCY_MESSAGE.value}/messageInfo"
    groups = _group_children(message_info, path, _LEGACY_MESSAGE_INFO, {}, frozenset(), skip_unknown=True)
    if not groups:
        return message
    legacy = _read_fields(_LEGACY_MESSAGE_INFO, groups, path)
    retry = message.retry_info or RetryInfo()
    retry = replace(
        retry,
        offered_costs=retry.offered_costs + legacy.get("offered_costs", ()),
        retry_before=retry.retry_before or legacy.get("retry_before"),
        retry_after=retry.retry_after or legacy.get("retry_after"),
    )
    return replace(message, retry_info=retry)


def _read_partial_header(root: etree._Element) -> PartialHeader:
    """Best effort: every header field that can be read on its own, for the error confirmation."""
    if _name(root)[1] != ROOT:
        return PartialHeader()
    version = _read_version(root)
    child = next(
        (
            element
            for element in _elements(root)
            if _name(element)[0] == NS and _name(element)[1] in _KIND_NAMES
        ),
        None,
    )
    if child is None:
        return PartialHeader(version=version)
    kind = MessageKind(_name(child)[1])
    values: dict[str, Any] = {}
    header = child.find(_q("confirmationHeader" if kind.is_confirmation else "header"))
    readers: tuple[tuple[str, str, Any], ...] = (
        ("supplyingAgencyId", "supplying_agency_id", AgencyId),
        ("requestingAgencyId", "requesting_agency_id", AgencyId),
        ("timestamp", "timestamp", DATETIME),
        ("requestingAgencyRequestId", "requesting_agency_request_id", STR),
        ("supplyingAgencyRequestId", "supplying_agency_request_id", STR),
    )
    if header is not None:
        for xml_name, attr, kind_of_value in readers:
            values[attr] = _try_read(header, xml_name, kind_of_value)
    if kind in (MessageKind.REQUESTING_AGENCY_MESSAGE, MessageKind.REQUESTING_AGENCY_MESSAGE_CONFIRMATION):
        values["action"] = _try_read(child, "action", Action)
    elif kind is MessageKind.SUPPLYING_AGENCY_MESSAGE:
        message_info = child.find(_q("messageInfo"))
        if message_info is not None:
            values["reason_for_message"] = _try_read(message_info, "reasonForMessage", ReasonForMessage)
    elif kind is MessageKind.SUPPLYING_AGENCY_MESSAGE_CONFIRMATION:
        values["reason_for_message"] = _try_read(child, "reasonForMessage", ReasonForMessage)
    return PartialHeader(kind=kind, version=version, **values)


def _try_read(parent: etree._Element, xml_name: str, kind: Any) -> Any:
    """The value of the first ``xml_name`` child of ``parent``, or None if absent or unreadable."""
    element = parent.find(_q(xml_name))
    if element is None:
        return None
    try:
        return _read_value(_f(xml_name, kind), element, xml_name, optional=True)
    except (ProtocolError, ValueError, TypeError):
        return None


# --------------------------------------------------------------------------------------
# Schema validation
# --------------------------------------------------------------------------------------

_SCHEMA_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load_schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(path, parser))


def validate(
    data: bytes,
    schema_dir: Path,
    *,
    schema_file: str | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> list[str]:
    """Validate a body against the official XSD in ``schema_dir``; return the problems found.

    The schema is the one the document's ``ill:version`` names (:func:`form_of`):
    ``ISO-18626-v1_2.xsd`` for 1.2 (and 1.0, 1.1), ``ISO-18626-2021-2.xsd`` for 2021-2 and
    for a document without the attribute (which that schema then refuses); a label naming
    neither is a problem of its own. ``schema_file`` names the schema instead.

    Promises: an empty list means the document is well-formed, free of DOCTYPE and
    entity declarations, within ``max_bytes``, and valid against the schema; otherwise
    one string per problem ("line N: message"). The schema is parsed once per path and
    cached. Raises ``OSError`` (or ``lxml.etree.XMLSchemaParseError``) when the schema
    file cannot be read.
    """
    try:
        root = _parse(data, max_bytes)
    except ProtocolError as exc:
        return [exc.message]
    if schema_file is None:
        version = _read_version(root)
        written = VERSION_2021_2 if version is None else form_of(version)
        if written is None:
            return [f"ill:version {_short(version)} names no version we have a schema for "
                    f"({', '.join(VERSION_FORMS)})"]
        schema_file = _FORMS[written].schema_file
    schema = _load_schema(str((Path(schema_dir) / schema_file).resolve()))
    with _SCHEMA_LOCK:  # an XMLSchema object is not safe to use from two threads at once
        if schema.validate(root):
            return []
        return [f"line {entry.line}: {entry.message}" for entry in schema.error_log]
