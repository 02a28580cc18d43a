"""ISO 18626 messages as plain Python values.

One frozen, keyword-only dataclass per complex type of the 2021-2 schema
(``shared/iso18626/ISO-18626-2021-2.xsd``), fields in schema order, named in
snake_case after the XML elements. Repeatable elements are tuples (lists given to a
constructor are turned into tuples), optional ones default to ``None``.

Closed code lists of the schema are :class:`enum.StrEnum` classes; open code lists
(scheme/value pairs such as agencyIdType, reasonUnfilled, deliveryMethod, currencyCode)
are :class:`TypedValue` and accept any value. Every ``xs:dateTime`` is an aware
:class:`datetime.datetime`: constructing a message with a naive one raises ``ValueError``.

Nothing here knows about XML; :mod:`requests_app.iso18626.xml` is the codec.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, TypeAlias

__all__ = [
    "Action",
    "Address",
    "AgencyId",
    "BibliographicInfo",
    "BibliographicItemId",
    "BibliographicRecordId",
    "BillingInfo",
    "Confirmation",
    "ConfirmationHeader",
    "Costs",
    "DeliveryInfo",
    "ElectronicAddress",
    "ErrorData",
    "ErrorType",
    "IncomingMessage",
    "Message",
    "MessageInfo",
    "MessageKind",
    "MessageStatus",
    "PatronInfo",
    "PhysicalAddress",
    "PreferredEdition",
    "PublicationInfo",
    "ReasonForMessage",
    "Request",
    "RequestConfirmation",
    "RequestHeader",
    "RequestSubType",
    "RequestType",
    "RequestedDeliveryInfo",
    "RequestingAgencyAuthentication",
    "RequestingAgencyInfo",
    "RequestingAgencyMessage",
    "RequestingAgencyMessageConfirmation",
    "RequestingAgencyMessageHeader",
    "RetryInfo",
    "ReturnInfo",
    "ServiceInfo",
    "ServiceType",
    "ShippingInfo",
    "Status",
    "StatusInfo",
    "SupplierInfo",
    "SupplyingAgencyMessage",
    "SupplyingAgencyMessageConfirmation",
    "SupplyingAgencyMessageHeader",
    "TypedValue",
    "YesNo",
]


# --------------------------------------------------------------------------------------
# Closed code lists (xs:enumeration in the schema). Values are the schema's spelling.
# --------------------------------------------------------------------------------------


class Status(StrEnum):
    """type_status: the supplying agency's status of the request."""

    REQUEST_RECEIVED = "RequestReceived"
    EXPECT_TO_SUPPLY = "ExpectToSupply"
    WILL_SUPPLY = "WillSupply"
    LOANED = "Loaned"
    OVERDUE = "Overdue"
    RECALLED = "Recalled"
    RETRY_POSSIBLE = "RetryPossible"
    UNFILLED = "Unfilled"
    HOLD_RETURN = "HoldReturn"
    RELEASE_HOLD_RETURN = "ReleaseHoldReturn"
    COPY_COMPLETED = "CopyCompleted"
    LOAN_COMPLETED = "LoanCompleted"
    COMPLETED_WITHOUT_RETURN = "CompletedWithoutReturn"
    CANCELLED = "Cancelled"


class ReasonForMessage(StrEnum):
    """type_reasonForMessage: why the supplying agency sends a message."""

    REQUEST_RESPONSE = "RequestResponse"
    STATUS_REQUEST_RESPONSE = "StatusRequestResponse"
    RENEW_RESPONSE = "RenewResponse"
    CANCEL_RESPONSE = "CancelResponse"
    STATUS_CHANGE = "StatusChange"
    NOTIFICATION = "Notification"


class Action(StrEnum):
    """type_action: what the requesting agency tells or asks the supplying agency."""

    STATUS_REQUEST = "StatusRequest"
    RECEIVED = "Received"
    CANCEL = "Cancel"
    RENEW = "Renew"
    HOLD_RETURN = "HoldReturn"
    SHIPPED_RETURN = "ShippedReturn"
    SHIPPED_FORWARD = "ShippedForward"
    NOTIFICATION = "Notification"
    LOST = "Lost"


class ErrorType(StrEnum):
    """type_errorType: why a confirmation says ERROR."""

    UNSUPPORTED_ACTION_TYPE = "UnsupportedActionType"
    UNSUPPORTED_REASON_FOR_MESSAGE_TYPE = "UnsupportedReasonForMessageType"
    UNRECOGNISED_DATA_ELEMENT = "UnrecognisedDataElement"
    UNRECOGNISED_DATA_VALUE = "UnrecognisedDataValue"
    BADLY_FORMED_MESSAGE = "BadlyFormedMessage"


class MessageStatus(StrEnum):
    """type_messageStatus: the outcome a confirmation reports."""

    OK = "OK"
    ERROR = "ERROR"


class ServiceType(StrEnum):
    """type_serviceType."""

    COPY = "Copy"
    LOAN = "Loan"
    COPY_OR_LOAN = "CopyOrLoan"


class RequestType(StrEnum):
    """type_requestType."""

    NEW = "New"
    RETRY = "Retry"
    REMINDER = "Reminder"


class RequestSubType(StrEnum):
    """type_requestSubType."""

    BOOKING_REQUEST = "BookingRequest"
    MULTIPLE_ITEM_REQUEST = "MultipleItemRequest"
    PATRON_REQUEST = "PatronRequest"
    TRANSFER_REQUEST = "TransferRequest"
    SUPPLYING_LIBRARYS_CHOICE = "SupplyingLibrarysChoice"


class PreferredEdition(StrEnum):
    """type_preferredEdition (2021; replaces the deprecated anyEdition)."""

    MOST_RECENT_EDITION = "MostRecentEdition"
    THIS_EDITION = "ThisEdition"
    ANY_EDITION = "AnyEdition"


class YesNo(StrEnum):
    """type_yesNo."""

    Y = "Y"
    N = "N"


class MessageKind(StrEnum):
    """The six children of ISO18626Message; the value is the XML element name."""

    REQUEST = "request"
    REQUEST_CONFIRMATION = "requestConfirmation"
    SUPPLYING_AGENCY_MESSAGE = "supplyingAgencyMessage"
    SUPPLYING_AGENCY_MESSAGE_CONFIRMATION = "supplyingAgencyMessageConfirmation"
    REQUESTING_AGENCY_MESSAGE = "requestingAgencyMessage"
    REQUESTING_AGENCY_MESSAGE_CONFIRMATION = "requestingAgencyMessageConfirmation"

    @property
    def is_confirmation(self) -> bool:
        """True for the three confirmation kinds."""
        return self.value.endswith("Confirmation")


# --------------------------------------------------------------------------------------
# Base: tuples for repeatable fields, aware datetimes only.
# --------------------------------------------------------------------------------------


class _Record:
    """Mixin for the dataclasses below: normalises lists to tuples, rejects naive datetimes."""

    def __post_init__(self) -> None:
        for field in fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, list):
                object.__setattr__(self, field.name, tuple(value))
            elif isinstance(value, datetime) and value.utcoffset() is None:
                raise ValueError(f"{type(self).__name__}.{field.name} must be an aware datetime, got {value!r}")


def _check_sort_order(owner: object, value: int | None) -> None:
    """sortOrder is xs:integer with minInclusive 0."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{type(owner).__name__}.sort_order must be a non-negative int, got {value!r}")


# --------------------------------------------------------------------------------------
# Shared small types
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TypedValue(_Record):
    """type_schemeValuePair: a value from an open code list, with the list's optional scheme URI."""

    value: str
    scheme: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgencyId(_Record):
    """type_agencyId: an agency (library) symbol, e.g. type ISIL / value US-MiU."""

    type: TypedValue
    value: str


@dataclass(frozen=True, kw_only=True)
class Costs(_Record):
    """type_costs: an amount of money; currency_code per ISO 4217 (open list)."""

    currency_code: TypedValue
    monetary_value: Decimal

    def __post_init__(self) -> None:
        super().__post_init__()
        value = self.monetary_value
        if isinstance(value, bool | float):
            raise TypeError("Costs.monetary_value must be a Decimal (or int), not a float")
        if isinstance(value, int):
            object.__setattr__(self, "monetary_value", Decimal(value))
        elif not isinstance(value, Decimal):
            raise TypeError(f"Costs.monetary_value must be a Decimal, got {type(value).__name__}")
        if not self.monetary_value.is_finite():
            raise ValueError(f"Costs.monetary_value must be finite, got {self.monetary_value!r}")


@dataclass(frozen=True, kw_only=True)
class ElectronicAddress(_Record):
    """electronicAddress: e.g. type 'Email' with the address as data."""

    type: TypedValue
    data: str


@dataclass(frozen=True, kw_only=True)
class PhysicalAddress(_Record):
    """physicalAddress; country per ISO 3166-1 (open list)."""

    line1: str | None = None
    line2: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: TypedValue | None = None


#: The schema's ``address`` element is a choice of exactly one of these two.
Address: TypeAlias = ElectronicAddress | PhysicalAddress


@dataclass(frozen=True, kw_only=True)
class RequestingAgencyAuthentication(_Record):
    """requestingAgencyAuthentication: credentials agreed between the two agencies."""

    account_id: str | None = None
    security_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class BibliographicItemId(_Record):
    """bibliographicItemId: an identifier of the item, code e.g. ISBN, ISSN, OCLC (open list)."""

    code: TypedValue
    value: str


@dataclass(frozen=True, kw_only=True)
class BibliographicRecordId(_Record):
    """bibliographicRecordId: an identifier of a catalogue record, code e.g. LCCN, OCLC (open list)."""

    code: TypedValue
    value: str


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RequestHeader(_Record):
    """type_requestHeader: the header of a request."""

    supplying_agency_id: AgencyId | None = None
    requesting_agency_id: AgencyId
    consortial_id: AgencyId | None = None
    multiple_item_request_id: str | None = None
    timestamp: datetime
    requesting_agency_request_id: str
    requesting_agency_authentication: RequestingAgencyAuthentication | None = None


@dataclass(frozen=True, kw_only=True)
class SupplyingAgencyMessageHeader(_Record):
    """type_supplyingAgencyMessageHeader: the header of a supplying agency message."""

    supplying_agency_id: AgencyId
    requesting_agency_id: AgencyId
    timestamp: datetime
    requesting_agency_request_id: str
    supplying_agency_request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestingAgencyMessageHeader(_Record):
    """type_requestingAgencyMessageHeader: the header of a requesting agency message."""

    supplying_agency_id: AgencyId
    requesting_agency_id: AgencyId
    consortial_id: AgencyId | None = None
    timestamp: datetime
    requesting_agency_request_id: str
    supplying_agency_request_id: str | None = None
    requesting_agency_authentication: RequestingAgencyAuthentication | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmationHeader(_Record):
    """confirmationHeader: echoes the confirmed message's ids; timestamp is when the confirmation was made."""

    supplying_agency_id: AgencyId | None = None
    requesting_agency_id: AgencyId | None = None
    timestamp: datetime
    requesting_agency_request_id: str | None = None
    timestamp_received: datetime
    message_status: MessageStatus


@dataclass(frozen=True, kw_only=True)
class ErrorData(_Record):
    """errorData: one reason for an ERROR confirmation."""

    error_type: ErrorType
    error_value: str | None = None


# --------------------------------------------------------------------------------------
# request
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BibliographicInfo(_Record):
    """bibliographicInfo: the citation."""

    supplier_unique_record_id: str | None = None
    title: str | None = None
    author: str | None = None
    author_id: str | None = None
    subtitle: str | None = None
    series_title: str | None = None
    edition: str | None = None
    title_of_component: str | None = None
    author_of_component: str | None = None
    volumes: tuple[str, ...] = ()
    issue: str | None = None
    pages_requested: str | None = None
    estimated_no_pages: str | None = None
    bibliographic_item_ids: tuple[BibliographicItemId, ...] = ()
    sponsor: str | None = None
    information_source: str | None = None
    bibliographic_record_ids: tuple[BibliographicRecordId, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PublicationInfo(_Record):
    """publicationInfo; publication_date is free text in the schema (e.g. '2019' or '1999-2001')."""

    publisher: str | None = None
    publisher_id: str | None = None
    publication_type: TypedValue | None = None
    publication_date: str | None = None
    place_of_publication: str | None = None


@dataclass(frozen=True, kw_only=True)
class ServiceInfo(_Record):
    """serviceInfo: what is asked for, and how."""

    request_type: RequestType | None = None
    request_sub_types: tuple[RequestSubType, ...] = ()
    requesting_agency_previous_request_id: str | None = None
    service_type: ServiceType
    service_level: TypedValue | None = None
    item_format: TypedValue | None = None
    need_before_date: datetime | None = None
    copyright_compliance: TypedValue | None = None
    any_edition: YesNo | None = None
    preferred_edition: PreferredEdition | None = None
    loan_conditions: tuple[TypedValue, ...] = ()
    start_date: datetime | None = None
    end_date: datetime | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class SupplierInfo(_Record):
    """supplierInfo: a candidate supplier and its holdings."""

    sort_order: int | None = None
    supplier_code: AgencyId | None = None
    supplier_description: str | None = None
    bibliographic_record_id: BibliographicRecordId | None = None
    call_number: str | None = None
    summary_holdings: str | None = None
    availability_note: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_sort_order(self, self.sort_order)


@dataclass(frozen=True, kw_only=True)
class RequestedDeliveryInfo(_Record):
    """requestedDeliveryInfo: one acceptable way and place of delivery."""

    sort_order: int | None = None
    address: Address | None = None
    delivery_method: TypedValue | None = None
    courier_name: TypedValue | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_sort_order(self, self.sort_order)


@dataclass(frozen=True, kw_only=True)
class RequestingAgencyInfo(_Record):
    """requestingAgencyInfo: the borrowing library's name, contact and addresses."""

    name: str | None = None
    contact_name: str | None = None
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PatronInfo(_Record):
    """patronInfo: the patron on whose behalf the request is made."""

    patron_id: str | None = None
    surname: str | None = None
    given_name: str | None = None
    patron_type: TypedValue | None = None
    send_to_patron: YesNo | None = None
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BillingInfo(_Record):
    """billingInfo: how the borrower pays, and the most it will pay (maximum_costs)."""

    payment_method: TypedValue | None = None
    maximum_costs: Costs | None = None
    billing_method: TypedValue | None = None
    billing_name: str | None = None
    address: Address | None = None


@dataclass(frozen=True, kw_only=True)
class Request(_Record):
    """request: the borrower asks a lender for an item."""

    KIND: ClassVar[MessageKind] = MessageKind.REQUEST

    header: RequestHeader
    bibliographic_info: BibliographicInfo
    publication_info: PublicationInfo | None = None
    service_info: ServiceInfo
    supplier_infos: tuple[SupplierInfo, ...] = ()
    requested_delivery_infos: tuple[RequestedDeliveryInfo, ...] = ()
    requesting_agency_info: RequestingAgencyInfo | None = None
    patron_info: PatronInfo | None = None
    billing_info: BillingInfo | None = None


# --------------------------------------------------------------------------------------
# supplyingAgencyMessage
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MessageInfo(_Record):
    """messageInfo: why the lender writes, its answer and reasons (open lists)."""

    reason_for_message: ReasonForMessage
    answer_yes_no: YesNo | None = None
    note: str | None = None
    reason_unfilled: TypedValue | None = None
    reason_retry: TypedValue | None = None


@dataclass(frozen=True, kw_only=True)
class StatusInfo(_Record):
    """statusInfo: the lender's status of the request and its dates."""

    status: Status
    expected_delivery_date: datetime | None = None
    due_date: datetime | None = None
    last_change: datetime


@dataclass(frozen=True, kw_only=True)
class RetryInfo(_Record):
    """retryInfo: the terms under which a retried request could be filled."""

    loan_conditions: tuple[TypedValue, ...] = ()
    editions: tuple[str, ...] = ()
    item_formats: tuple[TypedValue, ...] = ()
    volumes: tuple[str, ...] = ()
    service_type: ServiceType | None = None
    service_levels: tuple[TypedValue, ...] = ()
    delivery_methods: tuple[TypedValue, ...] = ()
    courier_names: tuple[TypedValue, ...] = ()
    offered_costs: tuple[Costs, ...] = ()
    payment_methods: tuple[TypedValue, ...] = ()
    retry_before: datetime | None = None
    retry_after: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class DeliveryInfo(_Record):
    """deliveryInfo: what was sent, when and how (1.2's sentVia/deliveredFormat are delivery_method/item_format)."""

    date_sent: datetime
    item_ids: tuple[str, ...] = ()
    url: str | None = None
    delivery_method: TypedValue | None = None
    address: Address | None = None
    sent_to_patron: bool | None = None
    loan_conditions: tuple[TypedValue, ...] = ()
    item_format: TypedValue | None = None
    service_type: ServiceType | None = None
    delivery_costs: tuple[Costs, ...] = ()
    payment_method: TypedValue | None = None


@dataclass(frozen=True, kw_only=True)
class ShippingInfo(_Record):
    """shippingInfo: courier, tracking and insurance."""

    courier_name: TypedValue | None = None
    tracking_ids: tuple[str, ...] = ()
    insurance: YesNo | None = None
    insurance_third_party: YesNo | None = None
    third_party_name: str | None = None
    insurance_costs: tuple[Costs, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReturnInfo(_Record):
    """returnInfo: where a loan goes back to."""

    return_agency_id: AgencyId | None = None
    name: str | None = None
    physical_address: PhysicalAddress | None = None


@dataclass(frozen=True, kw_only=True)
class SupplyingAgencyMessage(_Record):
    """supplyingAgencyMessage: the lender reports a status or answers the borrower."""

    KIND: ClassVar[MessageKind] = MessageKind.SUPPLYING_AGENCY_MESSAGE

    header: SupplyingAgencyMessageHeader
    message_info: MessageInfo
    status_info: StatusInfo
    retry_info: RetryInfo | None = None
    delivery_info: DeliveryInfo | None = None
    shipping_info: ShippingInfo | None = None
    return_info: ReturnInfo | None = None


# --------------------------------------------------------------------------------------
# requestingAgencyMessage and the confirmations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RequestingAgencyMessage(_Record):
    """requestingAgencyMessage: the borrower tells or asks the lender something."""

    KIND: ClassVar[MessageKind] = MessageKind.REQUESTING_AGENCY_MESSAGE

    header: RequestingAgencyMessageHeader
    action: Action
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestConfirmation(_Record):
    """requestConfirmation: the synchronous answer to a request."""

    KIND: ClassVar[MessageKind] = MessageKind.REQUEST_CONFIRMATION

    header: ConfirmationHeader
    error_data: tuple[ErrorData, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SupplyingAgencyMessageConfirmation(_Record):
    """supplyingAgencyMessageConfirmation: the answer to a supplying agency message; may echo its reason."""

    KIND: ClassVar[MessageKind] = MessageKind.SUPPLYING_AGENCY_MESSAGE_CONFIRMATION

    header: ConfirmationHeader
    reason_for_message: ReasonForMessage | None = None
    error_data: tuple[ErrorData, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RequestingAgencyMessageConfirmation(_Record):
    """requestingAgencyMessageConfirmation: the answer to a requesting agency message; may echo its action."""

    KIND: ClassVar[MessageKind] = MessageKind.REQUESTING_AGENCY_MESSAGE_CONFIRMATION

    header: ConfirmationHeader
    action: Action | None = None
    error_data: tuple[ErrorData, ...] = ()


#: The three messages that are answered with a confirmation.
IncomingMessage: TypeAlias = Request | SupplyingAgencyMessage | RequestingAgencyMessage
#: The three confirmations.
Confirmation: TypeAlias = RequestConfirmation | SupplyingAgencyMessageConfirmation | RequestingAgencyMessageConfirmation
#: Anything that can be the one child of ISO18626Message.
Message: TypeAlias = IncomingMessage | Confirmation
