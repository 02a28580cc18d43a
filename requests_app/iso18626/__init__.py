"""The ISO 18626 codec: message types (:mod:`.messages`), the XML codec (:mod:`.xml`), our JSON
form (:mod:`.json_codec`), protocol errors (:mod:`.errors`), confirmation building
(:mod:`.confirmations`) and lenient intake's repairs of a partner's message (:mod:`.repairs`).

Pure Python: no Django and no other module of the project (``tests/illms/test_import_layers.py``
says so); whatever a caller configures, it passes in as an argument. The partner side
(:mod:`requests_app.partners`) puts it to work.
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
