"""The borrowing desk's queue rows (``requests_app.queue_rows``): a cell for each of its columns
(``filters.COLUMNS``), from the rows ``selectors.staff_queue`` selects."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import SafeString

from requests_app import queue_rows
from requests_app.models import IllRequest
from requests_app.queue_columns import Column
from requests_app.queue_rows import NONE, RowContext, truncated

DETAIL_URL = "borrowing_staff:request"


def _title(ill_request: IllRequest, row: RowContext) -> SafeString:
    if not ill_request.container_title:
        return format_html("{}", truncated(ill_request.title, 80))
    return format_html('{}<div class="small text-body-secondary">{}</div>', truncated(ill_request.title, 80),
                       truncated(ill_request.container_title, 60))


def _patron(ill_request: IllRequest, row: RowContext) -> SafeString | str:
    patron = ill_request.patron
    if patron is None:
        return NONE
    name = patron.get_full_name() or patron.username
    try:
        barcode = patron.patron_profile.card_barcode
    except ObjectDoesNotExist:
        return format_html("{}", name)
    return format_html('{} <span class="small text-body-secondary">{}</span>', name, barcode)


CELLS = {
    "number": queue_rows.number_cell,
    "title": _title,
    "format": lambda r, row: row.choice(r, "format"),
    "patron": _patron,
    "lender": queue_rows.partner_symbol_cell,
    "status": queue_rows.status_cell,
    "age": queue_rows.age_cell,
    "need_by": queue_rows.need_by_cell,
    "due": lambda r, row: row.date(r.patron_due_date),
    "lender_due": lambda r, row: row.date(r.due_date),
    "updated": queue_rows.updated_cell,
}

_TICK = queue_rows.checkbox("requests", with_id=True)


def render(page, *, columns: list[Column]) -> SafeString:
    """The rows of one page of the borrowing queue, with the tick box the bulk actions post."""
    return queue_rows.render(page, columns=columns, cells=CELLS, row=RowContext(detail_url=DETAIL_URL),
                             first=_TICK)
