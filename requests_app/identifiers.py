"""Bibliographic identifiers: validation and normalisation.

python-stdnum does the check-digit arithmetic for ISBN and ISSN; DOI, PMID and OCLC
numbers have no check digit, so they are checked by shape. Every function takes what a
person typed (hyphens, spaces, prefixes such as ``urn:ISBN:`` or ``https://doi.org/``)
and returns the canonical form, or raises ``django.core.exceptions.ValidationError``
with a message a patron can act on.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy
from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

_ISBN_PREFIX = re.compile(r"^\s*(urn:)?isbn[:\s]*", re.IGNORECASE)
_ISSN_PREFIX = re.compile(r"^\s*(urn:)?issn[:\s]*", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^\s*(info:doi[/:]|urn:doi:|doi:\s*|(https?://)?(dx\.|www\.)?doi\.org/)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_PMID_PREFIX = re.compile(r"^\s*(info:pmid/|pmid:\s*)", re.IGNORECASE)
_OCLC_PREFIX = re.compile(r"^\s*(info:oclcnum/)?\s*(\(ocolc\))?\s*(ocm|ocn|on)?", re.IGNORECASE)


def normalize_isbn(value: str) -> str:
    """Return the ISBN-13 form without hyphens (ISBN-10 is converted)."""
    raw = _ISBN_PREFIX.sub("", value or "").strip()
    try:
        return stdnum_isbn.to_isbn13(stdnum_isbn.validate(raw))
    except StdnumError as exc:
        raise ValidationError(
            gettext("“%(value)s” is not a valid ISBN: %(reason)s"), code="invalid_isbn",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def normalize_issn(value: str) -> str:
    """Return the ISSN as ``NNNN-NNNC`` after checking its check digit."""
    raw = _ISSN_PREFIX.sub("", value or "").strip()
    try:
        return stdnum_issn.format(stdnum_issn.validate(raw))
    except StdnumError as exc:
        raise ValidationError(
            gettext("“%(value)s” is not a valid ISSN: %(reason)s"), code="invalid_issn",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def normalize_doi(value: str) -> str:
    """Return the DOI without resolver prefix, in the case it was given.

    DOIs are case-insensitive (``10.1000/ABC`` and ``10.1000/abc`` are one DOI), but shown
    and stored as sent, since that is how the publisher prints it; compare them with
    ``doi_key``.
    """
    raw = _DOI_PREFIX.sub("", (value or "").strip()).strip()
    if not _DOI_SHAPE.match(raw):
        raise ValidationError(
            gettext("“%(value)s” is not a valid DOI: a DOI starts with “10.”, a registrant code and a slash."),
            code="invalid_doi", params={"value": value},
        )
    return raw


def doi_key(value: str) -> str:
    """A DOI folded for comparing (DOIs are case-insensitive): ``doi_key(a) == doi_key(b)`` when they are one."""
    return _DOI_PREFIX.sub("", (value or "").strip()).strip().casefold()


def normalize_pmid(value: str) -> str:
    raw = _PMID_PREFIX.sub("", (value or "").strip()).strip()
    if not raw.isdigit() or len(raw) > 9 or int(raw) == 0:
        raise ValidationError(
            gettext("“%(value)s” is not a valid PubMed ID: it is a number of up to nine digits."),
            code="invalid_pmid", params={"value": value},
        )
    return str(int(raw))


def normalize_oclc_number(value: str) -> str:
    raw = _OCLC_PREFIX.sub("", (value or "").strip()).strip()
    if not raw.isdigit() or len(raw) > 12 or int(raw) == 0:
        raise ValidationError(
            gettext("“%(value)s” is not a valid OCLC number: it is a number of up to twelve digits."),
            code="invalid_oclc", params={"value": value},
        )
    return str(int(raw))


NORMALIZERS = {
    "isbn": normalize_isbn,
    "issn": normalize_issn,
    "doi": normalize_doi,
    "pmid": normalize_pmid,
    "oclc_number": normalize_oclc_number,
}


def normalize_identifiers(values: dict[str, str]) -> tuple[dict[str, str], dict[str, ValidationError]]:
    """Normalise every non-empty identifier in ``values``.

    Returns the cleaned values and the errors by field name, so a form or serializer can
    report all bad identifiers at once.
    """
    cleaned: dict[str, str] = {}
    errors: dict[str, ValidationError] = {}
    for field, normalize in NORMALIZERS.items():
        value = (values.get(field) or "").strip()
        if not value:
            continue
        try:
            cleaned[field] = normalize(value)
        except ValidationError as exc:
            errors[field] = exc
    return cleaned, errors


# python-stdnum words its refusals in English; ours say the same in the reader's language.
_REASONS = (
    (InvalidChecksum, gettext_lazy("its check digit does not match (a digit mistyped?).")),
    (InvalidLength, gettext_lazy("it has the wrong number of digits.")),
    (InvalidFormat, gettext_lazy("it holds characters that do not belong in it.")),
    (InvalidComponent, gettext_lazy("a part of it names nothing that exists (its prefix, say).")),
)


def _reason(exc: StdnumError) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return str(reason)
    return gettext("it is not one.")
