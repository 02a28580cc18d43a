"""The desks' “needs action” lists: what staff should do today, each list a saved filter of the queue.

Each side declares its lists as data (``borrowing/action_lists.py``, ``lending/action_lists.py``) and
registers them at start-up, as it registers its workflow. A list is a condition on the side's open
requests (built for today and the library's policies) and the field that orders it oldest first. The
same condition counts the list on the home page and the desk, and narrows the desk's queue when its
link (``?needs=<key>``) is followed: the list *is* the queue, filtered.

Every list of a side is counted in one query (one conditional count per list over the open requests,
which a partial index holds), so the dashboards cost the same whatever the lists or the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .models import IllRequest, Library, NcipCall, NcipCallStatus, Note
from .policies import Policy, policy_for
from .workflow import registry

#: The query parameter that names a list on a desk's queue.
PARAMETER = "needs"


@dataclass(frozen=True)
class Today:
    """What a list's condition may depend on: the date and time, and the library's policies."""

    now: dt.datetime
    today: dt.date
    policy: Policy

    def days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def days_ahead(self, days: int) -> dt.date:
        return self.today + dt.timedelta(days=days)


@dataclass(frozen=True)
class ActionList:
    """One “needs action” list of a desk."""

    key: str
    #: The list's name, which may name a policy's days: ``"No answer from the lender for {lender_silent_days} days"``.
    label: str
    #: Which of the side's open requests are in it, for today.
    condition: Callable[[Today], Q]
    #: The model field that puts the oldest (the most urgent) first.
    ordering: str = "status_changed_at"
    #: The badge colour when the list is not empty.
    colour: str = "primary"
    description: str = ""

    def label_for(self, policy: Policy) -> str:
        label = str(self.label)  # in the active language; a translation keeps the ``{names}``
        return label.format(**{name: getattr(policy, name) for name in _policy_names(label)})


def _policy_names(text: str) -> list[str]:
    from string import Formatter

    return [name for _, name, _, _ in Formatter().parse(text) if name]


class ActionListRegistry:
    def __init__(self) -> None:
        self._lists: dict[str, dict[str, ActionList]] = {}

    def register(self, role: str, lists: list[ActionList]) -> None:
        self._lists[role] = {item.key: item for item in lists}

    def of(self, role: str) -> list[ActionList]:
        return list(self._lists.get(role, {}).values())

    def get(self, role: str, key: str) -> ActionList | None:
        return self._lists.get(role, {}).get(key)


action_lists = ActionListRegistry()


def today_for(library: Library) -> Today:
    now = timezone.now()
    return Today(now=now, today=timezone.localdate(now), policy=policy_for(library))


def unread_messages(_: Today) -> Q:
    """Requests with a note from the partner or the patron that nobody has read yet."""
    from .messaging import from_outside

    unread = Note.objects.filter(from_outside(), read_at__isnull=True, request_id=OuterRef("pk"))
    return Q(Exists(unread))


#: The list both desks have: the inbox, as requests.
UNREAD_MESSAGES = ActionList("unread", _("Unread messages"), unread_messages, ordering="updated_at",
                             colour="danger",
                             description=_("A partner or the patron wrote; nobody has opened the request since."))


def ncip_calls_failed(_: Today) -> Q:
    """Requests with an NCIP call to the library's ILS that failed (refused, or never answered) and waits for staff."""
    return Q(Exists(NcipCall.objects.filter(request_id=OuterRef("pk"), status=NcipCallStatus.FAILED)))


#: Both desks have it: calls to the library's ILS to retry or skip (the request itself went on).
NCIP_FAILED = ActionList("ncip_failed", _("NCIP calls to the ILS that failed"), ncip_calls_failed,
                         ordering="updated_at", colour="danger",
                         description=_("The library's ILS refused a call or did not answer: retry or skip it on the "
                                       "request's page."))


def open_requests(*, library: Library, role: str) -> QuerySet[IllRequest]:
    return IllRequest.objects.filter(library=library, role=role).open()


def counts(*, library: Library, role: str, today: Today | None = None) -> list[dict]:
    """Every list of ``role`` with its label, count and queue link, for ``library`` (one query)."""
    lists = action_lists.of(role)
    if not lists:
        return []
    today = today or today_for(library)
    found = open_requests(library=library, role=role).aggregate(
        **{item.key: Count("pk", filter=item.condition(today)) for item in lists})
    queue = registry.get(role).desk_queue_url()
    return [{"list": item, "key": item.key, "label": item.label_for(today.policy), "count": found[item.key],
             "colour": item.colour, "url": f"{queue}?{urlencode({PARAMETER: item.key})}"}
            for item in lists]


def narrow(queryset: QuerySet[IllRequest], *, library: Library, role: str, key: str,
           today: Today | None = None) -> QuerySet[IllRequest]:
    """``queryset`` (the desk's queue) kept to the requests of list ``key``; unchanged for an unknown key."""
    item = action_lists.get(role, key)
    if item is None:
        return queryset
    return queryset.open().filter(item.condition(today or today_for(library)))
