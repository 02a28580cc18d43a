"""PDFs for borrowing staff: book bands put round a lender's item at receive, return labels at check-in.

Rendered like the lending desk's slips (``requests_app.printing``), with the request barcode the
scanner reads. A return label goes to the lender: it is in the lender's directory language. A book band is read by
our patron and desk while the item is here: it is in the patron's language (``recipient_language``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from requests_app.barcodes import code128_svg
from requests_app.languages import library_language, recipient_language
from requests_app.models import IllRequest
from requests_app.printing import render_pdf, standing_offers


def book_bands(requests: Sequence[IllRequest]) -> bytes:
    """One band (strap) per request: patron, pickup desk, the patron's and the lender's due dates, lender and its
    conditions (as accepted), with the request barcode; one query for any number of bands beside the requests'."""
    requests = list(requests)
    conditions = standing_offers(requests)
    bands = [{"ill_request": r, "conditions": conditions.get(r.pk), "request_barcode": code128_svg(r.number),
              "language": recipient_language(r.patron)} for r in requests]
    return render_pdf("borrowing/pdf/book_bands.html", {"bands": bands, "printed_at": timezone.now()})


def return_labels(requests: Sequence[IllRequest]) -> bytes:
    """One label per request, from us to the lender's directory address, with the request barcode, the lender's
    own request id and the return's tracking number once recorded."""
    labels = [{"ill_request": r, "shipment": getattr(r, "return_shipment", None),
               "to_lines": r.partner.postal_address.splitlines()[1:] if r.partner and r.partner.has_address else [],
               "from_lines": r.library.postal_address.splitlines(),
               "request_barcode": code128_svg(r.number), "language": library_language(r.partner)} for r in requests]
    return render_pdf("borrowing/pdf/return_labels.html", {"labels": labels})
