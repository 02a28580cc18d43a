"""Errors of the partner protocol, shaped so that they can be answered with an ERROR confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .messages import Action, AgencyId, ErrorType, MessageKind, ReasonForMessage

__all__ = ["PartialHeader", "ProtocolError"]


@dataclass(frozen=True, kw_only=True)
class PartialHeader:
    """What could be read of a message that could not be decoded in full.

    Every field is optional: a field is set only when its element was present and its
    value valid. ``kind`` says which message it was (so the right confirmation type can
    be chosen), ``version`` is the ill:version attribute, ``action`` and
    ``reason_for_message`` are set when they were valid (a confirmation may echo them).
    """

    kind: MessageKind | None = None
    version: str | None = None
    supplying_agency_id: AgencyId | None = None
    requesting_agency_id: AgencyId | None = None
    timestamp: datetime | None = None
    requesting_agency_request_id: str | None = None
    supplying_agency_request_id: str | None = None
    action: Action | None = None
    reason_for_message: ReasonForMessage | None = None


class ProtocolError(Exception):
    """A message that cannot be accepted, with the ISO 18626 errorType to answer with.

    ``message`` is a short, human-readable reason fit for errorValue (it never contains
    more than a short excerpt of the offending value). ``partial_header`` holds the header
    fields that could be read, so the caller can echo agency ids in the confirmation.
    """

    def __init__(self, error_type: ErrorType, message: str, partial_header: PartialHeader | None = None) -> None:
        super().__init__(f"{error_type.value}: {message}")
        self.error_type: ErrorType = error_type
        self.message: str = message
        self.partial_header: PartialHeader = partial_header if partial_header is not None else PartialHeader()

    def __repr__(self) -> str:
        return f"ProtocolError({self.error_type.value!r}, {self.message!r})"
