"""PDFs for lending staff: pull slips, shipping labels and the copyright cover sheet (WeasyPrint).

WeasyPrint renders our HTML templates and the inline SVG barcodes as vectors, so the
bars stay sharp at any printer resolution.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from requests_app.models import IllRequest

from .barcodes import code128_svg
from .selectors import ship_to


def _render(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def pull_slips(requests: Sequence[IllRequest]) -> bytes:
    """One A5-ish page per request: citation, call number, location, item and request barcodes."""
    slips = []
    for ill_request in requests:
        detail = getattr(ill_request, "lending_detail", None)  # None when the availability check has not run
        holding = detail.holding if detail is not None else None
        slips.append({
            "ill_request": ill_request, "holding": holding, "ship_to": ship_to(ill_request),
            "request_barcode": code128_svg(ill_request.number),
            "item_barcode": code128_svg(holding.barcode) if holding and holding.barcode else "",
        })
    return _render("lending/pdf/pull_slips.html", {"slips": slips, "printed_at": timezone.now()})


def shipping_labels(requests: Sequence[IllRequest]) -> bytes:
    """One label per request, with the request barcode, addressed where the borrower's request asked.

    The first postal ship-to address of the partner's request; the partner's directory address when the
    request gave none (``selectors.ship_to``). The label says which.
    """
    labels = [{"ill_request": ill_request, "ship_to": ship_to(ill_request),
               "request_barcode": code128_svg(ill_request.number)} for ill_request in requests]
    return _render("lending/pdf/shipping_labels.html", {"labels": labels})


def cover_sheet(request: IllRequest) -> bytes:
    return _render("lending/pdf/cover_sheet.html", {"ill_request": request, "sent_at": timezone.now()})


def with_cover_sheet(cover: bytes, scan: bytes) -> bytes:
    """``cover`` in front of ``scan`` (pypdf), as one PDF."""
    writer = PdfWriter()
    for part in (cover, scan):
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
