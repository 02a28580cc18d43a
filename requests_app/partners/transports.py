"""How an outbox message reaches its partner.

Three transports, one contract: take an ``OutboxMessage``, hand it over, return the
partner's confirmation as JSON; raise ``TransportError`` to try again later, or
``MessageRefused`` when the partner answered ERROR.

- ``local``: a member library of this installation. The message goes through the same
  inbound handler as one POSTed to ``/iso18626``, in-process: the sender is our own member
  library, so there is no credential to check.
- ``iso18626``: ISO 18626 XML POSTed to the partner's endpoint.
- ``rest``: our JSON form POSTed to another ILLMS installation's ``/api/v1/messages/``.

Both HTTP transports send the credential the partner issued to us (``Library.outgoing_auth_scheme``:
Bearer, Api-Key or HTTP Basic), stored encrypted and decrypted only here.
"""

from __future__ import annotations

import json

from django.conf import settings

from ..iso18626 import json_codec, repairs, xml
from ..iso18626.errors import ProtocolError
from ..iso18626.messages import MessageStatus
from ..models import Library, OutboxMessage, Transport
from ..utilities.outgoing_http import FetchError, fetch
from . import authentication, outbox
from .credentials import CredentialError
from .handler import handle
from .outbox import MessageRefused, TransportError


def _check(confirmation, as_json: dict) -> dict:
    if confirmation.header.message_status != MessageStatus.OK:
        errors = "; ".join(f"{e.error_type}: {e.error_value or ''}".strip() for e in confirmation.error_data)
        raise MessageRefused(f"The partner answered ERROR ({errors or 'no reason given'}).", as_json)
    return as_json


def send_local(message: OutboxMessage) -> dict:
    incoming = json_codec.from_json(message.payload)
    confirmation = handle(incoming, sender=message.sender)
    return _check(confirmation, json_codec.to_json(confirmation))


def _post(url: str, body: bytes, content_type: str, recipient: Library) -> bytes:
    headers = {"Content-Type": content_type, "Accept": content_type}
    try:
        # The credential the partner issued to us, decrypted only to be sent (authentication).
        headers.update(authentication.outgoing_authorization(recipient))
    except CredentialError as exc:
        raise TransportError(f"Our credential for {recipient.symbol} cannot be read: {exc}") from exc
    try:
        return fetch(url, body=body, headers=headers,
                     max_bytes=int(getattr(settings, "ISO18626_MAX_BODY_BYTES", 1_000_000)))
    except FetchError as exc:
        raise TransportError(str(exc)) from exc


def send_iso18626(message: OutboxMessage) -> dict:
    recipient = message.recipient
    version = recipient.iso18626_version or xml.DEFAULT_VERSION
    try:  # in the form of the version the directory says the partner speaks
        body = xml.encode(json_codec.from_json(message.payload), version=version)
    except ValueError as exc:  # tried again once the directory entry is put right
        raise TransportError(f"The message cannot be written in ISO 18626 version {version!r}: {exc}") from exc
    answer = _post(recipient.iso18626_endpoint, body, "application/xml", recipient)
    try:
        confirmation = _read_confirmation(answer, recipient)
    except ProtocolError as exc:
        raise TransportError(f"The partner's answer is not a readable confirmation: {exc}") from exc
    return _check(confirmation, json_codec.to_json(confirmation))


def _read_confirmation(answer: bytes, recipient: Library):
    """The partner's confirmation; repaired as its messages are when it is set to lenient intake."""
    try:
        return xml.decode(answer)
    except ProtocolError:
        if not recipient.reads_leniently:
            raise
        return repairs.read_leniently(answer).envelope.message


def send_rest(message: OutboxMessage) -> dict:
    recipient = message.recipient
    url = recipient.rest_endpoint.rstrip("/") + "/messages/"
    answer = _post(url, json.dumps(message.payload).encode(), "application/json", recipient)
    try:
        data = json.loads(answer)
        confirmation = json_codec.from_json(data)
    except (ValueError, ProtocolError) as exc:
        raise TransportError(f"The partner's answer is not a readable confirmation: {exc}") from exc
    return _check(confirmation, data)


outbox.TRANSPORTS.update({
    Transport.LOCAL: send_local,
    Transport.ISO18626: send_iso18626,
    Transport.REST: send_rest,
})
