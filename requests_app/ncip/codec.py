"""NCIP 2.02 (ANSI/NISO Z39.83-1-2012) messages on lxml: builders for the services ILL uses, a reader for
their responses, and :func:`validate` against the official schema. Pure: no Django, no network.

Builders write elements in the schema's sequence order and only the elements the schema allows, so what
they return validates against ``ncip_v2_02.xsd`` (the client checks it before sending). The reader turns
``Problem`` elements (inside the response, or at the top of the message) into the typed errors of
:mod:`.errors`, and reads the result into a :class:`Response`.

Parsing is hardened exactly as the ISO 18626 codec's: a size cap before anything is parsed, any DOCTYPE or
entity declaration refused (by a byte scan and again after parsing, for encodings the scan cannot see), no
DTD loading, no entity expansion, no network access, no huge trees.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from requests_app.utilities.moments import in_utc

from .errors import NcipUnavailable, Problem, problem_class

NS = "http://www.niso.org/2008/ncip"
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
SCHEMA_FILENAME = "ncip_v2_02.xsd"
#: Responses longer than this are refused before parsing (a LookupUser answer is a few kB).
MAX_MESSAGE_BYTES = 1_000_000

#: The services this codec writes (initiation messages) and reads (their responses).
SERVICES = ("LookupUser", "AcceptItem", "CheckOutItem", "CheckInItem", "RenewItem", "DeleteItem",
            "LookupItem", "LookupItemSet", "RecallItem", "RequestItem", "CancelRequestItem")
#: What LookupItem and LookupItemSet ask of each item.
ITEM_ELEMENTS = ("Bibliographic Description", "Circulation Status", "Item Description", "Location")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The InitiationHeader: who sends (our agency id at the ILS) and to whom (the ILS's agency id)."""

    from_agency: str
    to_agency: str
    #: Sent as FromAgencyAuthentication when the ILS expects a shared secret in the message (Symphony, Polaris).
    from_agency_authentication: str = ""
    application_profile: str = ""


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def _datetime(value: dt.date | dt.datetime) -> str:
    """xs:dateTime; a date is the end of that day in UTC (a due date is "by the end of the day")."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59), tzinfo=dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(service: str, header: Header) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(_q("NCIPMessage"), nsmap={"ns1": NS})
    root.set(_q("version"), VERSION)
    body = _sub(root, service)
    initiation = _sub(body, "InitiationHeader")
    _sub(_sub(initiation, "FromAgencyId"), "AgencyId", header.from_agency)
    if header.from_agency_authentication:
        _sub(initiation, "FromAgencyAuthentication", header.from_agency_authentication)
    _sub(_sub(initiation, "ToAgencyId"), "AgencyId", header.to_agency)
    if header.application_profile:
        _sub(initiation, "ApplicationProfileType", header.application_profile)
    return root, body


def _identifier(parent: etree._Element, kind: str, value: str, *, agency: str = "", scheme: str = "") -> None:
    """UserId / ItemId / RequestId: AgencyId?, <kind>IdentifierType?, <kind>IdentifierValue."""
    element = _sub(parent, f"{kind}Id")
    if agency:
        _sub(element, "AgencyId", agency)
    if scheme:
        _sub(element, f"{kind}IdentifierType", scheme)
    _sub(element, f"{kind}IdentifierValue", value)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class Id:
    """An identifier with its scheme (``UserIdentifierType`` …) and agency, both optional."""

    value: str
    scheme: str = ""
    agency: str = ""


def _id(parent: etree._Element, kind: str, ident: Id) -> None:
    _identifier(parent, kind, ident.value, agency=ident.agency, scheme=ident.scheme)


def lookup_user(header: Header, *, user: Id,
                elements: Iterable[str] = ("Block Or Trap", "Name Information", "User Address Information",
                                           "User Privilege")) -> bytes:
    root, body = _message("LookupUser", header)
    _id(body, "User", user)
    for name in elements:
        _sub(body, "UserElementType", name)
    return _bytes(root)


def accept_item(header: Header, *, request: Id, item: Id, user: Id | None, title: str, author: str = "",
                date_for_return: dt.date | None = None, pickup_location: str = "",
                action: str = "Hold For Pickup") -> bytes:
    """Create the temporary item for a borrowed loan (the ILS places it on hold for ``user``)."""
    root, body = _message("AcceptItem", header)
    _id(body, "Request", request)
    _sub(body, "RequestedActionType", action)
    if user is not None:
        _id(body, "User", user)
    _id(body, "Item", item)
    if date_for_return is not None:
        _sub(body, "DateForReturn", _datetime(date_for_return))
    optional = _sub(body, "ItemOptionalFields")
    description = _sub(optional, "BibliographicDescription")
    if author:
        _sub(description, "Author", author[:255])
    _sub(description, "Title", (title or "Interlibrary loan")[:255])
    if pickup_location:
        _sub(body, "PickupLocation", pickup_location)
    return _bytes(root)


def check_out_item(header: Header, *, user: Id, item: Id, request: Id | None = None,
                   desired_date_due: dt.date | None = None) -> bytes:
    root, body = _message("CheckOutItem", header)
    _id(body, "User", user)
    _id(body, "Item", item)
    if request is not None:
        _id(body, "Request", request)
    if desired_date_due is not None:
        _sub(body, "DesiredDateDue", _datetime(desired_date_due))
    return _bytes(root)


def check_in_item(header: Header, *, item: Id) -> bytes:
    root, body = _message("CheckInItem", header)
    _id(body, "Item", item)
    _sub(body, "ItemElementType", "Bibliographic Description")
    return _bytes(root)


def renew_item(header: Header, *, user: Id, item: Id, desired_date_due: dt.date | None = None) -> bytes:
    root, body = _message("RenewItem", header)
    _id(body, "User", user)
    _id(body, "Item", item)
    if desired_date_due is not None:
        _sub(body, "DesiredDateDue", _datetime(desired_date_due))
    return _bytes(root)


def delete_item(header: Header, *, item: Id) -> bytes:
    root, body = _message("DeleteItem", header)
    _id(body, "Item", item)
    return _bytes(root)


def lookup_item(header: Header, *, item: Id, current_borrower: bool = False) -> bytes:
    """The item's status, location, call number and due date; ``current_borrower``: and who has it out."""
    root, body = _message("LookupItem", header)
    _id(body, "Item", item)
    for name in ITEM_ELEMENTS:
        _sub(body, "ItemElementType", name)
    if current_borrower:
        _sub(body, "CurrentBorrowerDesired")
    return _bytes(root)


def lookup_item_set(header: Header, *, items: Iterable[Id], current_borrower: bool = False,
                    maximum: int | None = None) -> bytes:
    """Several items at once (the copies of one record, or the temporary items of many loans), by item id."""
    root, body = _message("LookupItemSet", header)
    wanted = list(items)
    if not wanted:
        raise ValueError("LookupItemSet needs at least one item")
    for item in wanted:
        _id(body, "Item", item)
    for name in ITEM_ELEMENTS:
        _sub(body, "ItemElementType", name)
    if current_borrower:
        _sub(body, "CurrentBorrowerDesired")
    if maximum is not None:
        _sub(body, "MaximumItemsCount", str(maximum))
    return _bytes(root)


def recall_item(header: Header, *, item: Id, desired_date_due: dt.date) -> bytes:
    """Bring the loan's due date forward to ``desired_date_due`` (the lender recalled the item)."""
    root, body = _message("RecallItem", header)
    _id(body, "Item", item)
    _sub(body, "DesiredDateDue", _datetime(desired_date_due))
    return _bytes(root)


def request_item(header: Header, *, user: Id, request: Id, item: Id | None = None, isbn: str = "",
                 request_type: str = "Hold", scope: str = "Item", pickup_location: str = "",
                 need_before: dt.date | None = None) -> bytes:
    """Place our own item (or, without an item id, the title by ISBN) on hold for pulling."""
    root, body = _message("RequestItem", header)
    _id(body, "User", user)
    if item is not None:
        _id(body, "Item", item)
    else:
        bibliographic = _sub(body, "BibliographicId")
        _sub(_sub(bibliographic, "BibliographicItemId"), "BibliographicItemIdentifier", isbn)
    _id(body, "Request", request)
    _sub(body, "RequestType", request_type)
    _sub(body, "RequestScopeType", scope)
    if need_before is not None:
        _sub(body, "NeedBeforeDate", _datetime(need_before))
    if pickup_location:
        _sub(body, "PickupLocation", pickup_location)
    return _bytes(root)


def cancel_request_item(header: Header, *, user: Id, request: Id, item: Id | None = None,
                        request_type: str = "Hold") -> bytes:
    root, body = _message("CancelRequestItem", header)
    _id(body, "User", user)
    _id(body, "Request", request)
    if item is not None:
        _id(body, "Item", item)
    _sub(body, "RequestType", request_type)
    return _bytes(root)


# --------------------------------------------------------------------------------------
# Parsing (hardened)
# --------------------------------------------------------------------------------------

_FORBIDDEN_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")


def _hardened_parser() -> etree.XMLParser:
    """A new parser (lxml parsers are not thread-safe) with every external or expanding feature off."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=False)


class UnreadableMessage(ValueError):
    """Not an NCIP document we may read: too large, empty, not well-formed, or with a DTD."""


def parse(data: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> etree._Element:
    """The root element of ``data``, or ``UnreadableMessage``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"an NCIP body must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise UnreadableMessage(f"the message is {len(data)} bytes long, more than the {max_bytes} allowed")
    if not data.strip():
        raise UnreadableMessage("the message is empty")
    if any(declaration in data for declaration in _FORBIDDEN_DECLARATIONS):
        raise UnreadableMessage("DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableMessage(f"not well-formed XML: {str(exc.msg)[:200]}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnreadableMessage("DOCTYPE and entity declarations are not allowed")
    return root


_SCHEMA_LOCK = threading.Lock()


@functools.lru_cache(maxsize=2)
def _load_schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(path, parser))


def schema_path(schema_dir: Path | str) -> Path:
    return Path(schema_dir) / SCHEMA_FILENAME


def validate(data: bytes, schema_dir: Path | str, *, max_bytes: int = MAX_MESSAGE_BYTES) -> list[str]:
    """Every problem of ``data`` against ``ncip_v2_02.xsd`` in ``schema_dir`` ("line N: message"); empty: valid.

    Raises ``OSError`` when the schema file cannot be read. The schema is parsed once per path.
    """
    try:
        root = parse(data, max_bytes=max_bytes)
    except UnreadableMessage as exc:
        return [str(exc)]
    schema = _load_schema(str(schema_path(schema_dir).resolve()))
    with _SCHEMA_LOCK:  # an XMLSchema object is not safe to use from two threads at once
        if schema.validate(root):
            return []
        return [f"line {entry.line}: {entry.message}" for entry in schema.error_log]


# --------------------------------------------------------------------------------------
# Reading responses
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Privilege:
    type: str
    status: str = ""
    valid_to: dt.datetime | None = None
    description: str = ""


@dataclass(frozen=True)
class Block:
    type: str
    valid_to: dt.datetime | None = None


@dataclass(frozen=True)
class UserRecord:
    """What LookupUser told of a user."""

    user_id: str = ""
    name: str = ""
    email: str = ""
    privileges: tuple[Privilege, ...] = ()
    blocks: tuple[Block, ...] = ()

    def expired_on(self, today: dt.date) -> dt.date | None:
        """The day a privilege ran out, when every privilege with an end has ended before ``today``."""
        ends = [p.valid_to for p in self.privileges if p.valid_to is not None]
        if ends and all(end.date() < today for end in ends):
            return max(ends).date()
        return None

    def block_reason(self, *, ok_statuses: Iterable[str] = ("ACTIVE", "OK", "OKAY", "VALID")) -> str:
        """Why the ILS blocks the user (its words), or empty: a BlockOrTrap, or a privilege status not OK."""
        if self.blocks:
            return "; ".join(block.type for block in self.blocks)
        ok = {status.upper() for status in ok_statuses}
        for privilege in self.privileges:
            if privilege.status and privilege.status.upper() not in ok:
                return privilege.description or privilege.status
        return ""

    @property
    def category(self) -> str:
        """The first privilege type (the ILS's patron group or category), or empty."""
        return self.privileges[0].type if self.privileges else ""


@dataclass(frozen=True)
class ItemRecord:
    """What LookupItem (or another service's ItemOptionalFields) told of an item."""

    title: str = ""
    circulation_status: str = ""
    call_number: str = ""
    location: str = ""
    date_due: dt.datetime | None = None
    hold_queue_length: int | None = None
    #: Who has it out (``ItemTransaction/CurrentBorrower``), when the ILS was asked and says.
    borrower: str = ""
    #: The item's id as the answer names it (LookupItemSet answers many items).
    item_id: str = ""
    #: Why the ILS has nothing on this item (a Problem inside a LookupItemSet's answer), in its words, and its type.
    problem: str = ""
    problem_type: str = ""


@dataclass(frozen=True)
class Response:
    """A response without problems, read."""

    service: str
    item_id: str = ""
    user_id: str = ""
    request_id: str = ""
    date_due: dt.datetime | None = None
    renewal_count: int | None = None
    #: RenewItem answered Pending: the ILS decides later.
    pending: bool = False
    user: UserRecord | None = None
    item: ItemRecord | None = None
    #: LookupItemSet: every item the answer names, in its order.
    items: tuple[ItemRecord, ...] = ()
    problems: tuple[Problem, ...] = field(default=())


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path, {"n": NS})
    return (found.text or "").strip() if found is not None else ""


def _when(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return in_utc(value)


def _problems(parent: etree._Element) -> list[Problem]:
    return [Problem(type=_text(p, "n:ProblemType"), detail=_text(p, "n:ProblemDetail"),
                    element=_text(p, "n:ProblemElement"), value=_text(p, "n:ProblemValue"))
            for p in parent.findall("n:Problem", {"n": NS})]


def _user_record(response: etree._Element) -> UserRecord:
    ns = {"n": NS}
    optional = response.find("n:UserOptionalFields", ns)
    name = ""
    email = ""
    privileges: list[Privilege] = []
    blocks: list[Block] = []
    if optional is not None:
        structured = optional.find("n:NameInformation/n:PersonalNameInformation/n:StructuredPersonalUserName", ns)
        if structured is not None:
            name = " ".join(part for part in (_text(structured, "n:GivenName"), _text(structured, "n:Surname"))
                            if part)
        name = name or _text(optional, "n:NameInformation/n:PersonalNameInformation/n:UnstructuredPersonalUserName")
        for address in optional.findall("n:UserAddressInformation/n:ElectronicAddress", ns):
            if "mail" in _text(address, "n:ElectronicAddressType").lower() and not email:
                email = _text(address, "n:ElectronicAddressData")
        for element in optional.findall("n:UserPrivilege", ns):
            privileges.append(Privilege(
                type=_text(element, "n:AgencyUserPrivilegeType"),
                status=_text(element, "n:UserPrivilegeStatus/n:UserPrivilegeStatusType"),
                valid_to=_when(_text(element, "n:ValidToDate")),
                description=_text(element, "n:UserPrivilegeDescription")))
        for element in optional.findall("n:BlockOrTrap", ns):
            blocks.append(Block(type=_text(element, "n:BlockOrTrapType"),
                                valid_to=_when(_text(element, "n:ValidToDate"))))
    return UserRecord(user_id=_text(response, "n:UserId/n:UserIdentifierValue"), name=name, email=email,
                      privileges=tuple(privileges), blocks=tuple(blocks))


def _locations(parent: etree._Element | None) -> list[str]:
    if parent is None:
        return []
    return [value.text.strip() for value in
            parent.findall("n:Location/n:LocationName/n:LocationNameInstance/n:LocationNameValue", {"n": NS})
            if value.text and value.text.strip()]


def _item_record(response: etree._Element, *, title: str = "", call_number: str = "",
                 location: str = "") -> ItemRecord | None:
    """The item an answer (or a LookupItemSet's ``ItemInformation``) describes; ``title``, ``call_number`` and
    ``location`` are its holdings set's, used where the item says none."""
    ns = {"n": NS}
    optional = response.find("n:ItemOptionalFields", ns)
    borrower = (_text(response, "n:ItemTransaction/n:CurrentBorrower/n:UserId/n:UserIdentifierValue")
                or _text(response, "n:CurrentBorrower/n:UserId/n:UserIdentifierValue"))
    if optional is None and not borrower:
        return None
    queue = _text(optional, "n:HoldQueueLength")
    due = _text(optional, "n:DateDue") or _text(response, "n:DateDue")
    return ItemRecord(title=_text(optional, "n:BibliographicDescription/n:Title") or title,
                      circulation_status=_text(optional, "n:CirculationStatus"),
                      call_number=_text(optional, "n:ItemDescription/n:CallNumber") or call_number,
                      location=" / ".join(_locations(optional)) or location, date_due=_when(due),
                      hold_queue_length=int(queue) if queue.isdigit() else None, borrower=borrower,
                      item_id=_text(response, "n:ItemId/n:ItemIdentifierValue"))


def _item_set(response: etree._Element) -> tuple[ItemRecord, ...]:
    """Every item of a LookupItemSetResponse, with its own Problem (an item the ILS does not know) kept."""
    ns = {"n": NS}
    found: list[ItemRecord] = []
    for bib in response.findall("n:BibInformation", ns):
        title = _text(bib, "n:BibliographicDescription/n:Title")
        for holdings in bib.findall("n:HoldingsSet", ns):
            held_title = _text(holdings, "n:BibliographicDescription/n:Title") or title
            call_number = _text(holdings, "n:CallNumber")
            location = " / ".join(_locations(holdings))
            for information in holdings.findall("n:ItemInformation", ns):
                problems = _problems(information)
                item_id = _text(information, "n:ItemId/n:ItemIdentifierValue")
                if problems:
                    found.append(ItemRecord(item_id=item_id, problem=str(problems[0]),
                                            problem_type=problems[0].type))
                    continue
                record = _item_record(information, title=held_title, call_number=call_number, location=location)
                found.append(record or ItemRecord(item_id=item_id, title=held_title, call_number=call_number,
                                                  location=location))
            for problem in _problems(holdings):
                found.append(ItemRecord(item_id=_text(holdings, "n:HoldingsSetId"), problem=str(problem),
                                        problem_type=problem.type))
        for problem in _problems(bib):
            found.append(ItemRecord(item_id=_text(bib, "n:BibliographicId/n:BibliographicItemId/"
                                                       "n:BibliographicItemIdentifier"), problem=str(problem),
                                    problem_type=problem.type))
    return tuple(found)


def read_response(data: bytes, service: str, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Response:
    """Read the answer to ``service``; raises the typed ``NcipProblem`` for Problem elements, and
    ``NcipUnavailable`` for a document that is not that service's response."""
    try:
        root = parse(data, max_bytes=max_bytes)
    except UnreadableMessage as exc:
        raise NcipUnavailable(f"unreadable NCIP response: {exc}") from None
    if root.tag != _q("NCIPMessage"):
        raise NcipUnavailable(f"not an NCIP message: the root element is {etree.QName(root).localname}")
    problems = _problems(root)  # a message-level Problem: the ILS could not read or route our message
    response = root.find(_q(f"{service}Response"))
    if response is None and not problems:
        children = [etree.QName(child).localname for child in root if isinstance(child.tag, str)]
        raise NcipUnavailable(f"expected a {service}Response, got {', '.join(children) or 'nothing'}")
    if response is not None:
        problems += _problems(response)
    if problems:
        raise problem_class(problems[0].type)(problems, service=service)
    assert response is not None
    renewal = _text(response, "n:RenewalCount")
    return Response(
        service=service,
        item_id=_text(response, "n:ItemId/n:ItemIdentifierValue"),
        user_id=_text(response, "n:UserId/n:UserIdentifierValue"),
        request_id=_text(response, "n:RequestId/n:RequestIdentifierValue"),
        date_due=_when(_text(response, "n:DateDue")),
        renewal_count=int(renewal) if renewal.isdigit() else None,
        pending=response.find(_q("Pending")) is not None,
        user=_user_record(response) if service == "LookupUser" else None,
        item=_item_record(response),
        items=_item_set(response) if service == "LookupItemSet" else (),
    )


def service_of(data: bytes) -> str:
    """The service an initiation or response message carries (the element under NCIPMessage)."""
    root = parse(data)
    for child in root:
        if isinstance(child.tag, str):
            return etree.QName(child).localname
    return ""
