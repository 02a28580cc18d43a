"""What both desks print with: PDFs from our HTML templates (WeasyPrint) and the conditions a slip repeats.

WeasyPrint renders the templates and the inline SVG barcodes (``requests_app.barcodes``) as vectors, so
the bars stay sharp at any printer resolution. Lending prints pull slips, shipping labels and cover
sheets (``lending/pdf.py``), borrowing prints book bands and return labels (``borrowing/pdf.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string

from .models import Event, IllRequest


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string(template, context)).write_pdf()


@dataclass(frozen=True)
class Conditions:
    """The loan conditions of one request as the history has them: ISO 18626 codes and the note explaining them."""

    codes: tuple[str, ...] = ()
    note: str = ""
    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.codes or self.note)

    @property
    def text(self) -> str:
        """The conditions in one line: the note (which names the codes), else the codes in words."""
        return self.note or ", ".join(self.words or self.codes)


def conditions_of(requests: Sequence[IllRequest], *, actions: Iterable[str],
                  labels: dict[str, str] | None = None) -> dict[int, Conditions]:
    """Each request's latest event among ``actions`` that set conditions, by request id, in one query.

    ``actions`` are the side's transitions that carry conditions (lending: ``offer_conditions``;
    borrowing: ``lender_conditional``, ``lender_shipped``); an event's ``data["loan_conditions"]``
    holds the codes, its note the words. ``labels`` turns codes into words. A request without such
    an event is left out.
    """
    found: dict[int, Conditions] = {}
    events = (Event.objects.filter(request__in=[r.pk for r in requests], action__in=list(actions))
              .order_by("request_id", "-created_at", "-pk").only("request_id", "note", "data"))
    for event in events:
        if event.request_id in found:
            continue
        codes = tuple(str(c) for c in (event.data or {}).get("loan_conditions") or ())
        conditions = Conditions(codes=codes, note=event.note.strip(),
                                words=tuple((labels or {}).get(c, c) for c in codes))
        if conditions:
            found[event.request_id] = conditions
    return found
