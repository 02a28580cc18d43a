"""How an outbox message reaches its partner.

Three transports, one contract: take an ``OutboxMessage``, hand it over, return the
partner's confirmation as JSON; raise ``TransportError`` to try again later, or
``MessageRefused`` when the partner answered ERROR.

- ``local``: a member library of this installation. The message goes through the same
  inbound handler as one POSTed to ``/iso18626``, in-process.
- ``iso18626``: ISO 18626 XML POSTed to the partner's endpoint.
- ``rest``: our JSON form POSTed to another ILLMS installation's ``/api/v1/messages/``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings

from . import outbox
from .models import OutboxMessage, Transport
from .outbox import MessageRefused, TransportError
from .protocol import json_codec
from .protocol.errors import ProtocolError
from .protocol.messages import MessageStatus


def _timeout() -> float:
    return float(getattr(settings, "ILLMS_PARTNER_TIMEOUT_SECONDS", 20))


def _check(confirmation, as_json: dict) -> dict:
    if confirmation.header.message_status != MessageStatus.OK:
        errors = "; ".join(f"{e.error_type}: {e.error_value or ''}".strip() for e in confirmation.error_data)
        raise MessageRefused(f"The partner answered ERROR ({errors or 'no reason given'}).", as_json)
    return as_json


def send_local(message: OutboxMessage) -> dict:
    from .protocol.handler import handle

    incoming = json_codec.from_json(message.payload)
    confirmation = handle(incoming, sender=message.sender)
    return _check(confirmation, json_codec.to_json(confirmation))


def _post(url: str, body: bytes, content_type: str, key: str) -> bytes:
    headers = {"Content-Type": content_type, "Accept": content_type, "User-Agent": "ILLMS"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310 - partner URL from the directory
            return response.read(int(getattr(settings, "ISO18626_MAX_BODY_BYTES", 1_000_000)) + 1)
    except urllib.error.HTTPError as exc:
        raise TransportError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TransportError(f"{url} unreachable: {getattr(exc, 'reason', exc)}") from exc


def send_iso18626(message: OutboxMessage) -> dict:
    from .protocol import xml

    recipient = message.recipient
    body = xml.encode(json_codec.from_json(message.payload), version=recipient.iso18626_version or "1.2")
    answer = _post(recipient.iso18626_endpoint, body, "application/xml", recipient.outgoing_api_key)
    try:
        confirmation = xml.decode(answer)
    except ProtocolError as exc:
        raise TransportError(f"The partner's answer is not a readable confirmation: {exc}") from exc
    return _check(confirmation, json_codec.to_json(confirmation))


def send_rest(message: OutboxMessage) -> dict:
    recipient = message.recipient
    url = recipient.rest_endpoint.rstrip("/") + "/messages/"
    answer = _post(url, json.dumps(message.payload).encode(), "application/json", recipient.outgoing_api_key)
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
