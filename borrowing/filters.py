"""The staff borrowing queue's filters: one FilterSet for the HTML list (and the API, if it wants it)."""

from __future__ import annotations

import re

import django_filters
from django.db.models import QuerySet
from django.forms.utils import pretty_name
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app import search
from requests_app.models import IllRequest, RequestFormat, Role
from requests_app.queue_columns import Column, QueueColumns
from requests_app.saved_views import SavedQueue
from requests_app.widgets import CSVSelect, Select

from .workflow import WORKFLOW

_NUMBER = re.compile(r"^[Bb](\d{1,12})$")

#: The queue's ``sort`` values and the fields they order by (a ``-`` before the value: descending).
SORTS = {"updated": "updated_at", "created": "created_at", "title": "title", "need_by": "need_by",
         "due": "patron_due_date", "lender_due": "due_date", "lender": "partner__symbol"}

#: The queue's columns; the optional ones may be hidden (``cols``), the sortable ones sort by their header.
COLUMNS = QueueColumns(columns=(
    Column("number", _("Request")), Column("title", _("Title"), sort="title"),
    Column("format", _("Format"), optional=True), Column("patron", _("Patron")),
    Column("lender", _("Lender"), sort="lender"), Column("status", _("Status")),
    Column("age", _("Age"), sort="-created", optional=True),
    Column("need_by", _("Needed by"), sort="need_by", optional=True),
    Column("due", _("Patron due"), sort="due", optional=True),
    Column("lender_due", _("Lender due"), sort="lender_due", optional=True),
    Column("updated", _("Updated"), sort="updated"),
), sorts=SORTS)


def _descending(label) -> str:
    return gettext("%(column)s, descending") % {"column": label}


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter words each descending choice once, when the filter is declared (``"Title (descending)"``, in
    English whatever the reader's language); here it is worded when the select is shown, in the reader's."""

    def build_choices(self, fields, labels):
        labels = dict(labels)
        for field, param in fields.items():
            labels.setdefault(f"-{param}", lazy(_descending, str)(labels.get(field, pretty_name(param))))
        return super().build_choices(fields, labels)


class BorrowingQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search",
        help_text=_("Title, journal, patron name or card, ISBN/ISSN/DOI/OCLC/PMID, lender symbol or request number."),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=[(s.value, s.label) for s in WORKFLOW.states.values()], empty_label=_("All states"),
        widget=Select)
    format = django_filters.ChoiceFilter(label=_("Format"), choices=RequestFormat.choices, empty_label=_("All formats"),
                                         widget=Select)
    lender = django_filters.CharFilter(label=_("Lender symbol"), field_name="partner__symbol", lookup_expr="iexact")
    sort = OrderingFilter(
        label=_("Sort by"), empty_label=_("Latest activity"), widget=CSVSelect,
        fields=tuple((field, name) for name, field in SORTS.items()),
        field_labels={"updated_at": _("Last activity"), "created_at": _("Submitted"), "title": _("Title"),
                      "need_by": _("Needed by"), "patron_due_date": _("Patron due date"),
                      "due_date": _("Lender due date"), "partner__symbol": _("Lender")},
    )

    class Meta:
        model = IllRequest
        fields = ["q", "status", "format", "lender"]

    def keyset_ordering(self, default: str = "-updated_at") -> str:
        """The chosen sort as a model field ordering (``-title``), for keyset pagination."""
        chosen = (self.form.cleaned_data.get("sort") or [""])[0]
        field = self.filters["sort"].param_map.get(chosen.lstrip("-"))
        return f"{'-' if chosen.startswith('-') else ''}{field}" if field else default

    def search(self, queryset: QuerySet[IllRequest], name: str, value: str) -> QuerySet[IllRequest]:
        value = value.strip()
        if not value:
            return queryset
        number = _NUMBER.match(value)
        if number:
            return queryset.filter(pk=int(number.group(1)))
        return search.requests_matching(queryset, value, patrons=True, partners=True)


def _filter_form(data: dict[str, str]):
    return BorrowingQueueFilter(data, queryset=IllRequest.objects.none()).form


#: The queue as staff's saved views keep it (registered in ``apps.py``).
SAVED_QUEUE = SavedQueue(role=Role.BORROWING, columns=COLUMNS, filters=("q", "status", "format", "lender"),
                         filter_form=_filter_form)
