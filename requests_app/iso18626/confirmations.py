"""Build the confirmation that answers an incoming ISO 18626 message.

A request is answered with a requestConfirmation, a supplyingAgencyMessage with a
supplyingAgencyMessageConfirmation (echoing its reasonForMessage), a
requestingAgencyMessage with a requestingAgencyMessageConfirmation (echoing its action).
The confirmation header echoes both agency ids and the requesting agency's request id.
For a message that could not be decoded, the :class:`PartialHeader` of the
:class:`ProtocolError` stands in for the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from .errors import PartialHeader, ProtocolError
from .messages import (
    Confirmation,
    ConfirmationHeader,
    ErrorData,
    IncomingMessage,
    MessageKind,
    MessageStatus,
    Request,
    RequestConfirmation,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
)

__all__ = ["confirmation_for", "error_confirmation"]

#: errorValue is free text; keep what we send back short.
MAX_ERROR_VALUE_CHARS = 1000


def confirmation_for(
    message: IncomingMessage | PartialHeader,
    *,
    status: MessageStatus | None = None,
    errors: Iterable[ErrorData] = (),
    timestamp_received: datetime,
    timestamp: datetime | None = None,
) -> Confirmation:
    """Return the confirmation type that answers ``message``, echoing its ids.

    ``status`` defaults to ERROR when ``errors`` are given and OK otherwise; asking for
    OK with errors raises ``ValueError``. ``timestamp_received`` is when this system
    received the message; ``timestamp`` (default: now, UTC) is when the confirmation is
    made. Given a :class:`PartialHeader` (from a message that could not be decoded), the
    confirmation type follows its ``kind``; when the kind is unknown, or is itself a
    confirmation (which is never confirmed), a requestConfirmation is returned. Passing a
    confirmation as ``message`` raises ``TypeError``.
    """
    error_data = tuple(errors)
    if status is None:
        status = MessageStatus.ERROR if error_data else MessageStatus.OK
    if status is MessageStatus.OK and error_data:
        raise ValueError("an OK confirmation carries no errorData")
    made_at = timestamp if timestamp is not None else datetime.now(UTC)

    if isinstance(message, PartialHeader):
        header = ConfirmationHeader(
            supplying_agency_id=message.supplying_agency_id,
            requesting_agency_id=message.requesting_agency_id,
            timestamp=made_at,
            requesting_agency_request_id=message.requesting_agency_request_id,
            timestamp_received=timestamp_received,
            message_status=status,
        )
        if message.kind is MessageKind.SUPPLYING_AGENCY_MESSAGE:
            return SupplyingAgencyMessageConfirmation(
                header=header, reason_for_message=message.reason_for_message, error_data=error_data
            )
        if message.kind is MessageKind.REQUESTING_AGENCY_MESSAGE:
            return RequestingAgencyMessageConfirmation(header=header, action=message.action, error_data=error_data)
        return RequestConfirmation(header=header, error_data=error_data)

    if not isinstance(message, Request | SupplyingAgencyMessage | RequestingAgencyMessage):
        raise TypeError(f"only a request, supplyingAgencyMessage or requestingAgencyMessage is confirmed, "
                        f"not {type(message).__name__}")
    header = ConfirmationHeader(
        supplying_agency_id=message.header.supplying_agency_id,
        requesting_agency_id=message.header.requesting_agency_id,
        timestamp=made_at,
        requesting_agency_request_id=message.header.requesting_agency_request_id,
        timestamp_received=timestamp_received,
        message_status=status,
    )
    if isinstance(message, SupplyingAgencyMessage):
        return SupplyingAgencyMessageConfirmation(
            header=header, reason_for_message=message.message_info.reason_for_message, error_data=error_data
        )
    if isinstance(message, RequestingAgencyMessage):
        return RequestingAgencyMessageConfirmation(header=header, action=message.action, error_data=error_data)
    return RequestConfirmation(header=header, error_data=error_data)


def error_confirmation(
    error: ProtocolError, *, timestamp_received: datetime, timestamp: datetime | None = None
) -> Confirmation:
    """Return the ERROR confirmation for a message that raised ``error`` while decoding.

    The confirmation echoes what ``error.partial_header`` could read and carries one
    errorData with ``error.error_type`` and the error's message (cut to
    ``MAX_ERROR_VALUE_CHARS``) as errorValue.
    """
    return confirmation_for(
        error.partial_header,
        status=MessageStatus.ERROR,
        errors=[ErrorData(error_type=error.error_type, error_value=error.message[:MAX_ERROR_VALUE_CHARS])],
        timestamp_received=timestamp_received,
        timestamp=timestamp,
    )
