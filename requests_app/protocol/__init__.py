"""The partner protocol: ISO 18626 message types (:mod:`.messages`), the XML codec
(:mod:`.xml`), protocol errors (:mod:`.errors`) and confirmation building
(:mod:`.confirmations`). Pure Python: nothing here touches the database.
"""

from .confirmations import confirmation_for, error_confirmation
from .errors import PartialHeader, ProtocolError
from .messages import *  # noqa: F403 - the message types are this package's vocabulary
from .messages import __all__ as _message_names
from .xml import Envelope, decode, decode_envelope, encode, validate

__all__ = [
    *_message_names,
    "Envelope",
    "PartialHeader",
    "ProtocolError",
    "confirmation_for",
    "decode",
    "decode_envelope",
    "encode",
    "error_confirmation",
    "validate",
]
