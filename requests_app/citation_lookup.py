"""Completing a citation from its DOI (Crossref), PMID (PubMed's E-utilities) or ISBN (Open Library).

A link from PubMed's LinkOut carries only ``id=pmid:…``; one pasted from a reference list may carry
only a DOI; a patron may type only a book's ISBN. ``complete_citation`` asks the services named in
``ILLMS_CITATION_LOOKUP`` (``crossref``, ``pubmed``, ``openlibrary``; empty: none, as a deployment without
network access to them needs) and fills in the
fields the citation lacks. What it keeps to, for the OpenURL view that relies on it:

* it takes and returns the dict ``requests_app.openurl.parse_openurl`` returns (``format``, the
  citation fields, ``referrer``, ``warnings``, ``notices``), and only adds values to fields that are
  empty: what the link gave is never overwritten;
* it changes ``format`` only from ``other`` or ``article`` (a DOI that turns out to be a chapter), and
  removes the notice it answered;
* it never raises and never waits longer than ``ILLMS_CITATION_LOOKUP_TIMEOUT_SECONDS`` per service:
  a look-up that fails or times out returns the citation unchanged, with a sentence in ``warnings``.

Answers are cached for ``ILLMS_CITATION_LOOKUP_CACHE_SECONDS``. Each service is a function from an
identifier to a dict of our citation fields, with its base URL in settings.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

from . import identifiers

logger = logging.getLogger(__name__)
CACHE_PREFIX = "illms:citation:v1:"
MAX_RESPONSE_BYTES = 1024 * 1024
FIELDS = ("title", "author", "container_title", "volume", "issue", "pages", "publication_date", "publisher",
          "place_of_publication", "isbn", "issn", "oclc_number", "doi", "pmid")
#: Crossref's work types read as our formats (others leave the format alone).
CROSSREF_FORMATS = {"journal-article": "article", "book-chapter": "chapter", "book": "book", "monograph": "book",
                    "edited-book": "book", "proceedings-article": "conference", "dissertation": "thesis"}
ONLY_IDENTIFIER_NOTICE = "The link gave only the"
#: Formats Open Library is not asked for: an ISBN on an article or a paper names at best the volume it is in.
NOT_FROM_ISBN = frozenset({"article", "conference"})


def _get_json(url: str, params: dict[str, str]) -> Any:
    timeout = settings.ILLMS_CITATION_LOOKUP_TIMEOUT_SECONDS
    with requests.get(url, params=params, timeout=(timeout, timeout), stream=True,
                      headers={"Accept": "application/json"}) as response:
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    if len(body) > MAX_RESPONSE_BYTES:
        raise ValueError("the answer is too large")
    return json.loads(body)


def _clean(value: Any, limit: int = 500) -> str:
    return " ".join(str(value or "").split())[:limit]


def crossref(doi: str) -> dict[str, str]:
    """Our citation fields for ``doi`` from Crossref's REST API (``GET <ILLMS_CROSSREF_URL>/works/<doi>``)."""
    params = {"mailto": settings.ILLMS_CROSSREF_MAILTO} if settings.ILLMS_CROSSREF_MAILTO else {}
    data = _get_json(f"{settings.ILLMS_CROSSREF_URL.rstrip('/')}/works/{quote(doi, safe='/')}", params)
    work = data.get("message") if isinstance(data, dict) else None
    if not isinstance(work, dict):
        return {}
    authors = [a for a in work.get("author") or [] if isinstance(a, dict)]
    first = authors[0] if authors else {}
    author = ", ".join(p for p in (_clean(first.get("family")), _clean(first.get("given"))) if p)
    issued = ((work.get("issued") or {}).get("date-parts") or [[None]])[0]
    found = {
        "title": _clean((work.get("title") or [""])[0]),
        "author": author + (" et al." if len(authors) > 1 and author else ""),
        "container_title": _clean((work.get("container-title") or [""])[-1]),
        "volume": _clean(work.get("volume"), 30), "issue": _clean(work.get("issue"), 30),
        "pages": _clean(work.get("page"), 50),
        "publication_date": str(issued[0]) if issued and isinstance(issued[0], int) else "",
        "publisher": _clean(work.get("publisher"), 200),
        "issn": _first_valid(work.get("ISSN"), identifiers.normalize_issn),
        "isbn": _first_valid(work.get("ISBN"), identifiers.normalize_isbn),
        "format": CROSSREF_FORMATS.get(str(work.get("type") or ""), ""),
    }
    return {name: value for name, value in found.items() if value}


def pubmed(pmid: str) -> dict[str, str]:
    """Our citation fields for ``pmid`` from PubMed's E-utilities (``esummary``, JSON)."""
    params = {"db": "pubmed", "id": pmid, "retmode": "json"}
    if settings.ILLMS_PUBMED_API_KEY:
        params["api_key"] = settings.ILLMS_PUBMED_API_KEY
    data = _get_json(f"{settings.ILLMS_PUBMED_URL.rstrip('/')}/esummary.fcgi", params)
    summary = ((data or {}).get("result") or {}).get(pmid) if isinstance(data, dict) else None
    if not isinstance(summary, dict) or summary.get("error"):
        return {}
    authors = [a.get("name") for a in summary.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    ids = {a.get("idtype"): a.get("value") for a in summary.get("articleids") or [] if isinstance(a, dict)}
    found = {
        "title": _clean(summary.get("title")).rstrip("."),
        "author": _clean(authors[0]) + (" et al." if len(authors) > 1 else "") if authors else "",
        "container_title": _clean(summary.get("fulljournalname") or summary.get("source")),
        "volume": _clean(summary.get("volume"), 30), "issue": _clean(summary.get("issue"), 30),
        "pages": _clean(summary.get("pages"), 50),
        "publication_date": _clean(summary.get("pubdate"), 30).split(" ")[0],
        "issn": _first_valid([summary.get("issn"), summary.get("essn")], identifiers.normalize_issn),
        "doi": _first_valid([ids.get("doi")], identifiers.normalize_doi),
        "format": "article" if "Journal Article" in (summary.get("pubtype") or []) else "",
    }
    return {name: value for name, value in found.items() if value}


def _inverted(name: str) -> str:
    """``Thomas S. Kuhn`` → ``Kuhn, Thomas S.``, as the other services and catalogues write a first author;
    a name that already has a comma, or is one word, stays."""
    parts = name.split()
    if "," in name or len(parts) < 2:
        return name
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def _first_name(entries: Any, limit: int) -> str:
    """The ``name`` of the first of Open Library's ``[{"name": …}]`` lists (publishers, places)."""
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        return _clean(entries[0].get("name"), limit)
    return ""


def openlibrary(isbn: str) -> dict[str, str]:
    """Our citation fields for the book ``isbn`` from Open Library's Books API
    (``GET <ILLMS_OPENLIBRARY_URL>/api/books?bibkeys=ISBN:<isbn>&format=json&jscmd=data``)."""
    try:
        isbn = identifiers.normalize_isbn(isbn)
    except ValidationError:  # not an ISBN (the form says so on its field): nothing to ask
        return {}
    key = f"ISBN:{isbn}"
    data = _get_json(f"{settings.ILLMS_OPENLIBRARY_URL.rstrip('/')}/api/books",
                     {"bibkeys": key, "format": "json", "jscmd": "data"})
    book = data.get(key) if isinstance(data, dict) else None
    if not isinstance(book, dict):
        return {}
    names = [_clean(a.get("name"), 300) for a in book.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    title = _clean(book.get("title"))
    if book.get("subtitle"):
        title = f"{title}: {_clean(book.get('subtitle'))}"[:500]
    years = [w for w in _clean(book.get("publish_date"), 30).replace(",", " ").split() if len(w) == 4 and w.isdigit()]
    ids = book.get("identifiers") if isinstance(book.get("identifiers"), dict) else {}
    found = {
        "title": title,
        "author": _inverted(names[0]) + (" et al." if len(names) > 1 else "") if names else "",
        "publication_date": years[0] if years else "",
        "publisher": _first_name(book.get("publishers"), 200),
        "place_of_publication": _first_name(book.get("publish_places"), 100),
        "oclc_number": _first_valid(ids.get("oclc"), identifiers.normalize_oclc_number),
    }
    return {name: value for name, value in found.items() if value}


def _first_valid(values: Any, normalize) -> str:
    for value in values if isinstance(values, list) else []:
        try:
            return normalize(str(value or ""))
        except Exception:  # not a valid identifier: try the next
            continue
    return ""


SERVICES = {"crossref": ("doi", crossref, "DOI", "Crossref"), "pubmed": ("pmid", pubmed, "PubMed ID", "PubMed"),
            "openlibrary": ("isbn", openlibrary, "ISBN", "Open Library")}


def _looked_up(service: str, identifier: str) -> dict[str, str] | None:
    """The service's fields for ``identifier`` (cached), or None when it failed (not cached)."""
    key = CACHE_PREFIX + service + ":" + identifier.casefold()
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        found = SERVICES[service][1](identifier)
    except Exception as exc:  # slow, failing, garbled: the patron fills the fields in
        logger.warning("Citation look-up of %s at %s failed: %s", identifier, service, exc.__class__.__name__)
        return None
    cache.set(key, found, timeout=settings.ILLMS_CITATION_LOOKUP_CACHE_SECONDS)
    return found


def complete_citation(citation: dict[str, Any]) -> dict[str, Any]:
    """``citation`` with the empty fields its DOI or PMID fills in (the rules in this module's docstring)."""
    enabled = [name for name in settings.ILLMS_CITATION_LOOKUP if name in SERVICES]
    if not enabled:
        return citation
    result = {**citation, "warnings": list(citation.get("warnings") or []),
              "notices": list(citation.get("notices") or [])}
    filled: list[str] = []
    for name in enabled:
        field, _, label, service_label = SERVICES[name]
        identifier = result.get(field)
        if not identifier or (name == "openlibrary" and result.get("format") in NOT_FROM_ISBN):
            continue
        found = _looked_up(name, str(identifier))
        if found is None:
            result["warnings"].append(f"{service_label} did not answer about the {label} just now: please fill "
                                      f"in the fields it would have.")
            continue
        found = dict(found)
        if name == "openlibrary" and result.get("format") == "chapter":
            # A chapter's ISBN is its book's: the book's title is the chapter's container, its author may not be.
            found = {"container_title": found.pop("title", ""), **{k: v for k, v in found.items() if k != "author"}}
        new_format = found.pop("format", "")
        for key, value in found.items():
            if key in FIELDS and not result.get(key):
                result[key] = value
                filled.append(key)
        if new_format and result.get("format") in ("other", "article") and new_format != result.get("format"):
            result["format"] = new_format
    if result.get("title"):
        result["notices"] = [n for n in result["notices"] if not n.startswith(ONLY_IDENTIFIER_NOTICE)]
    if filled:
        result["warnings"].append("Filled in from the identifier: " + ", ".join(
            dict.fromkeys(key.replace("_", " ") for key in filled)) + ". Please check them.")
    return result
