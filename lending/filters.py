"""The lending queue's filters, sorts and columns, as the queue page reads them and saved views keep them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import Role
from requests_app.queue_columns import Column, QueueColumns
from requests_app.saved_views import SavedQueue

from .models import MatchKind
from .workflow import WORKFLOW

#: The queue's ``sort`` values and the fields they order by (a ``-`` before the value: descending).
SORTS = {"updated": "updated_at", "created": "created_at", "title": "title", "need_by": "need_by",
         "due": "due_date", "borrower": "partner__symbol"}

#: The queue's columns; the optional ones may be hidden (``cols``), the sortable ones sort by their header.
COLUMNS = QueueColumns(columns=(
    Column("number", _("Request")), Column("title", _("Title"), sort="title"),
    Column("borrower", _("Borrower"), sort="borrower"), Column("availability", _("Availability")),
    Column("call_number", _("Call number"), optional=True), Column("status", _("Status")),
    Column("age", _("Age"), sort="-created", optional=True),
    Column("need_by", _("Needed by"), sort="need_by", optional=True),
    Column("due", _("Due"), sort="due", optional=True),
    Column("updated", _("Updated"), sort="updated"),
), sorts=SORTS)

MATCH_CHOICES = [("held", _("Held (any match)")), *MatchKind.choices]


class LendingQueueFilterForm(forms.Form):
    """The queue's filter parameters, checked (the page itself reads them leniently)."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    partner = forms.CharField(label=_("Borrower"), max_length=32, required=False)
    match = forms.ChoiceField(label=_("Availability"), choices=[("", _("Any availability")), *MATCH_CHOICES],
                              required=False)
    renewals = forms.ChoiceField(label=_("Renewals"), choices=[("", _("Any")), ("1", _("Renewal asked"))],
                                 required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All states")), *((s.value, s.label) for s in WORKFLOW.states.values())])


#: The queue as staff's saved views keep it (registered in ``apps.py``).
SAVED_QUEUE = SavedQueue(role=Role.LENDING, columns=COLUMNS, filters=("q", "partner", "match", "renewals", "status"),
                         filter_form=LendingQueueFilterForm, transient=frozenset({"printed"}))
