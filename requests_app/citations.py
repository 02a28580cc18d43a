"""A citation as staff, patrons and slips read it: "Science, vol. 185, no. 4157, pp. 1124–1131".

One presenter for every page and PDF (the ``citations`` template tags call it), so a request reads
the same on the lending desk, the borrowing pages, the patron's pages, the pull slip and the book
band. It reads any object with the citation fields (``requests_app.models.Citation``) and leaves
out each part the citation lacks, with its label.
"""

from __future__ import annotations

import re
from typing import Protocol

#: A page range typed with a hyphen (or two, or a spaced dash) between numbers: printed with an en dash.
_RANGE = re.compile(r"(?<=\w)\s*(?:-{1,2}|–|—)\s*(?=\w)")
#: An edition given as a bare number or ordinal ("2", "2nd"): printed as "2nd ed.".
_BARE_EDITION = re.compile(r"^\d+(?:st|nd|rd|th)?$", re.IGNORECASE)


class CitationFields(Protocol):
    title: str
    author: str
    container_title: str
    volume: str
    issue: str
    pages: str
    publication_date: str
    edition: str
    publisher: str
    place_of_publication: str


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def page_label(pages: str) -> str:
    """``pp. 1124–1131`` for a range or a list of pages, ``p. 12`` for one page; empty when none."""
    pages = _clean(pages)
    if not pages:
        return ""
    pages = _RANGE.sub("–", pages)
    several = "–" in pages or "," in pages
    return f"{'pp.' if several else 'p.'} {pages}"


def edition_label(edition: str) -> str:
    """``2nd ed.`` for an edition typed ``2nd`` or ``2``; an edition written out is kept as typed."""
    edition = _clean(edition)
    if not edition:
        return ""
    if edition.isdigit():
        number = int(edition)
        suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
        edition = f"{number}{suffix}"
    return f"{edition} ed." if _BARE_EDITION.match(edition) else edition


def source(citation: CitationFields) -> str:
    """Where the item is found: the journal or book with volume, issue and pages, each labelled.

    ``Science, vol. 185, no. 4157, pp. 1124–1131``. Without a journal or book title the parts still
    read alone (``vol. 3, p. 12``); empty when the citation has none of them.
    """
    parts = [
        _clean(citation.container_title),
        f"vol. {_clean(citation.volume)}" if _clean(citation.volume) else "",
        f"no. {_clean(citation.issue)}" if _clean(citation.issue) else "",
        page_label(citation.pages),
    ]
    return ", ".join(p for p in parts if p)


def publication(citation: CitationFields) -> str:
    """Edition, place, publisher and date: ``2nd ed., Chicago: University of Chicago Press, 1996``."""
    place, publisher = _clean(citation.place_of_publication), _clean(citation.publisher)
    imprint = f"{place}: {publisher}" if place and publisher else place or publisher
    parts = [edition_label(citation.edition), imprint, _clean(citation.publication_date)]
    return ", ".join(p for p in parts if p)


def citation_line(citation: CitationFields) -> str:
    """The whole citation on one line: author, title, source, publication, each part only when given.

    ``Tversky, A. Judgment under uncertainty. Science, vol. 185, no. 4157, pp. 1124–1131, 1974.``
    """
    tail = ", ".join(p for p in (source(citation), publication(citation)) if p)
    parts = [_clean(citation.author), _clean(citation.title), tail]
    line = ". ".join(p.rstrip(".") if i < 2 else p for i, p in enumerate(parts) if p)
    return line if not line or line.endswith(".") else f"{line}."
