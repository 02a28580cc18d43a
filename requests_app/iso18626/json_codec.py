"""ILLMS's JSON form of ISO 18626 messages (the REST transport and the outbox payloads).

The JSON mirrors the message dataclasses: ``{"kind": "<ISO element name>", <field>: ...}``
with snake_case field names, enums as their schema values, decimals and datetimes as
strings, repeatable elements as lists. ``from_json(to_json(m)) == m`` for every message.
Bad JSON raises ``ProtocolError`` with the error type the XML codec would give.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from . import messages as m
from .errors import ProtocolError

KINDS: dict[str, type] = {
    m.MessageKind.REQUEST: m.Request,
    m.MessageKind.REQUEST_CONFIRMATION: m.RequestConfirmation,
    m.MessageKind.SUPPLYING_AGENCY_MESSAGE: m.SupplyingAgencyMessage,
    m.MessageKind.SUPPLYING_AGENCY_MESSAGE_CONFIRMATION: m.SupplyingAgencyMessageConfirmation,
    m.MessageKind.REQUESTING_AGENCY_MESSAGE: m.RequestingAgencyMessage,
    m.MessageKind.REQUESTING_AGENCY_MESSAGE_CONFIRMATION: m.RequestingAgencyMessageConfirmation,
}
KIND_OF: dict[type, str] = {cls: str(kind) for kind, cls in KINDS.items()}


def kind_of(message: Any) -> str:
    return KIND_OF[type(message)]


def to_json(message: Any) -> dict[str, Any]:
    """The JSON object for a top-level message."""
    return {"kind": kind_of(message), **_dump(message)}


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        result = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is None or item == ():
                continue
            result[f.name] = _dump(item)
        return result
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    return value


def from_json(data: Any) -> Any:
    """The message a JSON object describes. Raises ``ProtocolError`` for anything malformed."""
    if not isinstance(data, dict):
        raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, "A message is a JSON object.")
    kind = data.get("kind")
    cls = KINDS.get(kind)
    if cls is None:
        raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"Unknown message kind {kind!r}.")
    body = {k: v for k, v in data.items() if k != "kind"}
    return _load(cls, body, kind)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(options) == 1:
            return _load(options[0], value, path)
        # A union of records (an address): the one whose fields the object names.
        if isinstance(value, dict):
            for option in options:
                names = {f.name for f in dataclasses.fields(option)}
                if set(value) <= names:
                    return _load(option, value, path)
        raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_ELEMENT, f"{path}: not any of the allowed shapes.")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"{path}: a list is expected.")
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(_load(item_type, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"{path}: an object is expected.")
        hints = _hints(tp)
        unknown = set(value) - set(hints)
        if unknown:
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_ELEMENT,
                                f"{path}: unknown element(s) {', '.join(sorted(unknown))}.")
        kwargs = {name: _load(hints[name], item, f"{path}.{name}") for name, item in value.items()}
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise ProtocolError(m.ErrorType.BADLY_FORMED_MESSAGE, f"{path}: {exc}") from exc
        except ValueError as exc:
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: {exc}") from exc
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            error = {m.Action: m.ErrorType.UNSUPPORTED_ACTION_TYPE,
                     m.ReasonForMessage: m.ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE}.get(
                tp, m.ErrorType.UNRECOGNISED_DATA_VALUE)
            raise ProtocolError(error, f"{path}: {value!r} is not a {tp.__name__} value.") from None
    if tp is dt.datetime:
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: not a date-time.") from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=dt.UTC)
        try:
            # In UTC, as requests_app.utilities.moments.in_utc (the codec imports nothing of the project).
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: not a date-time.") from None
    if tp is Decimal:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: not a number.") from None
    if tp is bool:
        if not isinstance(value, bool):
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: true or false is expected.")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: not a whole number.")
        return int(value)
    if tp is str:
        if not isinstance(value, str):
            raise ProtocolError(m.ErrorType.UNRECOGNISED_DATA_VALUE, f"{path}: text is expected.")
        return value
    return value
