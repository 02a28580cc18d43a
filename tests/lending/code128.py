"""Read Code 128 barcodes back out of a PDF page, with no system library (no zbar, no poppler).

WeasyPrint draws our SVG barcodes as filled black rectangles. We walk the page's content
stream with pypdf (tracking the transformation matrix), collect the black bars, turn
bar and gap widths into modules and decode them with python-barcode's own symbol table,
checking the Code 128 checksum. A wrong bar, a missing bar or a different text fails.
"""

from __future__ import annotations

from barcode.charsets import code128 as charset
from pypdf import PdfReader
from pypdf.generic import ContentStream

_PATTERNS = {pattern: value for value, pattern in enumerate(charset.CODES)}
_CHARSET_A = {v: c for c, v in charset.A.items()}
_CHARSET_B = {v: c for c, v in charset.B.items()}


def _multiply(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def black_bars(reader: PdfReader, page_number: int) -> list[tuple[float, float, float]]:
    """Every black filled rectangle on the page as ``(x, width, y)`` in page units."""
    page = reader.pages[page_number]
    content = ContentStream(page.get_contents(), reader)
    ctm = (1, 0, 0, 1, 0, 0)
    stack, fill, path, bars = [], (0, 0, 0), [], []
    for operands, operator in content.operations:
        op = operator.decode() if isinstance(operator, bytes) else operator
        if op == "q":
            stack.append((ctm, fill))
        elif op == "Q":
            ctm, fill = stack.pop()
        elif op == "cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)
        elif op == "rg":
            fill = tuple(float(v) for v in operands)
        elif op == "re":
            path.append(tuple(float(v) for v in operands))
        elif op in ("f", "f*", "F"):
            if fill == (0, 0, 0):
                for x, y, w, _h in path:
                    a, _b, _c, _d, e, f = ctm
                    bars.append((a * x + e, abs(a * w), round(_d * y + f, 1)))
            path = []
        elif op in ("n", "S", "B"):
            path = []
    return bars


def decode_rows(bars: list[tuple[float, float, float]]) -> list[str]:
    """Decode each row of bars (bars sharing a ``y``) as Code 128, top to bottom in drawing order."""
    rows: dict[float, list[tuple[float, float]]] = {}
    for x, width, y in bars:
        rows.setdefault(y, []).append((x, width))
    return [decode(sorted(row)) for row in rows.values() if len(row) > 10]


def decode(bars: list[tuple[float, float]]) -> str:
    module = min(width for _x, width in bars)
    modules = ""
    for i, (x, width) in enumerate(bars):
        modules += "1" * round(width / module)
        if i + 1 < len(bars):
            modules += "0" * round((bars[i + 1][0] - x - width) / module)
    values = []
    position = 0
    while position < len(modules):
        chunk = modules[position:position + 11]
        if chunk == charset.STOP:
            break
        if chunk not in _PATTERNS:
            raise ValueError(f"not a Code 128 symbol at module {position}: {chunk}")
        values.append(_PATTERNS[chunk])
        position += 11
    else:
        raise ValueError("no stop symbol")
    *data, check = values
    if sum([data[0]] + [i * v for i, v in enumerate(data[1:], start=1)]) % 103 != check:
        raise ValueError("checksum mismatch")
    mode = {103: "A", 104: "B", 105: "C"}[data[0]]
    text = ""
    for value in data[1:]:
        if value in (99, 100, 101) and not (mode == "A" and value == 101) and not (mode == "B" and value == 100):
            mode = {99: "C", 100: "B", 101: "A"}[value]
        elif mode == "C":
            text += f"{value:02d}"
        else:
            text += (_CHARSET_A if mode == "A" else _CHARSET_B)[value]
    return text
