"""Lenient intake: a partner's message normalised before it is read, and every repair recorded.

Peers in the field send messages that are not schema-valid in small, well-known ways. Refusing
them is correct by the letter and stalls the transaction in practice, so for a partner whose
directory entry says so (``Library.reads_leniently``), the partner side reads a message the strict
reader refused once more through :func:`read_leniently`, which repairs the tree first:

* an empty optional element (``<dueDate/>``, ``<answerYesNo/>``, ``<note/>``, an empty
  ``<shippingInfo/>``) is dropped, as if it were not there;
* an empty or missing ``statusInfo/lastChange`` or ``deliveryInfo/dateSent`` is taken as the
  message's own timestamp (its header's; the lender's "now" is the safe value of both);
* a CancelResponse without ``statusInfo`` gets one derived from its answer: ``Y`` is
  ``Cancelled``; ``N`` is the status the transaction has now, which only the caller knows (it
  passes it as ``status_now``; without it the message stays refused).

Nothing else is repaired: an empty required element with no safe value stays as it was and is
refused as the strict reader refuses it. Each repair is a :class:`Repair` (which element, what was
wrong, what was done) for the caller to record and show. Version labels need no repair: the codec
reads 1.0 and 1.1 as 1.2 for every partner (``xml.VERSION_FORMS``). Pure Python (lxml), like the rest
of the codec.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import ProtocolError
from .messages import MessageKind, ReasonForMessage, Status
from .xml import MAX_MESSAGE_BYTES, NS, Envelope, decode_envelope

__all__ = ["Reading", "Repair", "read_leniently", "strict_refusal"]

#: Element names that are required wherever the schema has them (somewhere, at least): an empty one is
#: never dropped, so it is read (and refused, unless it is a string) as the strict reader reads it.
#: ``tests/interop/test_lenient_intake.py`` checks this set against the codec's field table.
_KEPT_WHEN_EMPTY = frozenset({
    "action", "agencyIdType", "agencyIdValue", "bibliographicInfo", "bibliographicItemIdentifier",
    "bibliographicItemIdentifierCode", "bibliographicRecordIdentifier", "bibliographicRecordIdentifierCode",
    "confirmationHeader", "currencyCode", "electronicAddressData", "electronicAddressType", "errorType", "header",
    "messageInfo", "messageStatus", "monetaryValue", "reasonForMessage", "requestingAgencyId",
    "requestingAgencyRequestId", "serviceInfo", "serviceType", "status", "statusInfo", "supplyingAgencyId",
    "timestamp", "timestampReceived",
})
#: Required dates whose safe value is the message's own timestamp: (parent, element).
_DATED_BY_TIMESTAMP = (("statusInfo", "lastChange"), ("deliveryInfo", "dateSent"))


@dataclass(frozen=True)
class Repair:
    """One repair of a partner's message: ``element`` (its path) ``defect`` (what was wrong), ``done``."""

    element: str
    defect: str
    done: str

    @property
    def text(self) -> str:
        """The repair in plain words, for staff: "“dueDate” in statusInfo was empty: left out"."""
        *parents, name = self.element.split("/")
        where = f" in {parents[-1]}" if len(parents) > 1 else ""
        return f"“{name}”{where} {self.defect}: {self.done}"

    def as_data(self) -> dict[str, str]:
        """The repair as JSON-ready data (an event's ``data``, the inbound message's record)."""
        return {"element": self.element, "defect": self.defect, "done": self.done, "text": self.text}


@dataclass(frozen=True)
class Reading:
    """A message read leniently: the envelope (version as read) and what was repaired to read it."""

    envelope: Envelope
    repairs: tuple[Repair, ...] = ()


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _local(element: etree._Element) -> str | None:
    """The local name of an element of the ISO 18626 namespace (``None`` for anything else)."""
    if not isinstance(element.tag, str):
        return None
    qname = etree.QName(element)
    return qname.localname if qname.namespace == NS else None


def read_leniently(data: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES,
                   status_now: Status | None = None) -> Reading:
    """Read ``data`` after repairing the defects this module names; raises ``ProtocolError`` for the rest.

    ``status_now`` is the status the transaction has now (what the lender last told us), used only
    for a CancelResponse with answer ``N`` and no ``statusInfo``.
    """
    repairs: list[Repair] = []

    def prepare(root: etree._Element) -> None:
        repairs.extend(_normalise(root, status_now))

    envelope = decode_envelope(data, max_bytes=max_bytes, prepare=prepare)
    return Reading(envelope=envelope, repairs=tuple(repairs))


def strict_refusal(error: ProtocolError) -> ProtocolError:
    """``error`` as answered to a partner that is not lenient, when lenient intake would have repaired it."""
    hint = (" This library's system repairs such a message for a partner set to lenient intake in its "
            "directory; ask it to set yours, or send the message as the schema says.")
    return ProtocolError(error.error_type, error.message + "." + hint, error.partial_header)


# The repairs ----------------------------------------------------------------------------------------


def _normalise(root: etree._Element, status_now: Status | None) -> list[Repair]:
    repairs: list[Repair] = []
    message = next((child for child in root if _local(child) in _KIND_NAMES), None)
    if message is None:
        return repairs
    kind = _local(message)
    for child in list(message):
        _drop_empty(child, kind, repairs)
    timestamp = _timestamp_text(message)
    if kind == MessageKind.SUPPLYING_AGENCY_MESSAGE.value:
        _derive_cancel_status(message, kind, timestamp, status_now, repairs)
    if timestamp is not None:
        for parent_name, name in _DATED_BY_TIMESTAMP:
            parent = message.find(_q(parent_name))
            if parent is not None:
                _date_by_timestamp(parent, f"{kind}/{parent_name}/{name}", name, timestamp, repairs)
    return repairs


_KIND_NAMES = frozenset(kind.value for kind in MessageKind)


def _is_blank(element: etree._Element) -> bool:
    """No child element and no text but white space (comments do not count)."""
    if any(isinstance(child.tag, str) for child in element):
        return False
    return not "".join(element.itertext()).strip()


def _drop_empty(element: etree._Element, path: str, repairs: list[Repair]) -> None:
    """Drop ``element`` if it is empty (after dropping its own empty children) and may be left out."""
    name = _local(element)
    if name is None:
        return
    where = f"{path}/{name}"
    for child in list(element):
        _drop_empty(child, where, repairs)
    if name in _KEPT_WHEN_EMPTY or any(name == dated for _, dated in _DATED_BY_TIMESTAMP):
        return
    if _is_blank(element) and not element.attrib.get(_q("scheme")) and not element.attrib.get("scheme"):
        element.getparent().remove(element)
        repairs.append(Repair(where, "was empty", "left out"))


def _timestamp_text(message: etree._Element) -> str | None:
    header = message.find(_q("header"))
    timestamp = header.find(_q("timestamp")) if header is not None else None
    text = "".join(timestamp.itertext()).strip() if timestamp is not None else ""
    return text or None


def _date_by_timestamp(parent: etree._Element, where: str, name: str, timestamp: str,
                       repairs: list[Repair]) -> None:
    found = parent.findall(_q(name))
    if len(found) > 1:
        return  # too many is refused as it is
    if found and not _is_blank(found[0]):
        return
    element = found[0] if found else etree.SubElement(parent, _q(name))
    element.text = timestamp
    defect = "was empty" if found else "was missing"
    repairs.append(Repair(where, defect, f"taken as the message's timestamp, {timestamp}"))


def _derive_cancel_status(message: etree._Element, kind: str, timestamp: str | None, status_now: Status | None,
                          repairs: list[Repair]) -> None:
    status_info = message.find(_q("statusInfo"))
    if status_info is not None and _is_blank(status_info):  # <statusInfo/> says no more than none
        message.remove(status_info)
        status_info = None
    if status_info is not None or timestamp is None:
        return
    info = message.find(_q("messageInfo"))
    if info is None or _text(info, "reasonForMessage") != ReasonForMessage.CANCEL_RESPONSE.value:
        return
    answer = _text(info, "answerYesNo")
    if answer == "Y":
        status, why = Status.CANCELLED, "the answer is Y"
    elif answer == "N" and status_now is not None:
        status, why = status_now, "the answer is N: the status the request has now"
    else:
        return
    status_info = etree.Element(_q("statusInfo"))
    etree.SubElement(status_info, _q("status")).text = status.value
    etree.SubElement(status_info, _q("lastChange")).text = timestamp
    info.addnext(status_info)
    repairs.append(Repair(f"{kind}/statusInfo", "was missing from a CancelResponse",
                          f"status {status.value} ({why}), last changed at the message's timestamp"))


def _text(parent: etree._Element, name: str) -> str:
    element = parent.find(_q(name))
    return "".join(element.itertext()).strip() if element is not None else ""
