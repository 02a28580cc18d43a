"""OpenURL intake: read a link from a discovery system into our citation fields.

Discovery systems (VuFind, Primo, EBSCO, Google Scholar, WorldCat) send OpenURL 0.1
(``genre=article&atitle=...&issn=...``) or OpenURL 1.0 key/encoded-value links
(``url_ver=Z39.88-2004&rft.atitle=...&rft_id=info:doi/...``), often mixed, repeated, or
partial. ``parse_openurl`` never raises: it keeps what it can read, cuts values to the
length of our fields, and reports what it had to leave out (an identifier that does not
validate) as warnings the patron sees on the form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from . import identifiers
from .models import IllRequest, RequestFormat

#: Values longer than this are not looked at further (a field is at most 500 characters).
_MAX_RAW = 2000
#: Repeated keys beyond this many values are ignored.
_MAX_VALUES = 20

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_RFE_ACCESSION = re.compile(r"<accessionnumber>\s*([^<]+?)\s*</accessionnumber>", re.IGNORECASE)

#: ``rft.genre`` / ``genre`` to our format. ``bookitem`` is a chapter.
_GENRES = {
    "article": RequestFormat.ARTICLE,
    "journal": RequestFormat.ARTICLE,
    "issue": RequestFormat.ARTICLE,
    "preprint": RequestFormat.ARTICLE,
    "book": RequestFormat.BOOK,
    "bookitem": RequestFormat.CHAPTER,
    "proceeding": RequestFormat.CONFERENCE,
    "conference": RequestFormat.CONFERENCE,
    "dissertation": RequestFormat.THESIS,
    "thesis": RequestFormat.THESIS,
}
#: ``rft_val_fmt`` to our format, when no genre says better.
_VALUE_FORMATS = {
    "journal": RequestFormat.ARTICLE,
    "book": RequestFormat.BOOK,
    "dissertation": RequestFormat.THESIS,
}

_IDENTIFIER_LABELS = {"isbn": "ISBN", "issn": "ISSN", "doi": "DOI", "pmid": "PubMed ID", "oclc_number": "OCLC number"}

#: The citation fields the parser may fill (all are ``CharField``s of ``IllRequest``).
CITATION_FIELDS = ("title", "author", "container_title", "volume", "issue", "pages", "publication_date", "edition",
                   "publisher", "place_of_publication", "isbn", "issn", "oclc_number", "doi", "pmid")


def parse_openurl(query: Mapping[str, Any]) -> dict[str, Any]:
    """Our citation fields read from an OpenURL query.

    ``query`` is a ``QueryDict`` or a ``dict`` of lists (or of single strings). Returns a
    dict with ``format`` (a ``RequestFormat`` value), the non-empty citation fields
    (``title``, ``author``, ``container_title``, ``volume``, ``issue``, ``pages``,
    ``publication_date``, ``edition``, ``publisher``, ``place_of_publication``, and the
    normalised identifiers ``isbn``, ``issn``, ``oclc_number``, ``doi``, ``pmid``),
    ``referrer`` (the ``sid``/``rfr_id`` of the sending system, or "") and ``warnings``
    (sentences for the patron about what was left out). Never raises on bad input.
    """
    kev = _Kev(query)
    warnings: list[str] = []
    fmt = _format(kev)

    atitle = kev.first("atitle")
    jtitle = kev.first("jtitle")
    btitle = kev.first("btitle")
    title = kev.first("title")
    fields: dict[str, str] = {}
    if fmt in (RequestFormat.ARTICLE, RequestFormat.CHAPTER, RequestFormat.CONFERENCE):
        # In 0.1 ``title`` is the journal or book; in 1.0 ``rft.title`` is used the same way by many senders.
        container = jtitle or btitle or (title if atitle else "")
        fields["title"] = atitle or title or btitle or jtitle
        fields["container_title"] = container if container != fields["title"] else ""
    else:
        fields["title"] = btitle or title or atitle or jtitle

    fields["author"] = _author(kev)
    fields["volume"] = kev.first("volume")
    fields["issue"] = kev.first("issue")
    fields["pages"] = _pages(kev)
    fields["publication_date"] = kev.first("date") or kev.first("year")
    fields["edition"] = kev.first("edition")
    fields["publisher"] = kev.first("pub") or kev.first("inst") or kev.first("publisher")
    fields["place_of_publication"] = kev.first("place")
    fields.update(_identifiers(kev, warnings))

    result: dict[str, Any] = {"format": fmt.value}
    for name, value in fields.items():
        value = _truncate(name, value)
        if value:
            result[name] = value
    result["referrer"] = _referrer(kev)
    result["warnings"] = warnings
    return result


class _Kev:
    """The query as lists of clean strings, looked up by OpenURL key with or without ``rft.``."""

    def __init__(self, query: Mapping[str, Any]) -> None:
        self._values: dict[str, list[str]] = {}
        try:
            items = list(query.lists()) if hasattr(query, "lists") else list(query.items())
        except Exception:  # noqa: BLE001 - a mapping that cannot be read is an empty link
            items = []
        for key, raw in items:
            if not isinstance(key, str):
                continue
            values = raw if isinstance(raw, list | tuple) else [raw]
            cleaned = [_clean(v) for v in values[:_MAX_VALUES] if isinstance(v, str)]
            cleaned = [v for v in cleaned if v]
            if cleaned:
                self._values.setdefault(key.strip().lower(), []).extend(cleaned)

    def all(self, name: str) -> list[str]:
        """Values of ``rft.<name>`` (1.0) then ``<name>`` (0.1)."""
        return self._values.get(f"rft.{name}", []) + self._values.get(name, [])

    def first(self, name: str) -> str:
        values = self.all(name)
        return values[0] if values else ""

    def raw(self, key: str) -> list[str]:
        return self._values.get(key, [])


def _clean(value: str) -> str:
    value = unicodedata.normalize("NFC", value[:_MAX_RAW])
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def _truncate(name: str, value: str) -> str:
    if not value:
        return ""
    max_length = IllRequest._meta.get_field(name).max_length
    return value[:max_length].rstrip() if max_length else value


def _format(kev: _Kev) -> RequestFormat:
    genre = kev.first("genre").lower()
    if genre in _GENRES:
        return _GENRES[genre]
    value_format = (kev.raw("rft_val_fmt") or [""])[0].lower().rsplit(":", 1)[-1]
    if value_format in _VALUE_FORMATS:
        found = _VALUE_FORMATS[value_format]
        if found == RequestFormat.BOOK and kev.first("atitle"):
            return RequestFormat.CHAPTER
        return found
    if genre:
        return RequestFormat.OTHER
    # No genre and no format: guess from what the link carries.
    if kev.first("jtitle") or (kev.first("atitle") and kev.all("issn")):
        return RequestFormat.ARTICLE
    if kev.first("btitle") or kev.all("isbn"):
        return RequestFormat.CHAPTER if kev.first("atitle") else RequestFormat.BOOK
    return RequestFormat.OTHER


def _author(kev: _Kev) -> str:
    authors = kev.all("au")
    if authors:
        return "; ".join(dict.fromkeys(authors))
    last = kev.first("aulast")
    first = kev.first("aufirst") or kev.first("auinit")
    if last:
        return f"{last}, {first}" if first else last
    return kev.first("aucorp")


def _pages(kev: _Kev) -> str:
    pages = kev.first("pages")
    if pages:
        return pages
    start, end = kev.first("spage"), kev.first("epage")
    if start and end:
        return f"{start}-{end}"
    return start


def _identifiers(kev: _Kev, warnings: list[str]) -> dict[str, str]:
    """Identifiers from their own keys and from ``rft_id``/``id``; only valid ones are kept."""
    candidates: dict[str, list[str]] = {name: [] for name in identifiers.NORMALIZERS}
    candidates["isbn"] += kev.all("isbn")
    candidates["issn"] += kev.all("issn") + kev.all("eissn")
    candidates["doi"] += kev.all("doi")
    candidates["pmid"] += kev.all("pmid")
    candidates["oclc_number"] += kev.all("oclcnum")
    for ref in kev.raw("rft_id") + kev.raw("id"):
        name, value = _identifier_uri(ref)
        if name:
            candidates[name].append(value)
    for rfe in kev.raw("rfe_dat"):
        # WorldCat sends the OCLC number as <accessionnumber>…</accessionnumber>.
        match = _RFE_ACCESSION.search(rfe)
        if match:
            candidates["oclc_number"].append(match.group(1))

    found: dict[str, str] = {}
    for name, values in candidates.items():
        bad: list[str] = []
        for value in _unique(values):
            try:
                found[name] = identifiers.NORMALIZERS[name](value)
                break
            except ValidationError:
                bad.append(value)
        if name not in found:
            for value in bad[:1]:
                shown = value if len(value) <= 60 else value[:57] + "…"
                warnings.append(f"The link gave the {_IDENTIFIER_LABELS[name]} “{shown}”, which is not valid, "
                                f"so it was left out. Please check it and type it in if you have it.")
    return found


def _identifier_uri(ref: str) -> tuple[str, str]:
    """``info:doi/…``, ``doi:…``, ``info:pmid/…``, ``pmid:…``, ``urn:ISBN:…``, ``urn:ISSN:…``,
    ``info:oclcnum/…`` or a doi.org address, as (field, value); ("", "") when not one of ours."""
    lowered = ref.lower()
    if lowered.startswith(("info:doi/", "doi:")) or re.match(r"https?://(dx\.)?doi\.org/", lowered):
        return "doi", ref
    if lowered.startswith(("info:pmid/", "pmid:")):
        return "pmid", ref
    if lowered.startswith(("urn:isbn:", "isbn:")):
        return "isbn", ref
    if lowered.startswith(("urn:issn:", "issn:")):
        return "issn", ref
    if lowered.startswith("info:oclcnum/"):
        return "oclc_number", ref
    return "", ""


def _referrer(kev: _Kev) -> str:
    for value in kev.raw("rfr_id") + kev.raw("sid"):
        value = re.sub(r"^info:sid/", "", value, flags=re.IGNORECASE).strip()
        if value:
            return value[:100]
    return ""


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
