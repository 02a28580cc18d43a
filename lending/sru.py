"""Our holdings over SRU: explain and searchRetrieve (SRU 1.1, 1.2 and 2.0) at ``/sru``.

Other libraries' systems and discovery tools search what our member libraries lend. A query is CQL
(parsed by cql-parser, the CLARIN FCS parser) translated to one filter on ``Holding``; every record
is one holding, as MARCXML (with an 852 naming its library by agency id, its location, call number
and whether it circulates) or Dublin Core. Whatever is asked, the answer is an SRU response: a query,
index, relation, schema or parameter we do not support is an SRU diagnostic, never an error page.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import cql
import pymarc
from django.conf import settings
from django.db.models import Q, QuerySet
from lxml import etree

from requests_app import identifiers
from requests_app.models import Library

from .models import Holding, title_key

SRU_1_NS = "http://www.loc.gov/zing/srw/"
SRU_2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG_1_NS = "http://www.loc.gov/zing/srw/diagnostic/"
DIAG_2_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
MARC_NS = "http://www.loc.gov/MARC21/slim"
DC_NS = "http://purl.org/dc/elements/1.1/"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
VERSIONS = ("1.1", "1.2", "2.0")

#: Short name → (identifier, title) of each record schema we serve.
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", "MARCXML"),
    "dc": ("info:srw/schema/1/dc-v1.1", "Dublin Core"),
}
#: The indexes we search (``set.name``), with their title in explain.
INDEXES = {
    "bath.isbn": "ISBN", "bath.issn": "ISSN", "bath.standardidentifier": "OCLC number ((OCoLC)n)",
    "rec.id": "Record identifier", "dc.title": "Title", "dc.creator": "Author", "cql.serverchoice": "Title or author",
}
CONTEXT_SETS = {"bath": "http://zing.z3950.org/cql/bath/2.0/", "rec": "info:srw/cql-context-set/2/rec-1.1",
                "dc": "info:srw/cql-context-set/1/dc-v1.1", "cql": "info:srw/cql-context-set/1/cql-v1.2"}
TEXT_RELATIONS = {"=", "all", "any", "adj", "==", "exact", "scr"}
ID_RELATIONS = {"=", "==", "exact", "scr"}
MAX_CLAUSES = 20
MAX_QUERY_LENGTH = 1000
DEFAULT_RECORDS = 10


class Diagnostic(Exception):
    """An SRU diagnostic (``info:srw/diagnostic/1/<number>``) that ends the search."""

    def __init__(self, number: int, message: str, details: str = "") -> None:
        super().__init__(message)
        self.number, self.message, self.details = number, message, details[:200]


# CQL → a filter on holdings --------------------------------------------------------------------------------------

_parsers = threading.local()


def _parse(query: str):
    # Building the parser's tables takes a while; a parser is not thread-safe, so each thread keeps its own.
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        lexer = cql.CQLLexer()
        lexer.build()
        parser = cql.CQLParser12()
        parser.build(lexer)
        _parsers.parser = parser
    try:
        return parser.parse(query)
    except Exception as exc:  # cql-parser raises its own errors, and ply's on some garbage
        raise Diagnostic(10, "Query syntax error", str(exc)) from exc


_ESCAPE = re.compile(r"\\(.)")
_MASK = re.compile(r"(?<!\\)[*?^]")


def _term(raw: str) -> str:
    if _MASK.search(raw):
        raise Diagnostic(28, "Masking character not supported", raw)
    return _ESCAPE.sub(r"\1", raw).strip()


def holdings_filter(query: str) -> Q:
    """The CQL ``query`` as a filter on ``Holding``; raises ``Diagnostic`` for what we do not support."""
    if not query.strip():
        raise Diagnostic(7, "Mandatory parameter not supplied", "query")
    if len(query) > MAX_QUERY_LENGTH:
        raise Diagnostic(10, "Query syntax error", f"longer than {MAX_QUERY_LENGTH} characters")
    parsed = _parse(query)
    if parsed is None or parsed.root is None:
        raise Diagnostic(10, "Query syntax error", "empty query")
    if getattr(parsed, "sortSpecs", None) or getattr(parsed.root, "sortSpecs", None):
        raise Diagnostic(80, "Sort not supported")
    counter = [0]
    return _node(parsed.root, counter)


def _node(node, counter: list[int]) -> Q:
    counter[0] += 1
    if counter[0] > MAX_CLAUSES:
        raise Diagnostic(10, "Query syntax error", f"more than {MAX_CLAUSES} clauses")
    if isinstance(node, cql.parser.CQLTriple):
        operator = str(node.operator.value).lower()
        if node.operator.modifiers:
            raise Diagnostic(46, "Unsupported boolean modifier", operator)
        left, right = _node(node.left, counter), _node(node.right, counter)
        if operator == "and":
            return left & right
        if operator == "or":
            return left | right
        if operator == "not":
            return left & ~right
        raise Diagnostic(37, "Unsupported boolean operator", operator)
    if isinstance(node, cql.parser.CQLSearchClause):
        return _clause(node)
    raise Diagnostic(10, "Query syntax error", type(node).__name__)


def _clause(clause) -> Q:
    index = str(clause.index).lower() if clause.index is not None else "cql.serverchoice"
    relation = str(clause.relation.comparitor).lower() if clause.relation is not None else "="
    if clause.relation is not None and clause.relation.modifiers:
        raise Diagnostic(20, "Unsupported relation modifier", str(clause.relation.modifiers[0]))
    if index == "cql.allrecords":
        return Q()
    if index not in INDEXES:
        raise Diagnostic(16, "Unsupported index", str(clause.index))
    term = _term(clause.term)
    if index in ("bath.isbn", "bath.issn", "bath.standardidentifier", "rec.id"):
        if relation not in ID_RELATIONS:
            raise Diagnostic(19, "Unsupported relation", relation)
        return _identifier(index, term)
    if relation not in TEXT_RELATIONS:
        raise Diagnostic(19, "Unsupported relation", relation)
    words = [w for w in title_key(term).split() if w]
    if not words:
        return Q(pk__in=[])
    if index == "dc.title":
        return _words("title_key", words, relation, exact=title_key(term))
    if index == "dc.creator":
        return _words("author", words, relation)
    return _words("title_key", words, relation) | _words("author", words, relation)


def _words(field_name: str, words: list[str], relation: str, exact: str = "") -> Q:
    if relation in ("==", "exact") and exact:
        return Q(**{field_name: exact})
    if relation in ("adj", "==", "exact"):
        return Q(**{f"{field_name}__icontains": " ".join(words)})
    parts = [Q(**{f"{field_name}__icontains": word}) for word in words]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined | part) if relation == "any" else (combined & part)
    return combined


def _identifier(index: str, term: str) -> Q:
    nothing = Q(pk__in=[])
    try:
        if index == "bath.isbn":
            return Q(isbn=identifiers.normalize_isbn(term))
        if index == "bath.issn":
            return Q(issn=identifiers.normalize_issn(term))
        if index == "bath.standardidentifier":
            return Q(oclc_number=identifiers.normalize_oclc_number(term))
    except Exception:  # not a valid identifier: it matches nothing
        return nothing
    return Q(pk=int(term)) if term.isdigit() and len(term) < 18 else nothing


# Records --------------------------------------------------------------------------------------------------------

def marc_record(holding: Holding) -> pymarc.Record:
    """One holding as a MARC record: 001 our record id, identifiers, author, title, and an 852 for the copy."""
    record = pymarc.Record(leader="00000nam a2200000 a 4500" if holding.format != "serial"
                           else "00000nas a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data=str(holding.pk)))

    def field(tag: str, ind: tuple[str, str], **subfields: str) -> None:
        values = [pymarc.Subfield(code, value) for code, value in subfields.items() if value]
        if values:
            record.add_field(pymarc.Field(tag=tag, indicators=list(ind), subfields=values))

    if holding.oclc_number:
        field("035", (" ", " "), a=f"(OCoLC){holding.oclc_number}")
    field("020", (" ", " "), a=holding.isbn)
    field("022", (" ", " "), a=holding.issn)
    field("100", ("1", " "), a=holding.author)
    field("245", ("0", "0"), a=holding.title)
    status = "Available" if holding.circulates else "Library use only"
    field("852", (" ", " "), a=holding.library.agency_id_value or holding.library.symbol, b=holding.location,
          h=holding.call_number, z=status)
    return record


def marcxml_element(holding: Holding) -> etree._Element:
    xml = pymarc.record_to_xml(marc_record(holding), namespace=True)
    return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def dc_element(holding: Holding) -> etree._Element:
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    for name, value in (("title", holding.title), ("creator", holding.author),
                        ("identifier", f"URN:ISBN:{holding.isbn}" if holding.isbn else ""),
                        ("identifier", f"URN:ISSN:{holding.issn}" if holding.issn else ""),
                        ("identifier", f"(OCoLC){holding.oclc_number}" if holding.oclc_number else ""),
                        ("type", holding.get_format_display())):
        if value:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value
    return root


# Requests and answers -------------------------------------------------------------------------------------------

@dataclass
class SearchRequest:
    version: str
    query: str
    schema: str
    packing: str
    start: int
    maximum: int


def _number(params, name: str, default: int, minimum: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9 or int(raw) < minimum:
        raise Diagnostic(6, "Unsupported parameter value", name)
    return int(raw)


def read_request(params) -> SearchRequest:
    """The searchRetrieve parameters, checked (``Diagnostic`` for a bad one), ``maximumRecords`` capped."""
    version = params.get("version") or "1.2"
    schema = (params.get("recordSchema") or "marcxml").strip()
    by_id = {identifier: name for name, (identifier, _) in SCHEMAS.items()}
    schema = by_id.get(schema, schema.lower())
    if schema not in SCHEMAS:
        raise Diagnostic(66, "Unknown schema for retrieval", schema)
    packing = (params.get("recordXMLEscaping") or params.get("recordPacking") or "xml").lower()
    if packing not in ("xml", "string"):
        raise Diagnostic(71, "Unsupported record packing", packing)
    cap = settings.ILLMS_SRU_SERVER_MAX_RECORDS
    return SearchRequest(version=version, query=params.get("query") or "", schema=schema, packing=packing,
                         start=_number(params, "startRecord", 1, 1),
                         maximum=min(_number(params, "maximumRecords", DEFAULT_RECORDS, 0), cap))


def searchable(library: Library | None) -> QuerySet[Holding]:
    """What ``/sru`` shows: the lendable holdings of active member libraries (or of one of them)."""
    holdings = Holding.objects.filter(lendable=True, library__is_member=True, library__active=True)
    if library is not None:
        holdings = holdings.filter(library=library)
    return holdings.select_related("library")


def _ns(version: str) -> tuple[str, str]:
    return (SRU_2_NS, DIAG_2_NS) if version == "2.0" else (SRU_1_NS, DIAG_1_NS)


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def _diagnostics(root: etree._Element, version: str, problems: list[Diagnostic]) -> None:
    ns, diag_ns = _ns(version)
    container = _sub(root, ns, "diagnostics")
    for problem in problems:
        element = etree.SubElement(container, f"{{{diag_ns}}}diagnostic", nsmap={"diag": diag_ns})
        _sub(element, diag_ns, "uri", f"info:srw/diagnostic/1/{problem.number}")
        if problem.details:
            _sub(element, diag_ns, "details", problem.details)
        _sub(element, diag_ns, "message", problem.message)


def search_retrieve(params, *, library: Library | None = None) -> bytes:
    """A searchRetrieve answer for ``params`` (a QueryDict or dict), as XML bytes. Two queries at most."""
    version = params.get("version") or "1.2"
    if version not in VERSIONS:
        return diagnostic_response(Diagnostic(5, "Unsupported version", version), version="1.2")
    ns, _ = _ns(version)
    root = etree.Element(f"{{{ns}}}searchRetrieveResponse", nsmap={"zs": ns})
    if version != "2.0":
        _sub(root, ns, "version", version)
    try:
        request = read_request(params)
        holdings = searchable(library).filter(holdings_filter(request.query)).order_by("pk")
        total = holdings.count()
        if total and request.start > total:
            raise Diagnostic(61, "First record position out of range", str(request.start))
        page = list(holdings[request.start - 1:request.start - 1 + request.maximum]) if request.maximum else []
    except Diagnostic as problem:
        if version != "2.0":
            _sub(root, ns, "numberOfRecords", "0")
        _diagnostics(root, version, [problem])
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    _sub(root, ns, "numberOfRecords", str(total))
    if page:
        records = _sub(root, ns, "records")
        identifier = SCHEMAS[request.schema][0]
        for position, holding in enumerate(page, start=request.start):
            record = _sub(records, ns, "record")
            _sub(record, ns, "recordSchema", identifier)
            _sub(record, ns, "recordXMLEscaping" if version == "2.0" else "recordPacking", request.packing)
            data = _sub(record, ns, "recordData")
            element = marcxml_element(holding) if request.schema == "marcxml" else dc_element(holding)
            if request.packing == "string":
                data.text = etree.tostring(element, encoding="unicode")
            else:
                data.append(element)
            _sub(record, ns, "recordPosition", str(position))
    if request.start - 1 + len(page) < total and page:
        _sub(root, ns, "nextRecordPosition", str(request.start + len(page)))
    echoed = _sub(root, ns, "echoedSearchRetrieveRequest")
    if version != "2.0":
        _sub(echoed, ns, "version", version)
    _sub(echoed, ns, "query", request.query)
    _sub(echoed, ns, "startRecord", str(request.start))
    _sub(echoed, ns, "maximumRecords", str(request.maximum))
    _sub(echoed, ns, "recordSchema", request.schema)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def diagnostic_response(problem: Diagnostic, *, version: str = "1.2", operation: str = "searchRetrieve") -> bytes:
    """An answer carrying only ``problem`` (an unknown operation, version or a broken request)."""
    ns, _ = _ns(version)
    name = "explainResponse" if operation == "explain" else "searchRetrieveResponse"
    root = etree.Element(f"{{{ns}}}{name}", nsmap={"zs": ns})
    if version != "2.0":
        _sub(root, ns, "version", version)
        if name == "searchRetrieveResponse":
            _sub(root, ns, "numberOfRecords", "0")
    _diagnostics(root, version, [problem])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def explain(*, host: str, port: int, path: str, version: str = "1.2", library: Library | None = None) -> bytes:
    """The explain record: where we are, what we hold, our indexes and schemas, and the record limits."""
    if version not in VERSIONS:
        version = "1.2"
    ns, _ = _ns(version)
    root = etree.Element(f"{{{ns}}}explainResponse", nsmap={"zs": ns})
    if version != "2.0":
        _sub(root, ns, "version", version)
    record = _sub(root, ns, "record")
    _sub(record, ns, "recordSchema", "http://explain.z3950.org/dtd/2.0/")
    _sub(record, ns, "recordPacking" if version != "2.0" else "recordXMLEscaping", "xml")
    data = _sub(record, ns, "recordData")
    zr = etree.SubElement(data, f"{{{EXPLAIN_NS}}}explain", nsmap={"zr": EXPLAIN_NS})
    server = _sub(zr, EXPLAIN_NS, "serverInfo")
    server.set("protocol", "SRU")
    server.set("version", version)
    _sub(server, EXPLAIN_NS, "host", host)
    _sub(server, EXPLAIN_NS, "port", str(port))
    _sub(server, EXPLAIN_NS, "database", path.strip("/"))
    info = _sub(zr, EXPLAIN_NS, "databaseInfo")
    title = f"Holdings of {library.name}" if library else "Holdings of the member libraries"
    _sub(info, EXPLAIN_NS, "title", title).set("lang", "en")
    _sub(info, EXPLAIN_NS, "description", "What the libraries lend to other libraries, one record per copy.")
    index_info = _sub(zr, EXPLAIN_NS, "indexInfo")
    for prefix, identifier in CONTEXT_SETS.items():
        context = _sub(index_info, EXPLAIN_NS, "set")
        context.set("name", prefix)
        context.set("identifier", identifier)
    names = {"bath.standardidentifier": "standardIdentifier", "cql.serverchoice": "serverChoice"}
    for key, label in INDEXES.items():
        index = _sub(index_info, EXPLAIN_NS, "index")
        _sub(index, EXPLAIN_NS, "title", label)
        name = _sub(_sub(index, EXPLAIN_NS, "map"), EXPLAIN_NS, "name", names.get(key, key.split(".", 1)[1]))
        name.set("set", key.split(".", 1)[0])
    schemas = _sub(zr, EXPLAIN_NS, "schemaInfo")
    for name, (identifier, label) in SCHEMAS.items():
        schema = _sub(schemas, EXPLAIN_NS, "schema")
        schema.set("identifier", identifier)
        schema.set("name", name)
        _sub(schema, EXPLAIN_NS, "title", label)
    config = _sub(zr, EXPLAIN_NS, "configInfo")
    for kind, value in (("numberOfRecords", DEFAULT_RECORDS),
                        ("maximumRecords", settings.ILLMS_SRU_SERVER_MAX_RECORDS)):
        setting = _sub(config, EXPLAIN_NS, "default" if kind == "numberOfRecords" else "setting", str(value))
        setting.set("type", kind)
    _sub(config, EXPLAIN_NS, "default", "marcxml").set("type", "retrieveSchema")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

