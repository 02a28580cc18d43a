"""The lending desk's queue rows (``requests_app.queue_rows``): a cell for each of its columns
(``filters.COLUMNS``), from the rows ``selectors.lending_queue`` selects (the partner, the availability
result and its holding joined)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from requests_app import queue_rows
from requests_app.models import IllRequest
from requests_app.queue_columns import Column
from requests_app.queue_rows import RowContext, truncated

DETAIL_URL = "lending:request"


def _detail(ill_request: IllRequest):
    """The availability check's result, or ``None`` when the request has not been checked."""
    try:
        return ill_request.lending_detail
    except ObjectDoesNotExist:
        return None


def _title(ill_request: IllRequest, row: RowContext) -> SafeString:
    if not ill_request.author:
        return format_html("{}", truncated(ill_request.title, 70))
    return format_html('{} <span class="text-body-secondary">· {}</span>', truncated(ill_request.title, 70),
                       truncated(ill_request.author, 30))


def _availability(ill_request: IllRequest, row: RowContext) -> SafeString:
    """Held (and how the holding matched), not held or not checked; its warnings; a renewal waiting."""
    detail = _detail(ill_request)
    if detail is not None and detail.holding_id:
        parts = [row.words(("held", detail.match_kind), lambda: format_html(
            '<span class="badge text-bg-success">{}</span>',
            gettext("Held (%(match)s)") % {"match": row.choice(detail, "match_kind")}))]
    elif detail is not None:
        parts = [row.words("not held", lambda: format_html('<span class="badge text-bg-secondary">{}</span>',
                                                           gettext("Not held")))]
    else:
        parts = [row.words("not checked", lambda: format_html('<span class="text-body-secondary">{}</span>',
                                                              gettext("Not checked")))]
    if detail is not None and detail.warnings:
        count = len(detail.warnings)
        parts.append(format_html(' <span class="badge text-bg-warning" title="{}">{}</span>',
                                 " ".join(str(w) for w in detail.warnings),
                                 ngettext("%(warnings)s warning", "%(warnings)s warnings", count)
                                 % {"warnings": count}))
    if ill_request.renewal_requested_at:
        parts.append(row.words("renewal asked", lambda: format_html(' <span class="badge text-bg-info">{}</span>',
                                                                    gettext("Renewal asked"))))
    return mark_safe("".join(parts))


def _call_number(ill_request: IllRequest, row: RowContext) -> str:
    detail = _detail(ill_request)
    holding = detail.holding if detail is not None and detail.holding_id else None
    return (holding.call_number or "") if holding is not None else ""


CELLS = {
    "number": queue_rows.number_cell,
    "title": _title,
    "borrower": queue_rows.partner_symbol_cell,
    "availability": _availability,
    "call_number": _call_number,
    "status": queue_rows.status_cell,
    "age": queue_rows.age_cell,
    "need_by": queue_rows.need_by_cell,
    "due": lambda r, row: row.date(r.due_date),
    "updated": queue_rows.updated_cell,
}

_TICK = queue_rows.checkbox("ids", with_id=False)


def render(page, *, columns: list[Column]) -> SafeString:
    """The rows of one page of the lending queue, with the tick box the print buttons post."""
    return queue_rows.render(page, columns=columns, cells=CELLS, row=RowContext(detail_url=DETAIL_URL),
                             first=_TICK)
