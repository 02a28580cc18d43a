"""The one CSV writer of every download: rows to CSV lines, streamed, with no cell that runs as a formula.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (CSV injection): ``=HYPERLINK(...)`` in a citation title, a partner's name or a budget
fund typed by a patron, a partner or a colleague would run when staff open the download. Following
OWASP's advice, such a text cell is written with a single quote in front (``'=HYPERLINK(...)``): the
spreadsheet shows the text as typed and evaluates nothing.

Numbers and text are told apart by their Python type, not by how they look:

* a number passed as a number (``int``, ``Decimal``, ``float``) is written as it is, so a negative
  amount (``-12.50``, a credit note) or a negative count stays a number the spreadsheet can add up.
  A number cannot hold a formula, so it needs no quote;
* every other value is text (``str``, dates, enum labels, anything else is written as ``str(value)``)
  and is neutralised when it starts with one of those characters, even text that reads like a
  negative number (``"-1"``): its author typed text, and a quote keeps it as typed. A view that
  means a number passes the number, not its formatted text;
* ``None`` is an empty cell.

Views return :func:`csv_download`; nothing else in the project writes CSV.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse

CONTENT_TYPE = "text/csv; charset=utf-8"

#: A text cell starting with one of these would be evaluated by a spreadsheet (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as the csv module should write it: numbers as they are, text that starts a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):  # bool is an int: written True/False, never a formula
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


class _Echo:
    """The file-like object csv.writer needs: each written line is handed back instead of stored."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each row as one CSV line (``\\r\\n``-terminated, quoted where needed), its cells made safe."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_download(header: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str) -> StreamingHttpResponse:
    """A CSV attachment named ``filename``: ``header`` then ``rows``, streamed line by line.

    ``rows`` is read while the response is sent: pass rows already read from the database (a list),
    so a failing query is an error of the view, not a download cut short.
    """
    response = StreamingHttpResponse(csv_lines(itertools.chain([header], rows)), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

