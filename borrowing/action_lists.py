"""The borrowing desk's “needs action” lists (``requests_app.action_lists``), in the order of a day's work."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from requests_app.action_lists import NCIP_FAILED, UNREAD_MESSAGES, ActionList, Today
from requests_app.models import PatronProfile

from .states import ITEM_HERE, BorrowingStatus

S = BorrowingStatus

#: The item is ours to send back: with us, the patron, or returned and not yet shipped.
_ITEM_TO_RETURN = [*ITEM_HERE, S.RETURNED]


def _in(*states: str):
    return lambda today: Q(status__in=states)


def _silent_lender(today: Today) -> Q:
    return Q(status=S.SENT, status_changed_at__lte=today.days_ago(today.policy.lender_silent_days))


def _due_back_soon(today: Today) -> Q:
    return Q(status__in=_ITEM_TO_RETURN, due_date__gte=today.today,
             due_date__lte=today.days_ahead(today.policy.due_soon_days))


def _overdue(today: Today) -> Q:
    return Q(status=S.OVERDUE) | Q(status__in=_ITEM_TO_RETURN, due_date__lt=today.today)


def _patron_stopped(today: Today) -> Q:
    """The patron's library account is blocked or has expired (the desk, a sign-in or a patron load said so).
    Asked of the profile by the patron's id (its unique index), without joining the user to every open request."""
    stopped = PatronProfile.objects.filter(Q(blocked=True) | Q(expires_on__lt=today.today),
                                           user_id=OuterRef("patron_id"))
    return Q(Exists(stopped))


LISTS = [
    ActionList("to_review", _("New requests to check"), _in(S.SUBMITTED), ordering="created_at", colour="info",
               description=_("Submitted by patrons: check the citation and verify, or cancel.")),
    ActionList("to_route", _("Verified, to send to a lender"), _in(S.SOURCING), colour="info",
               description=_("Build or check the rota and send to the first lender.")),
    ActionList("lender_silent", _("No answer from the lender for {lender_silent_days} days"), _silent_lender,
               colour="warning", description=_("Sent, with no answer yet: ask the lender or send to the next one.")),
    ActionList("conditions", _("Conditions to answer"), _in(S.CONDITIONAL), colour="warning",
               description=_("A lender offers to supply on conditions: accept or refuse them.")),
    ActionList("copyright", _("Copies awaiting copyright clearance"), _in(S.AWAITING_COPYRIGHT), colour="warning",
               description=_("Over the rule of five: clear copyright (permission or royalty) or record an exception.")),
    ActionList("received", _("Received, to hand to the patron"), _in(S.RECEIVED, S.READY_FOR_PICKUP),
               description=_("Arrived: tell the patron, then check it out at pickup.")),
    ActionList("to_return", _("Returned by the patron, to ship back"), _in(S.RETURNED),
               description=_("Send the item back to its lender.")),
    ActionList("due_soon", _("Due back to the lender within {due_soon_days} days"), _due_back_soon, ordering="due_date",
               description=_("Ask for a renewal or get the item back from the patron in time.")),
    ActionList("overdue", _("Overdue"), _overdue, ordering="due_date", colour="danger",
               description=_("Past the patron's or the lender's due date.")),
    ActionList("recalled", _("Recalled by the lender"), _in(S.RECALLED), colour="danger",
               description=_("The lender wants the item back early: get it from the patron.")),
    ActionList("purchases_ordered", _("Purchases ordered, awaiting arrival"), _in(S.PURCHASE_ORDERED),
               ordering="status_changed_at",
               description=_("Bought instead of borrowed: receive the copy when the vendor's parcel arrives, or "
                             "cancel the purchase.")),
    ActionList("purchases_received", _("Purchases received, to catalogue and hand to the patron"),
               _in(S.PURCHASE_RECEIVED, S.PURCHASE_CATALOGUED), colour="success",
               description=_("Catalogue the new copy and put it on hold, then hand it to the patron.")),
    ActionList("end_of_rota", _("End of rota"), _in(S.END_OF_ROTA), colour="danger",
               description=_("No lender could supply: add lenders, buy, or cancel.")),
    ActionList("patron_stopped", _("Patrons expired or blocked with open requests"), _patron_stopped, colour="danger",
               description=_("The patron's library account has expired or is blocked (by the desk, a sign-in or "
                             "the library's patron load): decide whether to go on with the request, or cancel it.")),
    NCIP_FAILED,
    UNREAD_MESSAGES,
]
