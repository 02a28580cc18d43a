"""Code 128 barcodes for slips, labels and book bands, as inline SVG.

python-barcode: pure Python, no system library.
"""

from __future__ import annotations

import io

import barcode
from barcode.writer import SVGWriter


def code128_svg(text: str, *, module_width: float = 0.3, module_height: float = 12.0) -> str:
    """An ``<svg>`` element drawing ``text`` as Code 128 (no human-readable line: templates print it)."""
    code = barcode.get("code128", text, writer=SVGWriter())
    out = io.BytesIO()
    code.write(out, options={"module_width": module_width, "module_height": module_height, "write_text": False,
                             "quiet_zone": 3, "compress": False})
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]
