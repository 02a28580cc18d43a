"""The lending side's states: what each means, its badge colour, and the sets of states the rules name.

The transitions between them are in ``workflow.py``; services, views and jobs import the
states from here, so none of them needs the workflow table to name a state.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from requests_app.iso18626.messages import Status


class LendingStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("lending status", "New")
    AWAITING_PICKING = "awaiting_picking", pgettext_lazy("lending status", "Awaiting picking")
    CONDITIONAL = "conditional", pgettext_lazy("lending status", "Conditions offered")
    AWAITING_SHIPPING = "awaiting_shipping", pgettext_lazy("lending status", "Awaiting shipping")
    SHIPPED = "shipped", pgettext_lazy("lending status", "Shipped")
    COPY_DELIVERED = "copy_delivered", pgettext_lazy("lending status", "Copy delivered")
    OVERDUE = "overdue", pgettext_lazy("lending status", "Overdue")
    RECALLED = "recalled", pgettext_lazy("lending status", "Recalled")
    RETURN_SHIPPED = "return_shipped", pgettext_lazy("lending status", "Return shipped by borrower")
    COMPLETED = "completed", pgettext_lazy("lending status", "Completed")
    UNFILLED = "unfilled", pgettext_lazy("lending status", "Unfilled")
    CANCELLED = "cancelled", pgettext_lazy("lending status", "Cancelled")



S = LendingStatus

#: What each state means to staff, its badge colour, and the ISO 18626 status it reports to the
#: borrower (what a status request is answered with, and the status of any answer we send in it).
DESCRIPTIONS = {
    S.NEW: (_("A partner's request waits for review."), "info", Status.REQUEST_RECEIVED),
    S.AWAITING_PICKING: (_("The pull slip is printed; the item is being fetched from the shelf."), "primary",
                         Status.EXPECT_TO_SUPPLY),
    S.CONDITIONAL: (_("We offered conditions; the borrower has not answered yet."), "warning", Status.EXPECT_TO_SUPPLY),
    S.AWAITING_SHIPPING: (_("Found and ready to go out."), "primary", Status.WILL_SUPPLY),
    S.SHIPPED: (_("Our item is out on loan."), "success", Status.LOANED),
    S.COPY_DELIVERED: (_("The copy was sent electronically."), "success", Status.COPY_COMPLETED),
    S.OVERDUE: (_("The borrower has kept our item past its due date."), "danger", Status.OVERDUE),
    S.RECALLED: (_("We asked for our item back early."), "danger", Status.RECALLED),
    S.RETURN_SHIPPED: (_("The borrower says our item is on its way back."), "primary", Status.LOANED),
    S.COMPLETED: (_("Checked in, or the copy is done."), "secondary", Status.LOAN_COMPLETED),
    S.UNFILLED: (_("We could not supply."), "secondary", Status.UNFILLED),
    S.CANCELLED: (_("The borrower cancelled."), "secondary", Status.CANCELLED),
}

FINAL = {S.COMPLETED, S.UNFILLED, S.CANCELLED}
#: Not yet on its way: the borrower may still cancel, we may still answer unfilled.
NOT_YET_SHIPPED = [S.NEW, S.AWAITING_PICKING, S.CONDITIONAL, S.AWAITING_SHIPPING]
#: Our item is out with the borrower.
ON_LOAN = [S.SHIPPED, S.OVERDUE, S.RECALLED]
