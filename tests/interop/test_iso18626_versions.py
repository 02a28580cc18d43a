"""ISO 18626 1.2 and 2021-2: each written in its own schema's form, 1.2 carrying in the note what it has no room for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from requests_app.iso18626.errors import ProtocolError
from requests_app.iso18626.messages import (
    Action,
    DeliveryInfo,
    ErrorData,
    ErrorType,
    MessageInfo,
    MessageStatus,
    ReasonForMessage,
    RequestingAgencyMessageConfirmation,
    ServiceInfo,
    ServiceType,
    ShippingInfo,
    Status,
    StatusInfo,
    TypedValue,
)
from requests_app.iso18626.xml import NS, decode, decode_envelope, encode, validate

from .message_examples import (
    T0,
    confirmation_header,
    minimal_request,
    minimal_requesting_agency_message,
    minimal_supplying_agency_message,
    rich_request,
    supplying_agency_message,
)


def children(data: bytes, path: str) -> list[str]:
    """The local names of the children of the element at ``path`` (``/``-separated local names)."""
    element = etree.fromstring(data)
    for name in path.split("/"):
        element = element.find(f"{{{NS}}}{name}")
    return [etree.QName(child).localname for child in element]


def text_of(data: bytes, path: str) -> str | None:
    element = etree.fromstring(data).find("/".join(f"{{{NS}}}{name}" for name in path.split("/")))
    return None if element is None else element.text


def copy_delivered(**delivery) -> object:
    return replace(minimal_supplying_agency_message(),
                   status_info=StatusInfo(status=Status.COPY_COMPLETED, last_change=T0),
                   delivery_info=DeliveryInfo(date_sent=T0, **delivery))


# The form of each version --------------------------------------------------------------


def test_a_1_2_request_has_the_shared_header_with_an_empty_multiple_item_request_id() -> None:
    data = encode(minimal_request(), version="1.2")

    assert children(data, "request/header") == [
        "supplyingAgencyId", "requestingAgencyId", "multipleItemRequestId", "timestamp", "requestingAgencyRequestId"]
    assert text_of(data, "request/header/multipleItemRequestId") is None


def test_a_2021_request_header_has_no_multiple_item_request_id_when_there_is_none() -> None:
    data = encode(minimal_request(), version="2021-2")

    assert "multipleItemRequestId" not in children(data, "request/header")


def test_1_2_writes_a_bibliographic_item_id_identifier_first() -> None:
    assert children(encode(rich_request(), version="1.2"), "request/bibliographicInfo/bibliographicItemId") == [
        "bibliographicItemIdentifier", "bibliographicItemIdentifierCode"]
    assert children(encode(rich_request(), version="2021-2"), "request/bibliographicInfo/bibliographicItemId") == [
        "bibliographicItemIdentifierCode", "bibliographicItemIdentifier"]


def test_1_2_calls_the_wanted_format_preferred_format() -> None:
    message = replace(minimal_request(), service_info=ServiceInfo(service_type=ServiceType.COPY,
                                                                  item_format=TypedValue(value="PDF")))

    assert text_of(encode(message, version="1.2"), "request/serviceInfo/preferredFormat") == "PDF"
    assert text_of(encode(message, version="2021-2"), "request/serviceInfo/itemFormat") == "PDF"


def test_1_2_calls_the_delivery_method_sent_via_and_the_format_delivered_format() -> None:
    message = copy_delivered(delivery_method=TypedValue(value="Mail"), item_format=TypedValue(value="Printed"))

    assert children(encode(message, version="1.2"), "supplyingAgencyMessage/deliveryInfo") == [
        "dateSent", "sentVia", "deliveredFormat"]


def test_a_peers_1_2_preferred_format_is_read_as_the_item_format(schema_errors: Callable[[bytes], list[str]]) -> None:
    message = replace(minimal_request(), service_info=ServiceInfo(service_type=ServiceType.COPY,
                                                                  item_format=TypedValue(value="PDF")))
    data = encode(message, version="1.2")

    assert schema_errors(data) == []
    assert decode(data).service_info.item_format == TypedValue(value="PDF")


def test_1_2_sends_the_retry_dates_and_the_first_offered_cost_in_message_info() -> None:
    data = encode(supplying_agency_message(Status.RETRY_POSSIBLE), version="1.2")

    assert children(data, "supplyingAgencyMessage/messageInfo")[-3:] == ["offeredCosts", "retryAfter", "retryBefore"]
    assert "retryInfo" not in children(data, "supplyingAgencyMessage")


def test_a_1_2_request_must_name_the_supplying_agency() -> None:
    message = replace(minimal_request(), header=replace(minimal_request().header, supplying_agency_id=None))

    with pytest.raises(ValueError, match="supplyingAgencyId"):
        encode(message, version="1.2")


def test_encode_refuses_a_version_it_does_not_write() -> None:
    with pytest.raises(ValueError, match="'3.0' is not one we write"):
        encode(minimal_request(), version="3.0")


@pytest.mark.parametrize("label", ["1.0", "1.1"])
def test_older_labels_are_written_in_the_1_2_form(label: str, schema_errors: Callable[[bytes], list[str]]) -> None:
    data = encode(rich_request(), version=label)

    assert "multipleItemRequestId" in children(data, "request/header")
    assert schema_errors(data) == []
    assert decode_envelope(data).version == label


# Validation by label ---------------------------------------------------------------------


def test_validate_reads_a_document_labelled_1_2_against_the_1_2_schema(iso18626_schema_dir: Path) -> None:
    in_2021_form = encode(rich_request(), version="2021-2")
    relabelled = in_2021_form.replace(b'ill:version="2021-2"', b'ill:version="1.2"')

    assert validate(in_2021_form, iso18626_schema_dir) == []
    assert validate(relabelled, iso18626_schema_dir) != []


def test_validate_reads_a_document_labelled_2021_2_against_the_2021_schema(iso18626_schema_dir: Path) -> None:
    relabelled = encode(rich_request(), version="1.2").replace(b'ill:version="1.2"', b'ill:version="2021-2"')

    assert validate(relabelled, iso18626_schema_dir) != []


def test_validate_names_a_version_label_it_has_no_schema_for(iso18626_schema_dir: Path) -> None:
    data = encode(minimal_request(), version="2021-2").replace(b'ill:version="2021-2"', b'ill:version="7"')

    assert validate(data, iso18626_schema_dir) == ["ill:version '7' names no version we have a schema for "
                                                   "(1.0, 1.1, 1.2, 2021, 2021-2)"]


def test_validate_still_takes_the_schema_it_is_given(iso18626_schema_dir: Path) -> None:
    data = encode(rich_request(), version="1.2")

    assert validate(data, iso18626_schema_dir, schema_file="ISO-18626-2021-2.xsd") != []


# What 1.2 has no room for ----------------------------------------------------------------


def test_a_copys_url_travels_as_the_item_id_in_1_2_when_there_is_none(schema_errors: Callable[[bytes], list[str]]
                                                                       ) -> None:
    data = encode(copy_delivered(url="https://lender.example/copy/1"), version="1.2")

    assert schema_errors(data) == []
    assert text_of(data, "supplyingAgencyMessage/deliveryInfo/itemId") == "https://lender.example/copy/1"
    assert decode(data).delivery_info == DeliveryInfo(date_sent=T0, url="https://lender.example/copy/1")


def test_a_copys_url_beside_an_item_id_travels_in_a_line_of_the_note() -> None:
    data = encode(copy_delivered(url="https://lender.example/copy/1", item_ids=("B1",)), version="1.2")

    assert text_of(data, "supplyingAgencyMessage/messageInfo/note") == (
        "#ISO18626-2021:deliveryInfo/URL# https://lender.example/copy/1")
    assert decode(data).delivery_info == DeliveryInfo(date_sent=T0, url="https://lender.example/copy/1",
                                                      item_ids=("B1",))


def test_a_tracking_number_follows_the_lenders_note_in_1_2_and_reads_back() -> None:
    message = replace(copy_delivered(item_ids=("B1",)),
                      message_info=MessageInfo(reason_for_message=ReasonForMessage.STATUS_CHANGE, note="Sent today."),
                      shipping_info=ShippingInfo(courier_name=TypedValue(value="UPS"), tracking_ids=("1Z999",)))

    data = encode(message, version="1.2")

    assert text_of(data, "supplyingAgencyMessage/messageInfo/note") == (
        "Sent today.\n#ISO18626-2021:shippingInfo/courierName# UPS\n#ISO18626-2021:shippingInfo/trackingId# 1Z999")
    assert decode(data) == message


def test_several_loan_conditions_keep_the_first_in_place_and_carry_the_others() -> None:
    conditions = (TypedValue(value="LibraryUseOnly"), TypedValue(value="NoReproduction", scheme="urn:conditions"))
    message = copy_delivered(loan_conditions=conditions)

    data = encode(message, version="1.2")

    assert text_of(data, "supplyingAgencyMessage/deliveryInfo/loanCondition") == "LibraryUseOnly"
    assert text_of(data, "supplyingAgencyMessage/messageInfo/note") == (
        "#ISO18626-2021:deliveryInfo/loanCondition# NoReproduction [scheme: urn:conditions]")
    assert decode(data).delivery_info.loan_conditions == conditions


@pytest.mark.parametrize("status", [Status.HOLD_RETURN, Status.RELEASE_HOLD_RETURN])
def test_a_hold_status_reaches_a_1_2_partner_as_loaned_with_the_real_status_in_the_note(
    status: Status, schema_errors: Callable[[bytes], list[str]]
) -> None:
    message = replace(minimal_supplying_agency_message(), status_info=StatusInfo(status=status, last_change=T0))

    data = encode(message, version="1.2")

    assert schema_errors(data) == []
    assert text_of(data, "supplyingAgencyMessage/statusInfo/status") == "Loaned"
    assert text_of(data, "supplyingAgencyMessage/messageInfo/note") == f"#ISO18626-2021:statusInfo/status# {status}"
    assert decode(data).status_info.status == status


@pytest.mark.parametrize("action", [Action.HOLD_RETURN, Action.LOST])
def test_an_action_1_2_lacks_reaches_a_1_2_partner_as_a_notification_naming_it(
    action: Action, schema_errors: Callable[[bytes], list[str]]
) -> None:
    message = replace(minimal_requesting_agency_message(), action=action, note="Patron says so.")

    data = encode(message, version="1.2")

    assert schema_errors(data) == []
    assert text_of(data, "requestingAgencyMessage/action") == "Notification"
    assert text_of(data, "requestingAgencyMessage/note") == f"Patron says so.\n#ISO18626-2021:action# {action}"
    assert decode(data) == message


def test_a_confirmation_echoing_lost_echoes_a_notification_in_1_2(schema_errors: Callable[[bytes], list[str]]) -> None:
    data = encode(RequestingAgencyMessageConfirmation(header=confirmation_header(MessageStatus.OK), action=Action.LOST),
                  version="1.2")

    assert schema_errors(data) == []
    assert decode(data).action == Action.NOTIFICATION


def test_a_1_2_confirmation_names_every_error_in_its_one_error_data() -> None:
    errors = (ErrorData(error_type=ErrorType.UNRECOGNISED_DATA_VALUE, error_value="status"),
              ErrorData(error_type=ErrorType.BADLY_FORMED_MESSAGE, error_value="dateSent is missing"))
    confirmation = RequestingAgencyMessageConfirmation(header=confirmation_header(MessageStatus.ERROR),
                                                       error_data=errors)

    assert decode(encode(confirmation, version="1.2")).error_data == (
        ErrorData(error_type=ErrorType.UNRECOGNISED_DATA_VALUE,
                  error_value="status; BadlyFormedMessage: dateSent is missing"),)


def test_a_note_line_that_names_nothing_we_carry_stays_in_the_note() -> None:
    note = "Thanks.\n#ISO18626-2021:somethingElse# 42\n#ISO18626-2021:statusInfo/status# Shelved"
    message = replace(minimal_supplying_agency_message(),
                      message_info=MessageInfo(reason_for_message=ReasonForMessage.NOTIFICATION, note=note))

    assert decode(encode(message, version="1.2")).message_info.note == note


def test_carried_lines_are_read_back_only_from_documents_labelled_1_x() -> None:
    note = "#ISO18626-2021:shippingInfo/trackingId# 1Z999"
    message = replace(minimal_supplying_agency_message(),
                      message_info=MessageInfo(reason_for_message=ReasonForMessage.NOTIFICATION, note=note))

    decoded = decode(encode(message, version="2021-2"))

    assert decoded.message_info.note == note
    assert decoded.shipping_info is None


# A 1.2 request may leave out serviceInfo ------------------------------------------------


def without_service_info(data: bytes) -> bytes:
    root = etree.fromstring(data)
    request = root.find(f"{{{NS}}}request")
    request.remove(request.find(f"{{{NS}}}serviceInfo"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_1_2_request_without_service_info_is_valid_in_its_schema(schema_errors):
    assert schema_errors(without_service_info(encode(minimal_request(), version="1.2"))) == []


def test_a_1_2_request_without_service_info_is_read_as_asking_for_a_copy_or_a_loan():
    message = decode(without_service_info(encode(minimal_request(), version="1.2")))

    assert message.service_info == ServiceInfo(service_type=ServiceType.COPY_OR_LOAN)
    assert message.bibliographic_info == minimal_request().bibliographic_info


def test_a_2021_2_request_without_service_info_is_still_refused_as_its_schema_requires_it():
    with pytest.raises(ProtocolError) as refused:
        decode(without_service_info(encode(minimal_request(), version="2021-2")))

    assert refused.value.error_type is ErrorType.BADLY_FORMED_MESSAGE
    assert "serviceInfo is missing" in refused.value.message
