"""ISO 18626 XML as partners really write it: open-list values, version 1.2, hand-written documents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from requests_app.iso18626.messages import (
    Action,
    AgencyId,
    Costs,
    MessageStatus,
    PhysicalAddress,
    Request,
    RequestingAgencyMessageConfirmation,
    ServiceType,
    Status,
    SupplyingAgencyMessage,
    TypedValue,
    YesNo,
)
from requests_app.iso18626.xml import NS, decode, decode_envelope, encode

UNFILLED_FROM_A_PEER = f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2">
  <supplyingAgencyMessage>
    <header>
      <supplyingAgencyId>
        <agencyIdType ill:scheme="urn:example:our-own-list">BRAND-NEW-TYPE</agencyIdType>
        <agencyIdValue>LENDER-1</agencyIdValue>
      </supplyingAgencyId>
      <requestingAgencyId>
        <agencyIdType>ISIL</agencyIdType>
        <agencyIdValue>NO-0030100</agencyIdValue>
      </requestingAgencyId>
      <timestamp>2024-11-05T12:00:00+01:00</timestamp>
      <requestingAgencyRequestId>REQ-9</requestingAgencyRequestId>
    </header>
    <messageInfo>
      <reasonForMessage>RequestResponse</reasonForMessage>
      <note>Sorry</note>
      <reasonUnfilled scheme="urn:unqualified-scheme">EatenByTheLibraryCat</reasonUnfilled>
    </messageInfo>
    <statusInfo>
      <status>Unfilled</status>
      <lastChange>2024-11-05T11:00:00Z</lastChange>
    </statusInfo>
  </supplyingAgencyMessage>
</ISO18626Message>
""".encode()


def test_unknown_open_list_values_are_accepted_and_preserved() -> None:
    message = decode(UNFILLED_FROM_A_PEER)

    assert isinstance(message, SupplyingAgencyMessage)
    assert message.header.supplying_agency_id == AgencyId(
        type=TypedValue(value="BRAND-NEW-TYPE", scheme="urn:example:our-own-list"), value="LENDER-1"
    )
    assert message.message_info.reason_unfilled == TypedValue(
        value="EatenByTheLibraryCat", scheme="urn:unqualified-scheme"
    )
    assert message.status_info.status is Status.UNFILLED


def test_unknown_open_list_values_survive_a_round_trip_through_our_own_xml(
    schema_errors: Callable[[bytes], list[str]],
) -> None:
    message = decode(UNFILLED_FROM_A_PEER)

    data = encode(message)

    assert schema_errors(data) == []
    assert decode(data) == message


def test_a_timestamp_with_an_offset_reads_as_the_same_instant() -> None:
    message = decode(UNFILLED_FROM_A_PEER)

    assert message.header.timestamp == datetime(2024, 11, 5, 11, 0, tzinfo=UTC)


RESHARE_STYLE_REQUEST = b"""<?xml version="1.0" encoding="utf-8"?>
<ill:ISO18626Message xmlns:ill="http://illtransactions.org/2013/iso18626"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ill:version="1.2"
    xsi:schemaLocation="http://illtransactions.org/2013/iso18626 http://illtransactions.org/schemas/ISO-18626-v1_2.xsd">
  <!-- written by hand in the style of a ReShare (mod-rs) request -->
  <ill:request>
    <ill:header>
      <ill:supplyingAgencyId>
        <ill:agencyIdType>RESHARE</ill:agencyIdType>
        <ill:agencyIdValue>DIKUA</ill:agencyIdValue>
      </ill:supplyingAgencyId>
      <ill:requestingAgencyId>
        <ill:agencyIdType>RESHARE</ill:agencyIdType>
        <ill:agencyIdValue>DIKUB</ill:agencyIdValue>
      </ill:requestingAgencyId>
      <ill:multipleItemRequestId/>
      <ill:timestamp>2023-11-06T14:52:08.123Z</ill:timestamp>
      <ill:requestingAgencyRequestId>8a7c6f2e-1b0d-4a5e-9c3f-0d2b1e4a6c88</ill:requestingAgencyRequestId>
      <ill:supplyingAgencyRequestId/>
    </ill:header>
    <ill:bibliographicInfo>
      <ill:supplierUniqueRecordId>5ddb5bd8-2a4b-4c2e-8f3e-1e9c0a7d6b21</ill:supplierUniqueRecordId>
      <ill:title>The Hobbit, or There and Back Again</ill:title>
      <ill:author>Tolkien, J. R. R.</ill:author>
      <ill:bibliographicItemId>
        <ill:bibliographicItemIdentifierCode>ISBN</ill:bibliographicItemIdentifierCode>
        <ill:bibliographicItemIdentifier>9780261102217</ill:bibliographicItemIdentifier>
      </ill:bibliographicItemId>
      <ill:bibliographicRecordId>
        <ill:bibliographicRecordIdentifierCode>OCLC</ill:bibliographicRecordIdentifierCode>
        <ill:bibliographicRecordIdentifier>1827184</ill:bibliographicRecordIdentifier>
      </ill:bibliographicRecordId>
    </ill:bibliographicInfo>
    <ill:publicationInfo>
      <ill:publisher>Allen &amp; Unwin</ill:publisher>
      <ill:publicationType>Book</ill:publicationType>
      <ill:publicationDate>1937</ill:publicationDate>
      <ill:placeOfPublication>London</ill:placeOfPublication>
    </ill:publicationInfo>
    <ill:serviceInfo>
      <ill:serviceType>Loan</ill:serviceType>
      <ill:needBeforeDate>2023-12-01T00:00:00.000Z</ill:needBeforeDate>
      <ill:note>Patron will pick up at the main desk</ill:note>
    </ill:serviceInfo>
    <ill:requestedDeliveryInfo>
      <ill:address>
        <ill:physicalAddress>
          <ill:line1>Van Pelt Library</ill:line1>
          <ill:locality>Philadelphia</ill:locality>
          <ill:postalCode>19104</ill:postalCode>
          <ill:region>PA</ill:region>
          <ill:country>US</ill:country>
        </ill:physicalAddress>
      </ill:address>
    </ill:requestedDeliveryInfo>
    <ill:patronInfo>
      <ill:patronId>3210987</ill:patronId>
      <ill:surname>Baggins</ill:surname>
      <ill:givenName>Bilbo</ill:givenName>
      <ill:patronType>Staff</ill:patronType>
      <ill:sendToPatron>N</ill:sendToPatron>
    </ill:patronInfo>
  </ill:request>
</ill:ISO18626Message>
"""


def test_a_hand_written_reshare_style_version_1_2_request_decodes() -> None:
    envelope = decode_envelope(RESHARE_STYLE_REQUEST)

    request = envelope.message
    assert envelope.version == "1.2"
    assert isinstance(request, Request)
    assert request.header.supplying_agency_id == AgencyId(type=TypedValue(value="RESHARE"), value="DIKUA")
    assert request.header.requesting_agency_request_id == "8a7c6f2e-1b0d-4a5e-9c3f-0d2b1e4a6c88"
    assert request.header.multiple_item_request_id is None  # 1.2 requires the element: empty says there is none
    assert request.header.timestamp == datetime(2023, 11, 6, 14, 52, 8, 123000, tzinfo=UTC)
    assert request.bibliographic_info.title == "The Hobbit, or There and Back Again"
    assert request.bibliographic_info.bibliographic_item_ids[0].value == "9780261102217"
    assert request.bibliographic_info.bibliographic_record_ids[0].code == TypedValue(value="OCLC")
    assert request.publication_info is not None and request.publication_info.publisher == "Allen & Unwin"
    assert request.service_info.service_type is ServiceType.LOAN
    assert request.requested_delivery_infos[0].address == PhysicalAddress(
        line1="Van Pelt Library", locality="Philadelphia", postal_code="19104", region="PA",
        country=TypedValue(value="US"),
    )
    assert request.patron_info is not None and request.patron_info.send_to_patron is YesNo.N


VERSION_1_2_LOANED = f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2">
  <supplyingAgencyMessage>
    <header>
      <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>S1</agencyIdValue></supplyingAgencyId>
      <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>R1</agencyIdValue></requestingAgencyId>
      <multipleItemRequestId></multipleItemRequestId>
      <timestamp>2024-02-01T08:00:00Z</timestamp>
      <requestingAgencyRequestId>R1-55</requestingAgencyRequestId>
      <supplyingAgencyRequestId>S1-77</supplyingAgencyRequestId>
    </header>
    <messageInfo>
      <reasonForMessage>StatusChange</reasonForMessage>
      <offeredCosts><currencyCode>EUR</currencyCode><monetaryValue>4.5</monetaryValue></offeredCosts>
      <retryAfter>2024-03-01T00:00:00Z</retryAfter>
    </messageInfo>
    <statusInfo>
      <status>Loaned</status>
      <dueDate>2024-03-01</dueDate>
      <lastChange>2024-02-01T07:59:00</lastChange>
    </statusInfo>
    <deliveryInfo>
      <dateSent>2024-02-01T07:59:00Z</dateSent>
      <itemId>ITEM-1</itemId>
      <sentVia>Mail</sentVia>
      <sentToPatron>0</sentToPatron>
      <deliveredFormat>Printed</deliveredFormat>
    </deliveryInfo>
  </supplyingAgencyMessage>
</ISO18626Message>
""".encode()


def test_version_1_2_spellings_are_read_into_the_2021_fields() -> None:
    message = decode(VERSION_1_2_LOANED)

    assert isinstance(message, SupplyingAgencyMessage)
    assert message.header.supplying_agency_request_id == "S1-77"
    assert message.delivery_info is not None
    assert message.delivery_info.delivery_method == TypedValue(value="Mail")
    assert message.delivery_info.item_format == TypedValue(value="Printed")
    assert message.delivery_info.sent_to_patron is False
    assert message.retry_info is not None
    assert message.retry_info.offered_costs == (
        Costs(currency_code=TypedValue(value="EUR"), monetary_value=Decimal("4.5")),
    )
    assert message.retry_info.retry_after == datetime(2024, 3, 1, tzinfo=UTC)


def test_a_bare_date_and_a_zoneless_timestamp_are_read_as_utc() -> None:
    message = decode(VERSION_1_2_LOANED)

    assert isinstance(message, SupplyingAgencyMessage)
    assert message.status_info.due_date == datetime(2024, 3, 1, tzinfo=UTC)
    assert message.status_info.last_change == datetime(2024, 2, 1, 7, 59, tzinfo=UTC)


def test_a_version_1_2_message_is_answered_in_schema_valid_2021_xml(
    schema_errors: Callable[[bytes], list[str]],
) -> None:
    assert schema_errors(encode(decode(VERSION_1_2_LOANED))) == []


CROSSLINK_STYLE_CONFIRMATION = f"""<?xml version="1.0" encoding="utf-8"?>
<ISO18626Message xmlns="{NS}" ill:version="1.2" xmlns:ill="{NS}">
  <requestingAgencyMessageConfirmation>
    <confirmationHeader>
      <supplyingAgencyId><agencyIdType></agencyIdType><agencyIdValue>S1</agencyIdValue></supplyingAgencyId>
      <requestingAgencyId><agencyIdType></agencyIdType><agencyIdValue>R1</agencyIdValue></requestingAgencyId>
      <timestamp>2025-08-25T17:12:39.840Z</timestamp>
      <timestampReceived>0001-01-01T00:00:00.000Z</timestampReceived>
      <messageStatus>ERROR</messageStatus>
    </confirmationHeader>
    <action></action>
    <errorData>
      <errorType>UnrecognisedDataValue</errorType>
      <errorValue>RequestingAgencyRequestId cannot be empty</errorValue>
    </errorData>
  </requestingAgencyMessageConfirmation>
</ISO18626Message>
""".encode()


def test_an_empty_optional_code_reads_as_absent_and_an_empty_open_value_as_empty() -> None:
    confirmation = decode(CROSSLINK_STYLE_CONFIRMATION)

    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)
    assert confirmation.action is None
    assert confirmation.header.message_status is MessageStatus.ERROR
    assert confirmation.header.supplying_agency_id == AgencyId(type=TypedValue(value=""), value="S1")
    assert confirmation.header.timestamp_received == datetime(1, 1, 1, tzinfo=UTC)
    assert confirmation.error_data[0].error_value == "RequestingAgencyRequestId cannot be empty"


def test_element_order_comments_and_an_unqualified_version_do_not_matter() -> None:
    data = f"""<ISO18626Message xmlns="{NS}" version="2021-2">
      <requestingAgencyMessage>
        <note>see <!-- a comment --> you</note>
        <action>Renew</action>
        <header>
          <timestamp>2024-01-01T00:00:00Z</timestamp>
          <requestingAgencyId><agencyIdValue>R1</agencyIdValue><agencyIdType>ISIL</agencyIdType></requestingAgencyId>
          <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>S1</agencyIdValue></supplyingAgencyId>
          <requestingAgencyRequestId>R1-1</requestingAgencyRequestId>
        </header>
      </requestingAgencyMessage>
    </ISO18626Message>""".encode()

    envelope = decode_envelope(data)

    assert envelope.version == "2021-2"
    assert envelope.message.action is Action.RENEW  # type: ignore[union-attr]
    assert envelope.message.note == "see  you"  # type: ignore[union-attr]

