"""A purchase order as acquisitions departments take it: a MARC 21 order record and a CSV line.

The MARC record (ISO 2709, written with pymarc) is a brief bibliographic record with the order in local
9XX fields, as vendors' embedded order data (EOD) does (docs/sourcing.md lists every field):

- ``001`` our order number, ``005`` when it was written, ``008`` the date entered and the year published;
- ``020 $a`` the ISBN, ``$c`` the unit price with its currency;
- ``100 1_ $a`` the author, ``245 10 $a`` the title, ``250 $a`` the edition,
  ``264 _1 $a`` place, ``$b`` publisher, ``$c`` year;
- ``980`` the order: ``$a`` order number, ``$b`` unit price, ``$c`` currency, ``$q`` quantity, ``$g`` total,
  ``$d`` order date (YYYYMMDD), ``$s`` vendor, ``$v`` our customer id at the vendor, ``$w`` our account
  number, ``$n`` the patron-hold note;
- ``981`` where it goes: ``$b`` the fund, ``$l`` the library's symbol, ``$r`` the ILL request number.

The CSV has a header and one line: ISBN, title, author, publisher, year, quantity, price, currency, fund,
order number, patron-hold note. A cell a spreadsheet would read as a formula is written with a leading
apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from pymarc import Field, Leader, Record, Subfield

CSV_COLUMNS = ("ISBN", "Title", "Author", "Publisher", "Year", "Quantity", "Price", "Currency", "Fund",
               "Order number", "Note")
#: Characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class OrderLine:
    """What one order says: the item, the money and who it is for."""

    number: str
    isbn: str
    title: str
    author: str
    edition: str
    publisher: str
    place: str
    year: str
    quantity: int
    unit_price: Decimal
    currency: str
    fund: str
    note: str
    vendor_name: str
    customer_id: str
    account_number: str
    library_symbol: str
    request_number: str
    ordered_at: dt.datetime

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


def _clean(text: str) -> str:
    """MARC's separators (record, field, subfield) and other control characters never reach a record."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())


def marc_record(line: OrderLine) -> bytes:
    """The MARC 21 order record of ``line``, ISO 2709 in UTF-8 (leader position 9 ``a``)."""
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam a2200000 i 4500")
    year = line.year if len(line.year) == 4 and line.year.isdigit() else "uuuu"
    entered = line.ordered_at.strftime("%y%m%d")
    record.add_field(Field(tag="001", data=_clean(line.number)))
    record.add_field(Field(tag="005", data=line.ordered_at.strftime("%Y%m%d%H%M%S.0")))
    # 008: entered, single date, the year, place unknown (xx), books' positions 18-34 blank, language undetermined.
    record.add_field(Field(tag="008", data=f"{entered}s{year}    xx {' ' * 17}und d"))
    if line.isbn:
        record.add_field(Field(tag="020", indicators=[" ", " "], subfields=[
            Subfield("a", _clean(line.isbn)), Subfield("c", f"{line.currency} {line.unit_price}")]))
    if line.author:
        record.add_field(Field(tag="100", indicators=["1", " "], subfields=[Subfield("a", _clean(line.author))]))
    record.add_field(Field(tag="245", indicators=["1" if line.author else "0", "0"],
                           subfields=[Subfield("a", _clean(line.title) or "[No title]")]))
    if line.edition:
        record.add_field(Field(tag="250", indicators=[" ", " "], subfields=[Subfield("a", _clean(line.edition))]))
    imprint = [Subfield(code, _clean(value)) for code, value in
               (("a", line.place), ("b", line.publisher), ("c", line.year)) if _clean(value)]
    if imprint:
        record.add_field(Field(tag="264", indicators=[" ", "1"], subfields=imprint))
    order = [Subfield("a", _clean(line.number)), Subfield("b", str(line.unit_price)), Subfield("c", line.currency),
             Subfield("q", str(line.quantity)), Subfield("g", str(line.total)),
             Subfield("d", line.ordered_at.strftime("%Y%m%d")), Subfield("s", _clean(line.vendor_name))]
    order += [Subfield(code, _clean(value)) for code, value in
              (("v", line.customer_id), ("w", line.account_number), ("n", line.note)) if _clean(value)]
    record.add_field(Field(tag="980", indicators=[" ", " "], subfields=order))
    where = [Subfield(code, _clean(value)) for code, value in
             (("b", line.fund), ("l", line.library_symbol), ("r", line.request_number)) if _clean(value)]
    record.add_field(Field(tag="981", indicators=[" ", " "], subfields=where))
    return record.as_marc()


def _cell(value: object) -> str:
    text = _clean(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(line: OrderLine) -> str:
    """The header and ``line``'s row, comma-separated, quoted where needed, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow([_cell(v) for v in (line.isbn, line.title, line.author, line.publisher, line.year,
                                        line.quantity, line.unit_price, line.currency, line.fund, line.number,
                                        line.note)])
    return out.getvalue()
