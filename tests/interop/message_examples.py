"""Example ISO 18626 messages for the conformance tests: every field the schema has, filled in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from requests_app.iso18626.messages import (
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

ISIL = "http://illtransactions.org/ISO18626/OpenCodeList/AgencyIdTypeList-V1.1"
CURRENCY = "http://www.iso.org/iso-4217"
T0 = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
OSLO = timezone(timedelta(hours=1))

LENDER = AgencyId(type=TypedValue(value="ISIL", scheme=ISIL), value="US-MiU")
BORROWER = AgencyId(type=TypedValue(value="OCLC"), value="EYM")
CONSORTIUM = AgencyId(type=TypedValue(value="ISIL"), value="US-BTAA")


def usd(amount: str) -> Costs:
    """An amount in US dollars."""
    return Costs(currency_code=TypedValue(value="USD", scheme=CURRENCY), monetary_value=Decimal(amount))


def home_address() -> PhysicalAddress:
    """A full postal address."""
    return PhysicalAddress(
        line1="Hatcher Graduate Library",
        line2="913 S. University Ave",
        locality="Ann Arbor",
        postal_code="48109-1190",
        region="MI",
        country=TypedValue(value="US", scheme="http://www.iso.org/iso-3166-1"),
    )


def email(address: str) -> ElectronicAddress:
    """An e-mail address."""
    return ElectronicAddress(type=TypedValue(value="Email"), data=address)


def rich_request() -> Request:
    """A request with every element of the schema present at least once, repeatables twice."""
    return Request(
        header=RequestHeader(
            supplying_agency_id=LENDER,
            requesting_agency_id=BORROWER,
            consortial_id=CONSORTIUM,
            multiple_item_request_id="MIR-7",
            timestamp=T0,
            requesting_agency_request_id="EYM-2025-000123",
            requesting_agency_authentication=RequestingAgencyAuthentication(account_id="eym", security_code="s3cr3t"),
        ),
        bibliographic_info=BibliographicInfo(
            supplier_unique_record_id="990012345670106381",
            title="Le Petit Prince — édition illustrée & annotée <2e éd.>",
            author="Saint-Exupéry, Antoine de",
            author_id="0000 0001 2138 2953",
            subtitle="avec des aquarelles de l'auteur",
            series_title="Folio",
            edition="2e éd.",
            title_of_component="Chapitre XXI",
            author_of_component="A. de S.-E.",
            volumes=("1", "2"),
            issue="4",
            pages_requested="71-80",
            estimated_no_pages="10",
            bibliographic_item_ids=(
                BibliographicItemId(code=TypedValue(value="ISBN"), value="9782070612758"),
                BibliographicItemId(code=TypedValue(value="OCLC", scheme="http://oclc.org"), value="ocm12345678"),
            ),
            sponsor="Fondation Saint-Exupéry",
            information_source="WorldCat",
            bibliographic_record_ids=(
                BibliographicRecordId(code=TypedValue(value="LCCN"), value="2001012345"),
                BibliographicRecordId(code=TypedValue(value="OCLC"), value="47008478"),
            ),
        ),
        publication_info=PublicationInfo(
            publisher="Gallimard",
            publisher_id="0000 0001 2296 6258",
            publication_type=TypedValue(value="Book"),
            publication_date="1999",
            place_of_publication="Paris",
        ),
        service_info=ServiceInfo(
            request_type=RequestType.NEW,
            request_sub_types=(RequestSubType.PATRON_REQUEST, RequestSubType.BOOKING_REQUEST),
            requesting_agency_previous_request_id="EYM-2024-999",
            service_type=ServiceType.COPY_OR_LOAN,
            service_level=TypedValue(value="Rush"),
            item_format=TypedValue(value="PrintOrElectronic"),
            need_before_date=datetime(2025, 4, 1, tzinfo=OSLO),
            copyright_compliance=TypedValue(value="US-CCG"),
            any_edition=YesNo.N,
            preferred_edition=PreferredEdition.THIS_EDITION,
            loan_conditions=(TypedValue(value="LibraryUseOnly"), TypedValue(value="NoReproduction")),
            start_date=datetime(2025, 4, 10, 8, tzinfo=UTC),
            end_date=datetime(2025, 4, 20, 17, tzinfo=UTC),
            note="  Please send the 1999 printing.\nThanks!  ",
        ),
        supplier_infos=(
            SupplierInfo(
                sort_order=0,
                supplier_code=LENDER,
                supplier_description="University of Michigan",
                bibliographic_record_id=BibliographicRecordId(code=TypedValue(value="LOCAL"), value="b1234"),
                call_number="PQ2637.A274 P4 1999",
                summary_holdings="v.1-2",
                availability_note="On shelf",
            ),
            SupplierInfo(sort_order=1, supplier_code=AgencyId(type=TypedValue(value="OCLC"), value="IUL")),
        ),
        requested_delivery_infos=(
            RequestedDeliveryInfo(
                sort_order=0,
                address=home_address(),
                delivery_method=TypedValue(value="Courier"),
                courier_name=TypedValue(value="UPS"),
            ),
            RequestedDeliveryInfo(
                sort_order=1, address=email("ill@eym.example"), delivery_method=TypedValue(value="URL")
            ),
        ),
        requesting_agency_info=RequestingAgencyInfo(
            name="Eastern Michigan University Library",
            contact_name="ILL Office",
            addresses=(email("ill@emich.example"), home_address()),
        ),
        patron_info=PatronInfo(
            patron_id="P-0042",
            surname="Ødegård",
            given_name="Åse",
            patron_type=TypedValue(value="Faculty"),
            send_to_patron=YesNo.Y,
            addresses=(email("ase@example.org"),),
        ),
        billing_info=BillingInfo(
            payment_method=TypedValue(value="IFM"),
            maximum_costs=usd("25.00"),
            billing_method=TypedValue(value="Account"),
            billing_name="EMU Library Business Office",
            address=home_address(),
        ),
    )


def minimal_request() -> Request:
    """A request with only the elements required by 1.2 or 2021-2 (1.2 requires the supplying agency)."""
    return Request(
        header=RequestHeader(supplying_agency_id=LENDER, requesting_agency_id=BORROWER, timestamp=T0,
                             requesting_agency_request_id="EYM-1"),
        bibliographic_info=BibliographicInfo(),
        service_info=ServiceInfo(service_type=ServiceType.LOAN),
    )


def minimal_supplying_agency_message() -> SupplyingAgencyMessage:
    """A lender's message with only the required elements."""
    return SupplyingAgencyMessage(
        header=SupplyingAgencyMessageHeader(supplying_agency_id=LENDER, requesting_agency_id=BORROWER, timestamp=T0,
                                            requesting_agency_request_id="EYM-1"),
        message_info=MessageInfo(reason_for_message=ReasonForMessage.REQUEST_RESPONSE),
        status_info=StatusInfo(status=Status.WILL_SUPPLY, last_change=T0),
    )


def minimal_requesting_agency_message() -> RequestingAgencyMessage:
    """A borrower's message with only the required elements."""
    return RequestingAgencyMessage(
        header=RequestingAgencyMessageHeader(supplying_agency_id=LENDER, requesting_agency_id=BORROWER, timestamp=T0,
                                             requesting_agency_request_id="EYM-1"),
        action=Action.RECEIVED,
    )


def minimal_confirmations() -> list[Message]:
    """The three confirmation kinds with only the required elements."""
    header = ConfirmationHeader(timestamp=T0, timestamp_received=T0, message_status=MessageStatus.OK)
    return [RequestConfirmation(header=header), SupplyingAgencyMessageConfirmation(header=header),
            RequestingAgencyMessageConfirmation(header=header)]


def minimal_and_maximal() -> list[tuple[str, Message]]:
    """(test id, message): each of the six kinds with only its required elements, and with every element."""
    maximal_confirmations = confirmations(MessageStatus.ERROR)
    return [
        ("request-minimal", minimal_request()),
        ("request-maximal", rich_request()),
        ("supplyingAgencyMessage-minimal", minimal_supplying_agency_message()),
        ("supplyingAgencyMessage-maximal", supplying_agency_message(Status.LOANED)),
        ("requestingAgencyMessage-minimal", minimal_requesting_agency_message()),
        ("requestingAgencyMessage-maximal", requesting_agency_message(Action.SHIPPED_RETURN)),
        *((f"{message.KIND.value}-minimal", message) for message in minimal_confirmations()),
        *((f"{message.KIND.value}-maximal", message) for message in maximal_confirmations),
    ]


def supplying_agency_message(status: Status) -> SupplyingAgencyMessage:
    """A lender's message with the given status and every optional part filled in."""
    return SupplyingAgencyMessage(
        header=SupplyingAgencyMessageHeader(
            supplying_agency_id=LENDER,
            requesting_agency_id=BORROWER,
            timestamp=T0,
            requesting_agency_request_id="EYM-2025-000123",
            supplying_agency_request_id="MIU-77",
        ),
        message_info=MessageInfo(
            reason_for_message=ReasonForMessage.STATUS_CHANGE,
            answer_yes_no=YesNo.Y,
            note="Status is now " + status.value,
            reason_unfilled=TypedValue(value="NotOnShelf"),
            reason_retry=TypedValue(value="CostExceedsMaxCost"),
        ),
        status_info=StatusInfo(
            status=status,
            expected_delivery_date=T0 + timedelta(days=3),
            due_date=datetime(2025, 5, 1, 23, 59, 59, tzinfo=UTC),
            last_change=T0,
        ),
        retry_info=RetryInfo(
            loan_conditions=(TypedValue(value="LibraryUseOnly"),),
            editions=("1st", "2nd"),
            item_formats=(TypedValue(value="Printed"), TypedValue(value="PDF")),
            volumes=("3",),
            service_type=ServiceType.LOAN,
            service_levels=(TypedValue(value="Normal"),),
            delivery_methods=(TypedValue(value="Mail"),),
            courier_names=(TypedValue(value="USPS"),),
            offered_costs=(usd("12.5"), usd("0")),
            payment_methods=(TypedValue(value="Invoice"),),
            retry_before=T0 + timedelta(days=30),
            retry_after=T0 + timedelta(days=1),
        ),
        delivery_info=DeliveryInfo(
            date_sent=T0,
            item_ids=("39015012345678", "39015012345679"),
            url="https://lender.example/ae/abc?x=1&y=2",
            delivery_method=TypedValue(value="Courier"),
            address=home_address(),
            sent_to_patron=False,
            loan_conditions=(TypedValue(value="NoReproduction"),),
            item_format=TypedValue(value="Printed"),
            service_type=ServiceType.LOAN,
            delivery_costs=(usd("10.00"), usd("2.50")),
            payment_method=TypedValue(value="IFM"),
        ),
        shipping_info=ShippingInfo(
            courier_name=TypedValue(value="UPS"),
            tracking_ids=("1Z999AA10123456784",),
            insurance=YesNo.Y,
            insurance_third_party=YesNo.N,
            third_party_name="Acme Insurance",
            insurance_costs=(usd("3.00"),),
        ),
        return_info=ReturnInfo(return_agency_id=LENDER, name="UM ILL Returns", physical_address=home_address()),
    )


def requesting_agency_message(action: Action) -> RequestingAgencyMessage:
    """A borrower's message with the given action and every optional part filled in."""
    return RequestingAgencyMessage(
        header=RequestingAgencyMessageHeader(
            supplying_agency_id=LENDER,
            requesting_agency_id=BORROWER,
            consortial_id=CONSORTIUM,
            timestamp=T0,
            requesting_agency_request_id="EYM-2025-000123",
            supplying_agency_request_id="MIU-77",
            requesting_agency_authentication=RequestingAgencyAuthentication(account_id="eym"),
        ),
        action=action,
        note=f"{action.value}: see you soon",
    )


def confirmation_header(status: MessageStatus) -> ConfirmationHeader:
    """A confirmation header with every field."""
    return ConfirmationHeader(
        supplying_agency_id=LENDER,
        requesting_agency_id=BORROWER,
        timestamp=T0 + timedelta(seconds=1),
        requesting_agency_request_id="EYM-2025-000123",
        timestamp_received=T0,
        message_status=status,
    )


def errors_for(status: MessageStatus) -> tuple[ErrorData, ...]:
    """No errors for OK; one of every error type (the last without an errorValue) for ERROR."""
    if status is MessageStatus.OK:
        return ()
    return tuple(ErrorData(error_type=kind, error_value=f"because {kind.value}") for kind in ErrorType) + (
        ErrorData(error_type=ErrorType.BADLY_FORMED_MESSAGE),
    )


def confirmations(status: MessageStatus) -> list[Message]:
    """The three confirmation kinds with the given status."""
    header = confirmation_header(status)
    return [
        RequestConfirmation(header=header, error_data=errors_for(status)),
        SupplyingAgencyMessageConfirmation(
            header=header, reason_for_message=ReasonForMessage.RENEW_RESPONSE, error_data=errors_for(status)
        ),
        RequestingAgencyMessageConfirmation(header=header, action=Action.RENEW, error_data=errors_for(status)),
    ]


def every_message_kind() -> list[tuple[str, Message]]:
    """(test id, message): requests, a supplyingAgencyMessage per status, a requestingAgencyMessage
    per action, a supplyingAgencyMessage per reasonForMessage, and every confirmation OK and ERROR."""
    examples: list[tuple[str, Message]] = [("request-rich", rich_request()), ("request-minimal", minimal_request())]
    examples += [(f"supplyingAgencyMessage-{status.value}", supplying_agency_message(status)) for status in Status]
    examples += [
        (
            f"supplyingAgencyMessage-reason-{reason.value}",
            SupplyingAgencyMessage(
                header=supplying_agency_message(Status.WILL_SUPPLY).header,
                message_info=MessageInfo(reason_for_message=reason),
                status_info=StatusInfo(status=Status.WILL_SUPPLY, last_change=T0),
            ),
        )
        for reason in ReasonForMessage
    ]
    examples += [(f"requestingAgencyMessage-{action.value}", requesting_agency_message(action)) for action in Action]
    for status in MessageStatus:
        examples += [(f"{message.KIND.value}-{status.value}", message) for message in confirmations(status)]
    examples.append(
        (
            "requestConfirmation-bare",
            RequestConfirmation(
                header=ConfirmationHeader(timestamp=T0, timestamp_received=T0, message_status=MessageStatus.OK)
            ),
        )
    )
    return examples
