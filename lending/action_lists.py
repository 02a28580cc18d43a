"""The lending desk's “needs action” lists (``requests_app.action_lists``), in the order of a day's work."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from requests_app.action_lists import NCIP_FAILED, UNREAD_MESSAGES, ActionList, Today

from .states import ON_LOAN, LendingStatus

S = LendingStatus


def _in(*states: str):
    return lambda today: Q(status__in=states)


def _renewals(_: Today) -> Q:
    return Q(renewal_requested_at__isnull=False)


def _due_back_soon(today: Today) -> Q:
    return Q(status=S.SHIPPED, due_date__gte=today.today, due_date__lte=today.days_ahead(today.policy.due_soon_days))


def _overdue(today: Today) -> Q:
    return Q(status=S.OVERDUE) | Q(status__in=ON_LOAN, due_date__lt=today.today)


LISTS = [
    ActionList("to_answer", _("New requests to answer"), _in(S.NEW), ordering="created_at", colour="info",
               description=_("A partner asks: check availability, then print the pull slip or answer.")),
    ActionList("renewals", _("Renewal requests to answer"), _renewals, ordering="renewal_requested_at",
               colour="warning",
               description=_("A borrower asks for more time: grant (with the new due date) or refuse.")),
    ActionList("to_pull", _("To pull from the shelf"), _in(S.AWAITING_PICKING), colour="primary",
               description=_("The pull slip is printed: fetch the item, or answer that it cannot be found.")),
    ActionList("to_ship", _("To ship"), _in(S.AWAITING_SHIPPING), colour="primary",
               description=_("Found: ship the item or deliver the copy.")),
    ActionList("conditions", _("Conditions offered, no answer yet"), _in(S.CONDITIONAL), colour="warning",
               description=_("We offered conditions; the borrower has not answered.")),
    ActionList("due_soon", _("Due back within {due_soon_days} days"), _due_back_soon, ordering="due_date",
               description=_("Our items out on loan that are due back soon.")),
    ActionList("overdue", _("Overdue"), _overdue, ordering="due_date", colour="danger",
               description=_("The borrower has kept our item past its due date.")),
    ActionList("recalled", _("Recalled, waiting for the item"), _in(S.RECALLED), colour="danger",
               description=_("We asked for our item back early.")),
    ActionList("to_check_in", _("Returns to check in"), _in(S.RETURN_SHIPPED), colour="primary",
               description=_("The borrower shipped our item back: check it in when it arrives.")),
    NCIP_FAILED,
    UNREAD_MESSAGES,
]
