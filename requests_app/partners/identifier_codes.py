"""Bibliographic identifiers as partners spell them, read into our citation's fields.

ISO 18626 leaves ``bibliographicItemIdentifierCode`` and ``bibliographicRecordIdentifierCode`` open
lists, and peers spell them their own way: ``ISBN``, ``isbn``, ``ISBN-13``, ``oclcNumber``, ``OCoLC``,
``Medline``. :data:`CODES` is the one table of the codes we know: each names the citation field it
fills (or none: we keep it for staff) and every spelling, compared case-insensitively and without
spaces, hyphens, underscores, dots or colons. Values are cleaned the way peers send them
(``(OCoLC)12345``, ``ocm12345``, ``978-0-226-45808-3 (pbk.)``, ``doi:10…``, ``https://doi.org/10…``)
by the citation's own normalisers (``requests_app.identifiers``).

Nothing a partner sends is dropped: an identifier we have no field for (an LCCN), a second ISBN and a
code we do not know are returned as *others*, which the handler keeps in the intake event's data for
staff to see on the desk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ..identifiers import NORMALIZERS


@dataclass(frozen=True)
class IdentifierCode:
    """One kind of identifier: the citation field it fills ("" for none), its name for staff, its spellings."""

    field: str
    label: str
    spellings: frozenset[str]


def fold(code: str) -> str:
    """A code as compared: upper case, without spaces, hyphens, underscores, dots and colons."""
    return re.sub(r"[\s\-_.:]", "", code or "").upper()


def _code(field: str, label: str, *spellings: str) -> IdentifierCode:
    return IdentifierCode(field, label, frozenset(fold(spelling) for spelling in (label, *spellings)))


#: Every identifier code we read, with its spellings. Add a spelling here and every door reads it.
CODES: tuple[IdentifierCode, ...] = (
    _code("isbn", "ISBN", "ISBN-13", "ISBN13", "ISBN-10", "ISBN10", "eISBN", "pISBN"),
    _code("issn", "ISSN", "eISSN", "pISSN", "ISSN-L", "onlineISSN", "printISSN"),
    _code("doi", "DOI"),
    _code("pmid", "PMID", "PubMed", "PubMedId", "Medline"),
    _code("oclc_number", "OCLC", "OCLC number", "oclcNumber", "OCLCnum", "OCoLC", "OCN", "WorldCat",
          "WorldCatId"),
    _code("", "LCCN", "LC control number"),
    _code("", "PMCID", "PMC"),
    _code("", "ISMN"),
    _code("", "ISRN"),
    _code("", "EAN"),
)
_BY_SPELLING = {spelling: code for code in CODES for spelling in code.spellings}
_PUBMED_URL = re.compile(r"pubmed(?:\.ncbi\.nlm\.nih\.gov)?/+(\d+)", re.IGNORECASE)


def code_for(spelling: str) -> IdentifierCode | None:
    """The known code ``spelling`` names, or ``None``."""
    return _BY_SPELLING.get(fold(spelling))


def clean(field: str, value: str) -> str | None:
    """``value`` as the citation stores ``field``, or ``None`` when no reading of it is valid.

    The whole value is tried first, then each of its words (``978-0-226-45808-3 (pbk.)``,
    ``OCoLC 12345``), and a PubMed address for a PMID.
    """
    normalise = NORMALIZERS[field]
    candidates = [value, *re.split(r"[\s;,]+", value)]
    if field == "pmid":
        candidates += _PUBMED_URL.findall(value)
    for candidate in candidates:
        if not candidate.strip():
            continue
        try:
            return normalise(candidate)
        except ValidationError:
            continue
    return None


def read_identifiers(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The citation fields that ``(code, value)`` pairs fill, and the identifiers left over for staff.

    The first valid value of a field fills it; a field with no valid value gets the first one as sent
    (the citation's validation then refuses it, naming the field); every other value (a second ISBN,
    an LCCN, a code we do not know) is returned as ``{"code", "value"}``, the code as we name it.
    """
    fields: dict[str, str] = {}
    invalid: dict[str, str] = {}
    others: list[dict[str, str]] = []
    for spelling, value in pairs:
        value = (value or "").strip()
        if not value:
            continue
        code = code_for(spelling)
        name = code.label if code is not None else (spelling or "").strip()[:40] or "(no code)"
        if code is None or not code.field or code.field in fields:
            others.append({"code": name, "value": value[:200]})
            continue
        cleaned = clean(code.field, value)
        if cleaned is not None:
            fields[code.field] = cleaned
            if code.field in invalid:  # a bad value before the good one: the staff see it
                others.append({"code": name, "value": invalid.pop(code.field)})
        elif code.field in invalid:
            others.append({"code": name, "value": value[:200]})
        else:
            invalid[code.field] = value[:200]
    for field, value in invalid.items():
        fields[field] = value
    return fields, others
