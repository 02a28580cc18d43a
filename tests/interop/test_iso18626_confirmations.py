"""ISO 18626 confirmations: the right type for each message, echoing what the partner needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from requests_app.iso18626.confirmations import confirmation_for, error_confirmation
from requests_app.iso18626.errors import PartialHeader, ProtocolError
from requests_app.iso18626.messages import (
    Action,
    ErrorData,
    ErrorType,
    IncomingMessage,
    MessageKind,
    MessageStatus,
    ReasonForMessage,
    RequestConfirmation,
    RequestingAgencyMessageConfirmation,
    Status,
    SupplyingAgencyMessageConfirmation,
)
from requests_app.iso18626.xml import decode, encode

from .message_examples import BORROWER, LENDER, T0, requesting_agency_message, rich_request, supplying_agency_message

RECEIVED = T0 + timedelta(seconds=2)
NOW = T0 + timedelta(seconds=3)


@pytest.mark.parametrize(
    ("message", "expected_type"),
    [
        (rich_request(), RequestConfirmation),
        (supplying_agency_message(Status.LOANED), SupplyingAgencyMessageConfirmation),
        (requesting_agency_message(Action.RECEIVED), RequestingAgencyMessageConfirmation),
    ],
    ids=["request", "supplyingAgencyMessage", "requestingAgencyMessage"],
)
def test_each_message_gets_its_own_confirmation_type_echoing_its_ids(
    message: IncomingMessage, expected_type: type, schema_errors: Callable[[bytes], list[str]]
) -> None:
    confirmation = confirmation_for(message, timestamp_received=RECEIVED, timestamp=NOW)

    assert type(confirmation) is expected_type
    assert confirmation.header.supplying_agency_id == LENDER
    assert confirmation.header.requesting_agency_id == BORROWER
    assert confirmation.header.requesting_agency_request_id == message.header.requesting_agency_request_id
    assert confirmation.header.timestamp == NOW
    assert confirmation.header.timestamp_received == RECEIVED
    assert confirmation.header.message_status is MessageStatus.OK
    assert schema_errors(encode(confirmation)) == []


def test_a_supplying_agency_message_confirmation_echoes_the_reason_for_message() -> None:
    confirmation = confirmation_for(supplying_agency_message(Status.LOANED), timestamp_received=RECEIVED)

    assert isinstance(confirmation, SupplyingAgencyMessageConfirmation)
    assert confirmation.reason_for_message is ReasonForMessage.STATUS_CHANGE


def test_a_requesting_agency_message_confirmation_echoes_the_action() -> None:
    confirmation = confirmation_for(requesting_agency_message(Action.SHIPPED_RETURN), timestamp_received=RECEIVED)

    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)
    assert confirmation.action is Action.SHIPPED_RETURN


def test_errors_make_an_error_confirmation_by_default() -> None:
    errors = [ErrorData(error_type=ErrorType.UNRECOGNISED_DATA_VALUE, error_value="no such patron type")]

    confirmation = confirmation_for(rich_request(), errors=errors, timestamp_received=RECEIVED)

    assert confirmation.header.message_status is MessageStatus.ERROR
    assert confirmation.error_data == tuple(errors)


def test_an_ok_confirmation_with_errors_is_refused() -> None:
    with pytest.raises(ValueError):
        confirmation_for(
            rich_request(),
            status=MessageStatus.OK,
            errors=[ErrorData(error_type=ErrorType.BADLY_FORMED_MESSAGE)],
            timestamp_received=RECEIVED,
        )


def test_a_confirmation_is_never_confirmed() -> None:
    confirmation = confirmation_for(rich_request(), timestamp_received=RECEIVED)

    with pytest.raises(TypeError):
        confirmation_for(confirmation, timestamp_received=RECEIVED)  # type: ignore[arg-type]


def test_the_confirmation_timestamp_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC)

    confirmation = confirmation_for(rich_request(), timestamp_received=RECEIVED)

    assert before <= confirmation.header.timestamp <= datetime.now(UTC)


def test_an_undecodable_message_is_answered_with_its_kind_of_confirmation_echoing_what_was_read(
    schema_errors: Callable[[bytes], list[str]],
) -> None:
    data = encode(supplying_agency_message(Status.LOANED)).replace(b">Loaned<", b">Shipped<")
    with pytest.raises(ProtocolError) as caught:
        decode(data)

    confirmation = error_confirmation(caught.value, timestamp_received=RECEIVED, timestamp=NOW)

    assert isinstance(confirmation, SupplyingAgencyMessageConfirmation)
    assert confirmation.header.message_status is MessageStatus.ERROR
    assert confirmation.header.supplying_agency_id == LENDER
    assert confirmation.header.requesting_agency_id == BORROWER
    assert confirmation.header.requesting_agency_request_id == "EYM-2025-000123"
    assert confirmation.reason_for_message is ReasonForMessage.STATUS_CHANGE
    assert confirmation.error_data[0].error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert "Shipped" in (confirmation.error_data[0].error_value or "")
    assert schema_errors(encode(confirmation)) == []


def test_a_body_that_is_not_xml_is_answered_with_a_bare_request_confirmation(
    schema_errors: Callable[[bytes], list[str]],
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(b"<<<garbage")

    confirmation = error_confirmation(caught.value, timestamp_received=RECEIVED)

    assert isinstance(confirmation, RequestConfirmation)
    assert confirmation.header.supplying_agency_id is None
    assert confirmation.error_data[0].error_type is ErrorType.BADLY_FORMED_MESSAGE
    assert schema_errors(encode(confirmation)) == []


def test_a_partial_header_of_a_requesting_agency_message_gives_its_confirmation_type() -> None:
    partial = PartialHeader(kind=MessageKind.REQUESTING_AGENCY_MESSAGE, requesting_agency_id=BORROWER)

    confirmation = confirmation_for(
        partial, errors=[ErrorData(error_type=ErrorType.UNSUPPORTED_ACTION_TYPE)], timestamp_received=RECEIVED
    )

    assert isinstance(confirmation, RequestingAgencyMessageConfirmation)
    assert confirmation.header.requesting_agency_id == BORROWER
    assert confirmation.action is None
