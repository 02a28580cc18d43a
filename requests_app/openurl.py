"""OpenURL intake: read a link from a discovery system into our citation fields.

Discovery systems send OpenURL 0.1 (``genre=article&atitle=...&issn=...``) or OpenURL 1.0
key/encoded-value links (``url_ver=Z39.88-2004&rft.atitle=...&rft_id=info:doi/...``), often
mixed, repeated, partial, or carrying the punctuation of the catalogue record they were made
from. ``parse_openurl`` never raises: it keeps what it can read, cuts values to the length of
our fields, and reports what it had to leave out (an identifier that does not validate) as
warnings, and what the patron still has to add as notices, both shown on the form.

What is read, by the shapes the systems publish (each has a test in
``tests/borrowing/test_patron_openurl_parsing.py``):

* **Kind of item**: ``genre``/``rft.genre``, ``rft_val_fmt`` (``journal``, ``book``,
  ``dissertation``, ``dc``) and, for Dublin Core links (VuFind), ``rft.format``/``rft.type``.
  When they disagree the one whose fields the link carries wins (a "book" with a journal, an
  ISSN and pages is an article). Without any, the fields decide; a link with only a DOI or a
  PMID (PubMed's LinkOut: ``sid=Entrez:PubMed&id=pmid:…``) is an article.
* **Whole journals**: ``genre=journal`` (or ``issue``) without an article title (WorldCat,
  VuFind) is an article form with the journal filled in and the article left to the patron.
* **Titles**: ``atitle``, ``jtitle``/``stitle``/``title`` (the journal in 0.1), ``btitle``.
* **Authors**: every ``rft.au`` and ``rft.creator`` (VuFind's Dublin Core), the first author
  from ``aulast`` + ``aufirst``/``auinit``/``auinit1``+``auinitm`` + ``ausuffix`` (the same
  person given both ways is kept once), else ``aucorp``.
* **Dates**: the Year field gets the year of any common form (``2022-02-12``, ``2019-05``,
  ``May 2019``, ``2019/05/01``, ``20070705``, ``Spring 2019``, ``c1998``, ``[1998?]``); a
  range stays a range (``1998-1999``, ``1998/99``). The fuller date is kept where the form
  has a place for it: the "other" form's field is labelled Date and keeps it as sent (an ISO
  ``2022-02-12`` for ``20220212``); an article with neither volume nor issue (a magazine, a
  newspaper) gets it as its issue, since that is how its issue is found.
* **Catalogue punctuation** (MARC/ISBD) is trimmed from titles, authors, places, publishers
  and editions: ``Title /``, ``London :``, ``Oxford University Press,``, ``Smith, John,``,
  ``[London]``, ``[S.l.]``/``[s.n.]`` (no place, no publisher: left empty), a final period
  (but not after an initial or an abbreviation: ``J.``, ``Inc.``, ``D.C.``, ``2nd ed.``),
  ``[electronic resource]``; a ``?`` or ``!`` that ends a title stays.
* **Identifiers** from their own keys (``isbn``, ``issn``/``eissn``, ``doi``, ``pmid``,
  ``oclcnum``) and from every ``rft_id`` and ``id``: ``info:doi/``, ``doi:``,
  ``https://doi.org/…``, ``info:pmid/``, ``pmid:``, a PubMed address, ``urn:ISBN:``,
  ``info:oclcnum/``, a WorldCat address, WorldCat's ``rfe_dat`` accession number; values
  URL-encoded once more than the link (Scopus's ``10.1016%2Fj…``) are decoded; an ISBN or
  ISSN with a qualifier (``0-306-40615-2 (pbk.)``) is read without it. DOIs keep the case
  they were sent in.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

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

#: ``rft.genre`` / ``genre`` to our format. ``bookitem`` is a chapter; ``journal`` and ``issue``
#: name a whole journal or issue, asked for as an article the patron names.
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
    "report": RequestFormat.OTHER,
}
_WHOLE_SERIAL_GENRES = {"journal", "issue"}
#: ``rft_val_fmt`` to our format.
_VALUE_FORMATS = {
    "journal": RequestFormat.ARTICLE,
    "book": RequestFormat.BOOK,
    "dissertation": RequestFormat.THESIS,
}
#: The genres that say more precisely what a value format holds (they do not disagree with it).
_NARROWER = {
    RequestFormat.ARTICLE: {RequestFormat.ARTICLE, RequestFormat.CONFERENCE},
    RequestFormat.BOOK: {RequestFormat.BOOK, RequestFormat.CHAPTER, RequestFormat.CONFERENCE, RequestFormat.OTHER},
    RequestFormat.THESIS: {RequestFormat.THESIS},
}
#: ``rft.format``/``rft.type`` of a Dublin Core link (VuFind sends its own format names) to our format.
_DC_TYPES = {
    "book": RequestFormat.BOOK, "ebook": RequestFormat.BOOK, "e-book": RequestFormat.BOOK,
    "article": RequestFormat.ARTICLE, "journal article": RequestFormat.ARTICLE,
    "journalarticle": RequestFormat.ARTICLE,
    "book chapter": RequestFormat.CHAPTER, "booksection": RequestFormat.CHAPTER,
    "chapter": RequestFormat.CHAPTER,
    "thesis": RequestFormat.THESIS, "dissertation": RequestFormat.THESIS,
    "conference proceeding": RequestFormat.CONFERENCE, "conferencepaper": RequestFormat.CONFERENCE,
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
    ``referrer`` (the ``sid``/``rfr_id`` of the sending system, or ""), ``warnings``
    (sentences for the patron about what was left out) and ``notices`` (what the patron
    still has to add). Never raises on bad input.
    """
    kev = _Kev(query)
    warnings: list[str] = []
    notices: list[str] = []
    found_ids = _identifiers(kev, warnings)
    fmt = _format(kev, found_ids)

    atitle = _title(kev.first("atitle"))
    jtitle = _title(kev.first("jtitle") or kev.first("stitle"))
    btitle = _title(kev.first("btitle"))
    title = _title(kev.first("title"))
    genre = kev.first("genre").lower()
    fields: dict[str, str] = {}
    # A journal (or an issue) asked for as a whole: genre=journal, or a journal link with no article in it.
    whole_serial = fmt == RequestFormat.ARTICLE and not atitle and not (title and jtitle and title != jtitle) and (
        genre in _WHOLE_SERIAL_GENRES or (not genre and _value_format(kev) == "journal" and bool(jtitle or title)))
    if whole_serial:
        fields["title"] = ""
        fields["container_title"] = jtitle or title
        notices.append("This link names a journal, not an article in it: please add the title of the article "
                       "you need, with its volume, issue, year and pages if you know them.")
    elif fmt in (RequestFormat.ARTICLE, RequestFormat.CHAPTER, RequestFormat.CONFERENCE) or (
            fmt == RequestFormat.OTHER and atitle):
        # In 0.1 ``title`` is the journal or book; in 1.0 ``rft.title`` is used the same way by many senders.
        container = (btitle or title or jtitle) if fmt == RequestFormat.CHAPTER else (
            jtitle or btitle or (title if atitle else ""))
        fields["title"] = atitle or title or btitle or jtitle
        fields["container_title"] = container if container != fields["title"] else ""
    else:
        fields["title"] = btitle or title or atitle or jtitle

    fields["author"] = _authors(kev)
    fields["volume"] = kev.first("volume")
    fields["issue"] = kev.first("issue")
    fields["pages"] = _pages(kev)
    sent_date = kev.first("date") or kev.first("year")
    fields["publication_date"] = _date(sent_date, full=fmt == RequestFormat.OTHER)
    if fmt == RequestFormat.ARTICLE and not whole_serial and not fields["volume"] and not fields["issue"]:
        # A magazine or newspaper without volume and issue is found by its date: the fuller date names the issue.
        fuller = _date(sent_date, full=True)
        if fuller and fuller != fields["publication_date"]:
            fields["issue"] = fuller
    fields["edition"] = trim_catalogue_punctuation(kev.first("edition"), keep_period=True)
    fields["publisher"] = _name(kev.first("pub") or kev.first("inst") or kev.first("publisher"))
    fields["place_of_publication"] = _name(kev.first("place") or kev.first("pubplace"))
    fields.update(found_ids)

    if not fields["title"] and not whole_serial and ("doi" in found_ids or "pmid" in found_ids):
        given = " and ".join(label for name, label in (("pmid", "PubMed ID"), ("doi", "DOI")) if name in found_ids)
        notices.append(f"The link gave only the {given}: please add the article's title, journal and year "
                       f"(they are on the page you came from).")

    result: dict[str, Any] = {"format": fmt.value}
    for name, value in fields.items():
        value = _truncate(name, value)
        if value:
            result[name] = value
    result["referrer"] = _referrer(kev)
    result["warnings"] = warnings
    result["notices"] = notices
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

    def has(self, *names: str) -> bool:
        return any(self.all(name) for name in names)

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


# The kind of item ------------------------------------------------------------------------------

def _value_format(kev: _Kev) -> str:
    return (kev.raw("rft_val_fmt") or [""])[0].lower().rsplit(":", 1)[-1]


def _format(kev: _Kev, found_ids: Mapping[str, str]) -> RequestFormat:
    """The genre, the value format and a Dublin Core type; when they disagree, the one the fields bear out."""
    genre = kev.first("genre").lower()
    by_genre = _GENRES.get(genre)
    by_value = _VALUE_FORMATS.get(_value_format(kev))
    if by_genre and by_genre in _NARROWER.get(by_value, ()):
        return by_genre  # no disagreement: a paper in proceedings of journal format, a chapter of a book
    if by_value == RequestFormat.BOOK and kev.has("atitle"):
        by_value = RequestFormat.CHAPTER
    by_type = _DC_TYPES.get((kev.first("format") or kev.first("type")).lower())
    candidates = list(dict.fromkeys(c for c in (by_genre, by_value, by_type) if c))
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        # Ties go to the first named: the genre says more than the value format.
        return max(candidates, key=lambda fmt: (_evidence(kev, fmt, found_ids), -candidates.index(fmt)))
    # No genre and no format: guess from what the link carries.
    if kev.has("jtitle", "stitle") or (kev.has("atitle") and (kev.has("issn", "eissn") or "issn" in found_ids)):
        return RequestFormat.ARTICLE
    if kev.has("btitle") or "isbn" in found_ids or kev.has("isbn"):
        return RequestFormat.CHAPTER if kev.has("atitle") else RequestFormat.BOOK
    if kev.has("atitle") and kev.has("title"):
        return RequestFormat.ARTICLE  # 0.1: the article and the journal it is in (Google Scholar)
    if kev.has("inst", "degree"):
        return RequestFormat.THESIS
    if ("doi" in found_ids or "pmid" in found_ids) and not kev.has("title", "atitle"):
        return RequestFormat.ARTICLE  # a bare DOI or PMID (PubMed's LinkOut) names an article
    if "pmid" in found_ids:
        return RequestFormat.ARTICLE
    return RequestFormat.OTHER


def _evidence(kev: _Kev, fmt: RequestFormat, found_ids: Mapping[str, str]) -> int:
    """How many of the fields typical of ``fmt`` the link carries."""
    has = kev.has
    if fmt == RequestFormat.ARTICLE:
        return (2 * has("jtitle", "stitle") + has("atitle") + (has("issn", "eissn") or "issn" in found_ids)
                + has("volume") + has("issue") + has("spage", "pages") + ("pmid" in found_ids))
    if fmt == RequestFormat.CHAPTER:
        return 2 * (has("atitle") and has("btitle")) + has("spage", "pages") + ("isbn" in found_ids) + has("pub")
    if fmt == RequestFormat.CONFERENCE:
        return 2 * has("conf") + has("atitle") + has("btitle", "jtitle")
    if fmt == RequestFormat.THESIS:
        return 2 * has("inst") + 2 * has("degree") + has("advisor")
    # A book, and "other" (a report), are told by the same fields.
    return (2 * has("btitle") + ("isbn" in found_ids) + has("pub", "publisher") + has("place") + has("edition")
            - 2 * has("jtitle"))


# Titles, names and dates -------------------------------------------------------------------------

#: MARC/ISBD separators left at the end of a field cut out of a record: `` /``, `` :``, `` ;``, `` =``, ``,``.
_TRAILING_SEPARATORS = re.compile(r"[\s/:;=,]+$")
_LEADING_SEPARATORS = re.compile(r"^[\s/:;=,]+")
#: A period after these ends an abbreviation, not the field.
_ABBREVIATIONS = frozenset({
    "al", "assn", "assoc", "bros", "ca", "co", "corp", "dept", "dr", "ed", "eds", "enl", "etc", "govt", "inc", "intl",
    "jr", "ltd", "mr", "mrs", "ms", "natl", "no", "nos", "prof", "pt", "pub", "publ", "repr", "rev", "ser", "sr", "st",
    "suppl", "univ", "vol", "vols"})
#: ISBD's "no place", "no publisher" (AACR2 and RDA): nothing to fill in.
_UNKNOWN = frozenset({"s.l.", "s.l", "s.n.", "s.n", "sine loco", "sine nomine", "n.p.", "n.p", "s.l. : s.n.",
                      "place of publication not identified", "publisher not identified", "unknown"})
#: General material designations cataloguers put in titles.
_GMD = re.compile(
    r"\s*\[(electronic resource|microform|sound recording|videorecording|text|manuscript|kit|"
    r"computer file|motion picture|graphic|cartographic material|music|braille|online|e-?book|"
    r"ressource électronique|elektronische ressource)\]", re.IGNORECASE)
_ETC = re.compile(r"\s*\[(etc\.?|and others|et al\.?)\]", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:i|b|em|strong|sup|sub|span|u|sc|scp)\b[^>]*>", re.IGNORECASE)
_ISBD_COLON = re.compile(r"\s+([:;])\s+")


def trim_catalogue_punctuation(value: str, *, keep_period: bool = False, unbracket: bool = False) -> str:
    """``value`` without the ISBD punctuation a catalogue record leaves on it.

    Separators at the end (`` /``, `` :``, `` ;``, `` =``, ``,``) go; so does a final period
    unless ``keep_period`` or it ends an initial or an abbreviation (``J.``, ``Inc.``,
    ``D.C.``). Square brackets around the whole value go (``[London]``); with ``unbracket``
    every square bracket does (``[London] ; New York``). Other punctuation stays (``?``, ``!``,
    a hyphen of an open date ``1950-``).
    """
    value = _ETC.sub("", value or "")
    value = _LEADING_SEPARATORS.sub("", _TRAILING_SEPARATORS.sub("", value))
    for _ in range(3):
        before = value
        if unbracket:
            value = value.replace("[", "").replace("]", "")
        elif value.startswith("[") and value.endswith("]") and "[" not in value[1:-1]:
            value = value[1:-1]
        value = _TRAILING_SEPARATORS.sub("", value).strip()
        if not keep_period:
            value = _trim_period(value)
        if value == before:
            break
    return value


def _trim_period(value: str) -> str:
    if not value.endswith(".") or value.endswith(".."):
        return value
    last_word = re.split(r"[\s,(]", value[:-1])[-1]
    if len(last_word) <= 1 or "." in last_word or last_word.lower() in _ABBREVIATIONS:
        return value
    if re.search(r"[^\W\d]{2,}\.\s", value):
        return value  # words cut short before it: an abbreviated title (``Phys. Rev. Lett.``)
    return value[:-1].rstrip()


def _title(value: str) -> str:
    if not value:
        return ""
    if "<" in value:
        value = _HTML_TAG.sub("", value)
    if "&" in value:
        value = html.unescape(value)
    value = _GMD.sub("", value)
    return _ISBD_COLON.sub(r"\1 ", trim_catalogue_punctuation(value)).strip()


def _name(value: str) -> str:
    """A publisher, place or author: catalogue punctuation trimmed, "no place"/"no publisher" dropped."""
    value = trim_catalogue_punctuation(value, unbracket=True)
    value = _ISBD_COLON.sub(r"\1 ", value)
    return "" if value.lower().rstrip("?") in _UNKNOWN else value


_YEAR = r"(1[4-9][0-9]{2}|20[0-9]{2})"
_RANGE = re.compile(rf"(?<![0-9]){_YEAR}\s*[-–/]\s*([0-9]{{4}}|[0-9]{{2}})(?![0-9])")
_A_YEAR = re.compile(rf"(?<![0-9]){_YEAR}(?![0-9])")
_COMPACT = re.compile(rf"{_YEAR}(0[1-9]|1[0-2])([0-3][0-9])?")


def _date(value: str, *, full: bool) -> str:
    """The year of a date in any common form (a range stays a range); with ``full`` the date as sent."""
    value = trim_catalogue_punctuation(value, unbracket=True).strip()
    if not value:
        return ""
    compact = _COMPACT.fullmatch(value)
    if full:
        if compact:
            return "-".join(part for part in compact.groups() if part)
        return value
    if compact:
        return compact.group(1)
    found = _RANGE.search(value)
    if found:
        start, end = found.group(1), found.group(2)
        if len(end) == 2:
            end = start[:2] + end if int(end) > 12 else ""  # 2019-05 is May, 1998-99 a range
        if end and int(end) > int(start):
            return f"{start}-{end}"
    year = _A_YEAR.search(value)
    return year.group(1) if year else value


# Authors -------------------------------------------------------------------------------------

_INITIALS = re.compile(r"^(?:[A-Z]\.?\s?){1,4}$")


def _initials(value: str) -> str:
    """``JD``, ``J.D.``, ``J D`` as ``J. D.``; anything else as sent."""
    value = value.strip()
    if not _INITIALS.match(value):
        return value
    return " ".join(f"{letter}." for letter in value if letter.isalpha())


def _person_key(name: str) -> tuple[str, str]:
    """(last name, first initial), folded, of ``Last, First`` or ``First Last``."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    if "," in text:
        last, _, first = text.partition(",")
    else:
        words = text.split()
        last, first = (words[-1], " ".join(words[:-1])) if words else ("", "")
    last = re.sub(r"[^\w]", "", last)
    first = re.sub(r"[^\w\s]", "", first).strip()
    return last, first[:1]


def _same_person(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a[0] == b[0] and (not a[1] or not b[1] or a[1] == b[1])


def _authors(kev: _Kev, limit: int = 300) -> str:
    """Every author, first author first, each once, "; " between them, within ``limit`` characters."""
    names: list[str] = []
    keys: list[tuple[str, str]] = []

    def add(name: str) -> None:
        name = _name(name)
        if not name:
            return
        key = _person_key(name)
        for i, seen in enumerate(keys):
            if _same_person(key, seen):
                # The same person given twice: keep the fuller "Last, First" form.
                if "," in name and len(name) > len(names[i]):
                    names[i], keys[i] = name, key
                return
        names.append(name)
        keys.append(key)

    last = kev.first("aulast")
    first = kev.first("aufirst") or _initials(kev.first("auinit") or (kev.first("auinit1") + kev.first("auinitm")))
    suffix = kev.first("ausuffix")
    if last:
        last = _name(last)
        name = f"{last}, {_name(first)}" if first and "," not in last else last
        add(f"{name}, {suffix}" if suffix else name)
    for name in kev.all("au") + kev.all("creator"):
        add(name)
    if not names:
        add(kev.first("aucorp"))
    text = ""
    for name in names:
        candidate = f"{text}; {name}" if text else name
        if len(candidate) > limit - len("; et al."):
            return f"{text}; et al." if text else name[:limit]
        text = candidate
    return text


def _pages(kev: _Kev) -> str:
    pages = kev.first("pages")
    if pages:
        return pages
    start, end = kev.first("spage"), kev.first("epage")
    if start and end and start != end:
        return f"{start}-{end}"
    return start or kev.first("artnum")


# Identifiers ---------------------------------------------------------------------------------

_QUALIFIER = re.compile(r"\s*\([^)]*\)")
_PUBMED_URL = re.compile(r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/(\d+)",
                         re.IGNORECASE)
_WORLDCAT_URL = re.compile(r"^https?://(?:www\.)?worldcat\.org/(?:title/[^/]*/)?oclc/(\d+)", re.IGNORECASE)
_DOI_URL = re.compile(r"^(?:https?://)?(?:dx\.|www\.)?doi\.org/", re.IGNORECASE)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def _identifiers(kev: _Kev, warnings: list[str]) -> dict[str, str]:
    """Identifiers from their own keys and from ``rft_id``/``id``; only valid ones are kept."""
    candidates: dict[str, list[str]] = {name: [] for name in identifiers.NORMALIZERS}
    candidates["isbn"] += _with_parts(kev.all("isbn") + kev.all("eisbn"))
    candidates["issn"] += _with_parts(kev.all("issn") + kev.all("eissn"))
    candidates["doi"] += [_decoded(v) for v in kev.all("doi")]
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


def _with_parts(values: list[str]) -> list[str]:
    """Each value, then the ISBNs/ISSNs in it without qualifiers (``0-306-40615-2 (pbk.) ; 9780306406157``)."""
    out: list[str] = []
    for value in values:
        out.append(value)
        bare = _QUALIFIER.sub(" ", value)
        out += [part for part in re.split(r"[;,|]|\s+(?=(?:urn:)?(?:isbn|issn)?:?\s*[0-9])", bare, flags=re.I)
                if part.strip()]
    return [v.strip() for v in out]


def _decoded(value: str) -> str:
    """``value`` URL-decoded as often as it was encoded beyond the link itself (Scopus: ``10.1016%2Fj…``)."""
    for _ in range(3):
        if not _PERCENT.search(value):
            break
        value = unquote(value)
    return value.strip()


def _identifier_uri(ref: str) -> tuple[str, str]:
    """``info:doi/…``, ``doi:…``, a doi.org address, ``info:pmid/…``, ``pmid:…``, a PubMed address,
    ``urn:ISBN:…``, ``urn:ISSN:…``, ``info:oclcnum/…``, a WorldCat address or a bare DOI, as
    (field, value); ("", "") when not one of ours."""
    ref = _decoded(ref)
    lowered = ref.lower()
    if lowered.startswith(("info:doi/", "info:doi:", "doi:", "urn:doi:")) or _DOI_URL.match(ref):
        value = _DOI_URL.sub("", ref)
        return "doi", re.sub(r"^(?:info:doi[/:]|urn:doi:)", "", value, flags=re.IGNORECASE)
    if re.match(r"^10\.[0-9]{4,9}/", ref):
        return "doi", ref
    if lowered.startswith(("info:pmid/", "info:pmid:", "pmid:", "pmid/")):
        return "pmid", re.sub(r"^(?:info:)?pmid[/:]\s*", "", ref, flags=re.IGNORECASE)
    pubmed = _PUBMED_URL.match(ref)
    if pubmed:
        return "pmid", pubmed.group(1)
    if lowered.startswith(("urn:isbn:", "isbn:")):
        return "isbn", _QUALIFIER.sub("", ref)
    if lowered.startswith(("urn:issn:", "issn:")):
        return "issn", _QUALIFIER.sub("", ref)
    if lowered.startswith("info:oclcnum/"):
        return "oclc_number", ref
    worldcat = _WORLDCAT_URL.match(ref)
    if worldcat:
        return "oclc_number", worldcat.group(1)
    return "", ""


def _referrer(kev: _Kev) -> str:
    for value in kev.raw("rfr_id") + kev.raw("sid"):
        value = re.sub(r"^info:sid/", "", value, flags=re.IGNORECASE).strip()
        if value:
            return value[:100]
    return ""


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
