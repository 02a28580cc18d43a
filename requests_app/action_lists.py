"""The desks' “needs action” lists: what staff should do today, each list a saved filter of the queue.

Each side declares its lists as data (``borrowing/action_lists.py``, ``lending/action_lists.py``) and
registers them at start-up, as it registers its workflow. A list is a condition on the side's open
requests (built for today and the library's policies) and the field that orders it oldest first. The
same condition counts the list on the home page and the desk, and narrows the desk's queue when its
link (``?needs=<key>``) is followed: the list *is* the queue, filtered.

Every list of a side is counted in one query (one conditional count per list over the open requests,
which a partial index holds), so the dashboards cost the same whatever the lists or the rows. A list that
also holds finished requests (``also_closed``: an NCIP call that failed after the request closed, such as
the DeleteItem of a completed loan, still needs staff) counts those in one more query, driven by its own
small table (``closed``), never by the finished history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .models import NCIP_NEEDS_STAFF, IllRequest, Library, NcipCall, Note
from .policies import Policy, policy_for
from .states import CLOSED_STATUSES
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
    #: Finished requests may be in it too: the requests of ``closed(library, role)`` (a query that must not read
    #: the finished history, e.g. ``pk__in`` a small table's rows), besides the open requests of ``condition``.
    closed: Callable[[Library, str], QuerySet[IllRequest]] | None = None

    @property
    def also_closed(self) -> bool:
        return self.closed is not None

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

    # Few notes are unread and from outside (their partial index): looked up once, not once per open request.
    return Q(pk__in=Note.objects.filter(from_outside(), read_at__isnull=True).values("request_id"))


#: The list both desks have: the inbox, as requests.
UNREAD_MESSAGES = ActionList("unread", _("Unread messages"), unread_messages, ordering="updated_at",
                             colour="danger",
                             description=_("A partner or the patron wrote; nobody has opened the request since."))


def ncip_calls_failed(_: Today) -> Q:
    """Requests with an NCIP call to the library's ILS that failed (refused, or never answered), or that is to be
    done by hand at the ILS's desk, and waits for staff."""
    return Q(pk__in=NcipCall.objects.filter(status__in=NCIP_NEEDS_STAFF).values("request_id"))


def closed_with_failed_ncip_calls(library: Library, role: str) -> QuerySet[IllRequest]:
    """Finished requests of ``library`` with a failed NCIP call (a temporary item left in the ILS after the loan
    completed, a hold never lifted after a cancel), found from the failed calls (few, and indexed by status)."""
    failed = NcipCall.objects.filter(library=library, status__in=NCIP_NEEDS_STAFF).values("request_id")
    return IllRequest.objects.filter(pk__in=failed, library=library, role=role, status__in=CLOSED_STATUSES)


#: Both desks have it: calls to the library's ILS to retry or skip (the request itself went on).
NCIP_FAILED = ActionList("ncip_failed", _("NCIP calls to the ILS that failed"), ncip_calls_failed,
                         ordering="updated_at", colour="danger",
                         description=_("The library's ILS refused a call or did not answer: retry or skip it on the "
                                       "request's page. Finished requests are listed too: a call that failed "
                                       "after the loan ended may have left an item in the ILS."),
                         closed=closed_with_failed_ncip_calls)


def open_requests(*, library: Library, role: str) -> QuerySet[IllRequest]:
    return IllRequest.objects.filter(library=library, role=role).open()


def counts(*, library: Library, role: str, today: Today | None = None) -> list[dict]:
    """Every list of ``role`` with its label, count and queue link, for ``library`` (one query, and one more per
    list that also holds finished requests)."""
    lists = action_lists.of(role)
    if not lists:
        return []
    today = today or today_for(library)
    found = open_requests(library=library, role=role).aggregate(
        **{item.key: Count("pk", filter=item.condition(today)) for item in lists})
    for item in lists:
        if item.closed is not None:
            found[item.key] += item.closed(library, role).count()
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
    wanted = queryset.open().filter(item.condition(today or today_for(library)))
    if item.closed is not None:
        wanted = wanted | queryset.filter(pk__in=item.closed(library, role).values("pk"))
    return wanted
