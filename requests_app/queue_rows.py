"""The staff queues' rows, built in Python: one ``<tr>`` per request, one ``<td>`` per shown column.

A queue page shows 50 requests and each row has a dozen cells: through the template language (a variable
look-up, a filter, an include and a ``blocktranslate`` per cell) the rows alone took about half of a
queue page's time at a million requests. Here each desk declares, beside its columns
(``queue_columns``), how a column's cell reads (``cells``: column key → function of the request and the
page's ``RowContext``); ``render`` builds the rows with ``format_html``, which escapes every value. The
words and formats that are the same on every row (the date formats, today) are looked up once per page.

The cells follow the shown columns, so a row always has the cells its header row names, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date, datetime

from django.db.models import Model
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from .models import IllRequest
from .queue_columns import Column

#: What an empty date cell shows.
NONE = "—"
#: A request id no request has, reversed into a desk's request URL once per page and replaced by each row's.
_ID_MARK = 987654321987


class RowContext:
    """What every row of one page shares: the formats of the active language and today's date."""

    def __init__(self, *, detail_url: str) -> None:
        self.today = timezone.localdate()
        self.zone = timezone.get_current_timezone()
        self.short_date = get_format("SHORT_DATE_FORMAT")
        self.short_datetime = get_format("SHORT_DATETIME_FORMAT")
        self.detail_url = detail_url
        self._labels: dict[tuple[str, str], dict] = {}
        self._words: dict[Hashable, str] = {}
        self._states: dict[tuple[str, str], str] = {}
        self._url_pattern = ""

    def date(self, value: date | None) -> str:
        """A date in the language's short format, or a dash."""
        return dateformat.format(value, self.short_date) if value else NONE

    def datetime(self, value: datetime | None) -> str:
        """A moment in the installation's time zone, in the language's short format."""
        return dateformat.format(value.astimezone(self.zone), self.short_datetime) if value else NONE

    def url(self, ill_request: IllRequest) -> str:
        """The request's page: the URL reversed once per page, with each row's id put in."""
        if not self._url_pattern:
            self._url_pattern = reverse(self.detail_url, args=[_ID_MARK])
        return self._url_pattern.replace(str(_ID_MARK), str(ill_request.pk), 1)

    def words(self, key: Hashable, make: Callable[[], str]) -> str:
        """The words ``make`` translates (a ``gettext`` or ``ngettext`` call, written out where it is used so
        that makemessages finds it), made once per page for each ``key``."""
        text = self._words.get(key)
        if text is None:
            text = self._words[key] = make()
        return text

    def state(self, ill_request: IllRequest) -> str:
        """The request's state as its desk names it (``IllRequest.status_label``), translated once per page."""
        key = (ill_request.role, ill_request.status)
        label = self._states.get(key)
        if label is None:
            label = self._states[key] = str(ill_request.status_label)
        return label

    def age_days(self, ill_request: IllRequest) -> int:
        """``IllRequest.age_days``, against the page's today."""
        return max((self.today - ill_request.created_at.astimezone(self.zone).date()).days, 0)

    def choice(self, instance: Model, field_name: str) -> str:
        """The label of ``instance``'s choice field, as ``get_<field>_display()`` gives it, with the labels
        translated once per page (Django's own method hashes, and so translates, every choice on every call)."""
        key = (instance._meta.label, field_name)
        labels = self._labels.get(key)
        if labels is None:
            field = instance._meta.get_field(field_name)
            labels = self._labels[key] = {value: str(label) for value, label in field.flatchoices}
        value = getattr(instance, field_name)
        return labels.get(value, value)


Cell = Callable[[IllRequest, RowContext], str]


def truncated(text: str, length: int) -> str:
    """``text`` cut to ``length`` characters with an ellipsis, as the ``truncatechars`` filter does (a text no
    longer than ``length`` is never cut, so only the longer ones pay for the Truncator)."""
    if len(text) <= length:
        return text
    return Truncator(text).chars(length)


# Cells more than one desk shows ------------------------------------------------------------------------------

def number_cell(ill_request: IllRequest, row: RowContext) -> SafeString:
    return format_html('<a href="{}">{}</a>', row.url(ill_request), ill_request.number)


def status_cell(ill_request: IllRequest, row: RowContext) -> SafeString:
    """The state, and "N days overdue" as a badge while the item is overdue."""
    days = ill_request.days_overdue
    if not days:
        return row.state(ill_request)
    badge = row.words(("overdue", days), lambda: ngettext("%(days)s day overdue", "%(days)s days overdue", days)
                      % {"days": days})
    return format_html('{} <span class="badge text-bg-danger days-overdue">{}</span>', row.state(ill_request),
                       badge)


def age_cell(ill_request: IllRequest, row: RowContext) -> str:
    days = row.age_days(ill_request)
    return row.words(("age", days), lambda: ngettext("%(days)s day", "%(days)s days", days) % {"days": days})


def need_by_cell(ill_request: IllRequest, row: RowContext) -> str:
    return row.date(ill_request.need_by)


def updated_cell(ill_request: IllRequest, row: RowContext) -> str:
    return row.datetime(ill_request.updated_at)


def partner_symbol_cell(ill_request: IllRequest, row: RowContext) -> str:
    return ill_request.partner.symbol if ill_request.partner_id else NONE


def checkbox(name: str, *, with_id: bool) -> Cell:
    """The row's tick box, posted as ``name`` with the request's id; labelled with its number."""

    def cell(ill_request: IllRequest, row: RowContext) -> SafeString:
        label = row.words("select", lambda: gettext("Select %(number)s")) % {"number": ill_request.number}
        id_attribute = format_html(' id="select-{}"', ill_request.pk) if with_id else ""
        return format_html('<input class="form-check-input" type="checkbox" name="{}" value="{}"{} '
                           'data-request-label="{}" aria-label="{}">', name, ill_request.pk, id_attribute,
                           ill_request.number, label)

    return cell


def render(page: Iterable[IllRequest], *, columns: list[Column], cells: Mapping[str, Cell], row: RowContext,
           first: Cell | None = None) -> SafeString:
    """The ``<tr>`` of each request of ``page``: ``first`` (a tick box) then a cell per shown column."""
    chosen = [cells[column.key] for column in columns]
    if first is not None:
        chosen.insert(0, first)
    # Each cell's value is escaped unless it is already safe (format_html's own rule), without a format_html
    # call per cell: about 600 cells a page.
    return mark_safe("\n".join(
        "<tr>" + "".join(["<td>" + conditional_escape(cell(ill_request, row)) + "</td>" for cell in chosen])
        + "</tr>" for ill_request in page))
