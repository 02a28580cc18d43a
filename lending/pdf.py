"""PDFs for lending staff: pull slips, shipping labels and the copyright cover sheet (``requests_app.printing``).

Each travels with the item or copy to the borrowing library, so each page is in the borrower's directory language
(``requests_app.languages.library_language``), dates and numbers included, whatever the clerk's language.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils import timezone, translation
from pypdf import PdfReader, PdfWriter

from requests_app.barcodes import code128_svg
from requests_app.languages import library_language
from requests_app.models import IllRequest, ServiceType
from requests_app.printing import render_pdf as _render
from requests_app.printing import standing_offers

from .selectors import loan_periods, ship_to


def pull_slips(requests: Sequence[IllRequest]) -> bytes:
    """One A5-ish page per request: citation, call number, location, item and request barcodes, the need-by
    date, the conditions we offered (unless refused) and our loan period (for a loan), in two queries for any
    number of slips. The slip goes in the item to the borrower: each is in its borrower's language."""
    requests = list(requests)
    conditions = standing_offers(requests)
    periods = loan_periods(requests)
    slips = []
    for ill_request in requests:
        detail = getattr(ill_request, "lending_detail", None)  # None when the availability check has not run
        holding = detail.holding if detail is not None else None
        slips.append({
            "ill_request": ill_request, "holding": holding, "ship_to": ship_to(ill_request),
            "request_barcode": code128_svg(ill_request.number),
            "item_barcode": code128_svg(holding.barcode) if holding and holding.barcode else "",
            "conditions": conditions.get(ill_request.pk),
            "loan_period_days": None if ill_request.service_type == ServiceType.COPY else periods[ill_request.pk],
            "language": library_language(ill_request.partner),
        })
    return _render("lending/pdf/pull_slips.html", {"slips": slips, "printed_at": timezone.now()})


def shipping_labels(requests: Sequence[IllRequest]) -> bytes:
    """One label per request, with the request barcode, addressed where the borrower's request asked.

    The first postal ship-to address of the partner's request; the partner's directory address when the
    request gave none (``selectors.ship_to``). The label says which, in the borrower's language.
    """
    labels = [{"ill_request": ill_request, "ship_to": ship_to(ill_request),
               "request_barcode": code128_svg(ill_request.number), "language": library_language(ill_request.partner)}
              for ill_request in requests]
    return _render("lending/pdf/shipping_labels.html", {"labels": labels})


def cover_sheet(request: IllRequest) -> bytes:
    """The copyright cover sheet in front of a copy we deliver: it travels with the copy to the borrower and its
    patron, so it is in the borrower's directory language (else the site's default), not in the clerk's."""
    with translation.override(library_language(request.partner)):
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
