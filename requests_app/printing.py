"""What both desks print with: PDFs from our HTML templates (WeasyPrint) and the conditions a slip repeats.

WeasyPrint renders the templates and the inline SVG barcodes (``requests_app.barcodes``) as vectors, so
the bars stay sharp at any printer resolution. Lending prints pull slips, shipping labels and cover
sheets (``lending/pdf.py``), borrowing prints book bands and return labels (``borrowing/pdf.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Q
from django.template.loader import render_to_string

from .conditions import Offer, latest_offer
from .models import Event, IllRequest
from .workflow import registry


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string(template, context)).write_pdf()


def standing_offers(requests: Sequence[IllRequest]) -> dict[int, Offer]:
    """The conditions each request goes out or comes in on, by request id: its latest offer
    (``requests_app.conditions.latest_offer``) while waiting for an answer or once accepted; a refused or
    closed offer is left out, as is a request without one. One query for any number of requests.
    """
    requests = list(requests)
    actions: set[str] = set()
    states: set[str] = set()
    for role in {r.role for r in requests}:
        transitions = registry.get(role).transitions.values()
        actions |= {t.action for t in transitions if t.iso18626 and (t.iso18626.conditions or t.iso18626.agrees)}
        states |= {t.target for t in transitions if t.iso18626 and t.iso18626.conditions and t.target}
    if not requests or not actions:
        return {}
    events: dict[int, list[Event]] = defaultdict(list)
    for event in (Event.objects.filter(request__in=[r.pk for r in requests])
                  .filter(Q(action__in=actions) | Q(from_status__in=states)).order_by("created_at", "pk")):
        events[event.request_id].append(event)
    found = {}
    for request in requests:
        offer = latest_offer(request, events.get(request.pk, []))
        if offer is not None and (offer.pending or offer.accepted):
            found[request.pk] = offer
    return found
