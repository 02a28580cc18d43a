"""The admin's list filters on the core's tables: member libraries, statuses, actions, message kinds.

Each offers a fixed set of choices (``values_filter``), never the column's distinct values, and
``LargeTableAdmin`` is the fast list of :mod:`requests_app.utilities.admin_lists` scoped to the staff
member's library.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_scope import MemberLibraryScopedAdmin
from .iso18626.messages import MessageKind
from .models import Library
from .utilities import admin_lists
from .utilities.admin_lists import values_filter
from .workflow import registry


class LargeTableAdmin(admin_lists.LargeTableAdmin, MemberLibraryScopedAdmin):
    """The fast admin list of a table that grows with the requests, scoped to the staff member's library."""


def request_statuses() -> list[tuple[str, str]]:
    """The statuses of both sides' workflows (the workflows register when the apps are ready)."""
    labels: dict[str, str] = {}
    for workflow in registry:
        for state in workflow.states.values():
            labels.setdefault(state.value, f"{state.label} ({state.value})")
    return sorted(labels.items())


def event_actions() -> list[tuple[str, str]]:
    """What an event can record: a request's creation and every workflow action of either side."""
    labels = {"create": f"{gettext('Created')} (create)"}
    for workflow in registry:
        for transition in workflow.transitions.values():
            labels.setdefault(transition.action, f"{transition.label} ({transition.action})")
    return sorted(labels.items())


def message_kinds() -> list[tuple[str, str]]:
    return [(kind.value, kind.value) for kind in MessageKind]


def library_currencies() -> list[tuple[str, str]]:
    """The currencies of the directory's libraries (charges are in the partner's currency)."""
    currencies = Library.objects.exclude(currency="").order_by().values_list("currency", flat=True).distinct()
    return [(code, code) for code in sorted(currencies)]


def member_libraries() -> list[tuple[str, str]]:
    """Our member libraries (a request's ``library`` is always one), not the whole directory."""
    return [(str(pk), f"{symbol} – {name}") for pk, symbol, name in
            Library.objects.filter(is_member=True).order_by("symbol").values_list("pk", "symbol", "name")]


MemberLibraryFilter = values_filter("library", _("member library"), member_libraries)
RequestStatusFilter = values_filter("status", _("status"), request_statuses)
EventActionFilter = values_filter("action", _("action"), event_actions)
MessageKindFilter = values_filter("kind", _("kind"), message_kinds)
