"""A client for library catalogues over SRU: CQL built safely, searchRetrieve (SRU 1.2 or 2.0), records read.

What the rota needs from a catalogue is who holds an item, under which call number, and whether it is on
the shelf. ``build_cql`` turns an ISBN, ISSN, OCLC number or a title and author into a CQL query whose
terms are always quoted and escaped (a title with a quote, a backslash or a ``*`` searches for those
characters, it never changes the query). ``search_retrieve`` asks one catalogue, reading at most
``MAX_RESPONSE_BYTES`` before a deadline, and ``parse_response`` reads the answer with a parser that loads
no DTD, resolves no entity and reaches no network. MARCXML records are read with pymarc, their holdings
from the fields catalogues put them in (``holdings_of``); Dublin Core records with lxml.

Nothing here touches the database: ``requests_app.directory.holdings`` asks every configured catalogue
at once and maps what they say to directory entries.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from dataclasses import dataclass, field

import pymarc
import requests
from lxml import etree
from stdnum import isbn as isbn_number
from stdnum import issn as issn_number

SRU_1_NS = "http://www.loc.gov/zing/srw/"
SRU_2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG_NS = ("http://www.loc.gov/zing/srw/diagnostic/", "http://docs.oasis-open.org/ns/search-ws/diagnostic")
MARC_NS = "http://www.loc.gov/MARC21/slim"
DC_NS = "http://purl.org/dc/elements/1.1/"
MARCXML_SCHEMA = "info:srw/schema/1/marcxml-v1.1"
DC_SCHEMA = "info:srw/schema/1/dc-v1.1"
SCHEMA_IDS = {"marcxml": MARCXML_SCHEMA, "dc": DC_SCHEMA}

#: The CQL indexes asked for each kind of identifier (the Bath profile's, which catalogues widely map).
INDEX_ISBN = "bath.isbn"
INDEX_ISSN = "bath.issn"
INDEX_OCLC = "bath.standardIdentifier"
INDEX_TITLE = "dc.title"
INDEX_AUTHOR = "dc.creator"

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_TERM_LENGTH = 200
#: Title words kept for a title search: enough to find the book, few enough that a subtitle's variant spelling
#: does not lose it.
MAX_TITLE_WORDS = 6

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CQL_SPECIAL = re.compile(r'([\\"*?^])')
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP_WORDS = frozenset({"the", "a", "an", "and", "of", "or", "not", "prox", "der", "die", "das", "le", "la", "les"})


class SruError(Exception):
    """A catalogue that could not be asked or whose answer could not be read; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "timeout", "unreachable", "http", "too_large", "malformed", "diagnostic"
        self.message = message


# CQL ------------------------------------------------------------------------------------------------------------

def cql_term(value: str) -> str:
    """``value`` as a quoted CQL term: control characters dropped, ``\\ " * ? ^`` escaped, at most 200 characters."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())[:MAX_TERM_LENGTH]
    return '"' + _CQL_SPECIAL.sub(r"\\\1", text) + '"'


def isbn_forms(value: str) -> list[str]:
    """A valid ISBN as its ISBN-13 and, when it has one, ISBN-10 form (catalogues index either); [] if invalid."""
    try:
        compact = isbn_number.validate(value)
    except Exception:  # stdnum raises its ValidationError subclasses (bad length, checksum, format)
        return []
    forms = [isbn_number.to_isbn13(compact)]
    with contextlib.suppress(Exception):  # a 979 ISBN has no ISBN-10
        forms.append(isbn_number.to_isbn10(compact))
    return list(dict.fromkeys(forms))


def issn_form(value: str) -> str:
    """A valid ISSN in its hyphenated form (``0028-0836``); "" if invalid."""
    try:
        return issn_number.format(issn_number.validate(value))
    except Exception:
        return ""


def oclc_form(value: str) -> str:
    """An OCLC number's digits (``ocm12345678``, ``(OCoLC)12345678`` and ``12345678`` alike); "" if none."""
    digits = re.sub(r"^\s*(\(ocolc\))?\s*(ocm|ocn|on)?", "", (value or "").lower()).strip()
    return digits.lstrip("0") if digits.isdigit() else ""


def _words(value: str, limit: int) -> str:
    words = [w for w in _WORD.findall(value or "") if w.lower() not in _STOP_WORDS]
    return " ".join(words[:limit])


def _surname(author: str) -> str:
    author = author or ""
    part = author.split(",", 1)[0] if "," in author else (author.split() or [""])[-1]
    words = _WORD.findall(part)
    return max(words, key=len) if words else ""


def build_cql(*, isbn: str = "", issn: str = "", oclc_number: str = "", title: str = "", author: str = "") -> str:
    """The CQL query for an item: its identifiers (any of them matching), else its title words and author's surname.

    Raises ``ValueError`` when there is nothing to search by (no valid identifier, no title).
    """
    clauses = [f"{INDEX_ISBN}={cql_term(form)}" for form in isbn_forms(isbn)]
    if issn_form(issn):
        clauses.append(f"{INDEX_ISSN}={cql_term(issn_form(issn))}")
    if oclc_form(oclc_number):
        clauses.append(f"{INDEX_OCLC}={cql_term('(OCoLC)' + oclc_form(oclc_number))}")
    if clauses:
        return " or ".join(clauses)
    words = _words(title, MAX_TITLE_WORDS)
    if not words:
        raise ValueError("Nothing to search a catalogue by: no valid ISBN, ISSN or OCLC number and no title.")
    query = f"{INDEX_TITLE} all {cql_term(words)}"
    surname = _surname(author)
    if surname:
        query += f" and {INDEX_AUTHOR} all {cql_term(surname)}"
    return query


# What an answer holds --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HoldingStatement:
    """One holding a record names: the holder's code (ISIL, OCLC symbol or the catalogue's own), where, which copy."""

    holder: str = ""
    location: str = ""
    call_number: str = ""
    #: True on the shelf, False out (on loan, missing, not for loan), None when the catalogue does not say.
    available: bool | None = None
    status: str = ""


@dataclass(frozen=True)
class CatalogueRecord:
    title: str = ""
    author: str = ""
    isbns: tuple[str, ...] = ()
    issns: tuple[str, ...] = ()
    oclc_numbers: tuple[str, ...] = ()
    holdings: tuple[HoldingStatement, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    uri: str
    message: str = ""
    details: str = ""

    def __str__(self) -> str:
        text = self.message or self.uri
        return f"{text} ({self.details})" if self.details else text


@dataclass(frozen=True)
class SruResult:
    total: int
    records: list[CatalogueRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


# Asking ---------------------------------------------------------------------------------------------------------

def search_retrieve(*, base_url: str, query: str, version: str = "1.2", schema: str = "marcxml",
                    max_records: int = 10, start_record: int = 1, timeout: float = 5.0,
                    session: requests.Session | None = None) -> SruResult:
    """Ask the catalogue at ``base_url`` for ``query``; the whole exchange ends within ``timeout`` seconds.

    Raises ``SruError`` when the catalogue does not answer in time, answers with an HTTP error, too much,
    something that is not an SRU response, or only a diagnostic (a fatal one: no records).
    """
    params = {"operation": "searchRetrieve", "version": version, "query": query,
              "maximumRecords": str(max_records), "startRecord": str(start_record),
              "recordSchema": schema}
    params["recordXMLEscaping" if version.startswith("2") else "recordPacking"] = "xml"
    deadline = time.monotonic() + timeout
    http = session or requests
    try:
        with http.get(base_url, params=params, timeout=(timeout, timeout), stream=True,
                      headers={"Accept": "application/xml, text/xml;q=0.9, */*;q=0.1"},
                      allow_redirects=True) as response:
            body = _read_body(response, deadline)
            status = response.status_code
    except requests.Timeout as exc:
        raise SruError("timeout", f"No answer within {timeout:g} seconds.") from exc
    except requests.RequestException as exc:
        raise SruError("unreachable", f"Could not reach the catalogue: {exc.__class__.__name__}.") from exc
    if status >= 400 and b"diagnostic" not in body:
        raise SruError("http", f"The catalogue answered HTTP {status}.")
    return parse_response(body)


def _read_body(response: requests.Response, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise SruError("too_large", f"The answer is larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB.")
        if time.monotonic() > deadline:
            raise requests.Timeout("the answer kept coming past the deadline")
        chunks.append(chunk)
    return b"".join(chunks)


# Reading --------------------------------------------------------------------------------------------------------

def _parser() -> etree.XMLParser:
    # No DTD, no entities, no network, no gigantic trees: an answer is data, never instructions.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes | str) -> etree._Element:
    """``data`` as an element tree, refusing a DOCTYPE (and with it every entity trick); raises ``SruError``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise SruError("malformed", f"The answer is not well-formed XML ({exc.msg}).") from exc
    if root is None:
        raise SruError("malformed", "The answer is empty.")
    if root.getroottree().docinfo.doctype:
        raise SruError("malformed", "The answer carries a DOCTYPE; SRU answers have none.")
    return root


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element if _local(c) == name), None)


def _text(element: etree._Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def parse_response(data: bytes | str) -> SruResult:
    """A searchRetrieve answer (SRU 1.1, 1.2 or 2.0) as its total, records and diagnostics."""
    root = parse_xml(data)
    if _local(root) != "searchRetrieveResponse" or etree.QName(root).namespace not in (SRU_1_NS, SRU_2_NS):
        raise SruError("malformed", "The answer is not an SRU searchRetrieve response.")
    diagnostics = [_diagnostic(d) for d in root.iter(f"{{{DIAG_NS[0]}}}diagnostic", f"{{{DIAG_NS[1]}}}diagnostic")]
    count = _text(_child(root, "numberOfRecords"))
    if not count.isdigit():
        if diagnostics:
            raise SruError("diagnostic", f"The catalogue refused the search: {diagnostics[0]}.")
        raise SruError("malformed", "The answer has no numberOfRecords.")
    records_element = _child(root, "records")
    records = [] if records_element is None else [
        rec for rec in (_record(r) for r in records_element if _local(r) == "record") if rec is not None]
    diagnostics += [d for d in (_surrogate(r) for r in (records_element if records_element is not None else []))
                    if d is not None and d not in diagnostics]
    if int(count) and not records and diagnostics:
        # Records found but none delivered (an unknown schema, a record that cannot be rendered).
        raise SruError("diagnostic", f"The catalogue could not return its records: {diagnostics[0]}.")
    return SruResult(total=int(count), records=records, diagnostics=diagnostics)


def _payload(element: etree._Element) -> etree._Element | None:
    data = _child(element, "recordData")
    if data is None:
        return None
    payload = next((c for c in data if isinstance(c.tag, str)), None)
    if payload is None and (data.text or "").strip():
        payload = parse_xml(data.text.strip())  # recordPacking=string: the record is escaped text
    return payload


def _surrogate(element: etree._Element) -> Diagnostic | None:
    """A record slot holding a diagnostic instead of a record (SRU's surrogate diagnostic)."""
    payload = _payload(element) if _local(element) == "record" else None
    if payload is None or etree.QName(payload).namespace not in DIAG_NS:
        return None
    return _diagnostic(payload)


def _diagnostic(element: etree._Element) -> Diagnostic:
    return Diagnostic(uri=_text(_child(element, "uri")), message=_text(_child(element, "message")),
                      details=_text(_child(element, "details")))


def _record(element: etree._Element) -> CatalogueRecord | None:
    payload = _payload(element)
    if payload is None or etree.QName(payload).namespace in DIAG_NS:
        return None
    if etree.QName(payload).namespace == MARC_NS or _local(payload) == "record":
        return read_marcxml(payload)
    return read_dc(payload)


def read_marcxml(element: etree._Element) -> CatalogueRecord | None:
    """One MARCXML record (already parsed safely), read with pymarc."""
    if _local(element) == "collection":
        element = next((c for c in element if _local(c) == "record"), None)
        if element is None:
            return None
    # Serialised again from the safe tree: no DTD or entity survives into pymarc's SAX reader.
    records = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(element)))
    record = next((r for r in records if r is not None), None)
    if record is None:
        return None
    oclc = [oclc_form(v) for v in _values(record, "035", "a") if v.lower().startswith("(ocolc)")]
    if record.get("001") and (record.get("003") and record["003"].data.strip().upper() == "OCOLC"):
        oclc.append(oclc_form(record["001"].data))
    return CatalogueRecord(
        title=" ".join(v.strip(" /:;,.") for v in _values(record, "245", "a", "b"))[:500],
        author=(_values(record, "100", "a") or _values(record, "110", "a") or [""])[0].strip(" ,")[:300],
        isbns=tuple(dict.fromkeys(f for v in _values(record, "020", "a") for f in isbn_forms(v.split()[0]))),
        issns=tuple(dict.fromkeys(f for f in (issn_form(v) for v in _values(record, "022", "a")) if f)),
        oclc_numbers=tuple(dict.fromkeys(n for n in oclc if n)),
        holdings=tuple(holdings_of(record)),
    )


def _values(record: pymarc.Record, tag: str, *codes: str) -> list[str]:
    return [value for f in record.get_fields(tag) for value in f.get_subfields(*codes) if value and value.strip()]


def _first(f: pymarc.Field, *codes: str) -> str:
    for code in codes:
        values = [v.strip() for v in f.get_subfields(code) if v and v.strip()]
        if values:
            return values[0]
    return ""


_UNAVAILABLE = ("on loan", "checked out", "due ", "missing", "lost", "not for loan", "unavailable", "in transit",
                "on order", "in process", "withdrawn", "damaged", "billed")
_AVAILABLE = ("available", "on shelf", "in library", "check shelf")


def availability(status: str) -> bool | None:
    """A catalogue's status text read as on the shelf (True), out (False) or not said (None)."""
    text = (status or "").strip().lower()
    if not text:
        return None
    if any(word in text for word in _UNAVAILABLE):
        return False
    if any(word in text for word in _AVAILABLE):
        return True
    return None


def holdings_of(record: pymarc.Record) -> list[HoldingStatement]:
    """The holdings a MARC record carries (docs/sourcing.md lists the fields and subfields read):

    * ``852`` (MARC holdings location): ``$a`` holder, ``$b`` location, ``$h``+``$i`` call number (else ``$j``),
      ``$z`` public note read as its status;
    * ``949`` (the local item field of many exports): ``$h`` holder, ``$l`` location, ``$a`` call number,
      ``$s`` status;
    * ``952`` (Koha's item field): ``$a`` home library, ``$c`` location, ``$o`` call number, ``$7`` not for
      loan (any value but 0), ``$q`` due date (on loan);
    * ``AVA`` (Alma's availability field): ``$a`` institution, ``$b`` library, ``$c`` location, ``$d`` call
      number, ``$e`` availability.
    """
    found: list[HoldingStatement] = []
    for f in record.get_fields("852"):
        call = " ".join(p for p in (_first(f, "h"), _first(f, "i")) if p) or _first(f, "j")
        status = _first(f, "z")
        found.append(HoldingStatement(holder=_first(f, "a", "b"), location=_first(f, "b", "c"), call_number=call,
                                      available=availability(status), status=status))
    for f in record.get_fields("949"):
        status = _first(f, "s")
        found.append(HoldingStatement(holder=_first(f, "h"), location=_first(f, "l"), call_number=_first(f, "a"),
                                      available=availability(status), status=status))
    for f in record.get_fields("952"):
        not_for_loan = _first(f, "7") not in ("", "0")
        due = _first(f, "q")
        status = "Not for loan" if not_for_loan else (f"On loan, due {due}" if due else "Available")
        found.append(HoldingStatement(holder=_first(f, "a", "b"), location=_first(f, "c"), call_number=_first(f, "o"),
                                      available=not (not_for_loan or due), status=status))
    for f in record.get_fields("AVA"):
        status = _first(f, "e")
        found.append(HoldingStatement(holder=_first(f, "a", "b"), location=_first(f, "c", "b"),
                                      call_number=_first(f, "d"), available=availability(status), status=status))
    return found


def read_dc(element: etree._Element) -> CatalogueRecord:
    """One Dublin Core record: title, creator and the identifiers that are ISBNs or ISSNs (no holdings)."""
    def values(name: str) -> list[str]:
        return [_text(e) for e in element.iter(f"{{{DC_NS}}}{name}") if _text(e)]
    isbns: list[str] = []
    issns: list[str] = []
    for identifier in values("identifier"):
        text = re.sub(r"^(urn:)?(isbn|issn)[:\s]*", "", identifier, flags=re.IGNORECASE)
        if re.match(r"^(urn:)?issn", identifier, flags=re.IGNORECASE) and issn_form(text):
            issns.append(issn_form(text))
        else:
            isbns.extend(isbn_forms(text.split()[0] if text.split() else ""))
    return CatalogueRecord(title=(values("title") or [""])[0][:500], author=(values("creator") or [""])[0][:300],
                           isbns=tuple(dict.fromkeys(isbns)), issns=tuple(dict.fromkeys(issns)))
