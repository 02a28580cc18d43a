"""The lending side's states: what each means, its badge colour, and the sets of states the rules name.

The transitions between them are in ``workflow.py``; services, views and jobs import the
states from here, so none of them needs the workflow table to name a state.
"""

from __future__ import annotations

from django.db import models

from requests_app.iso18626.messages import Status


class LendingStatus(models.TextChoices):
    NEW = "new", "New"
    AWAITING_PICKING = "awaiting_picking", "Awaiting picking"
    CONDITIONAL = "conditional", "Conditions offered"
    AWAITING_SHIPPING = "awaiting_shipping", "Awaiting shipping"
    SHIPPED = "shipped", "Shipped"
    COPY_DELIVERED = "copy_delivered", "Copy delivered"
    OVERDUE = "overdue", "Overdue"
    RECALLED = "recalled", "Recalled"
    RETURN_SHIPPED = "return_shipped", "Return shipped by borrower"
    COMPLETED = "completed", "Completed"
    UNFILLED = "unfilled", "Unfilled"
    CANCELLED = "cancelled", "Cancelled"



S = LendingStatus

#: What each state means to staff, its badge colour, and the ISO 18626 status it reports to the
#: borrower (what a status request is answered with, and the status of any answer we send in it).
DESCRIPTIONS = {
    S.NEW: ("A partner's request waits for review.", "info", Status.REQUEST_RECEIVED),
    S.AWAITING_PICKING: ("The pull slip is printed; the item is being fetched from the shelf.", "primary",
                         Status.EXPECT_TO_SUPPLY),
    S.CONDITIONAL: ("We offered conditions; the borrower has not answered yet.", "warning", Status.EXPECT_TO_SUPPLY),
    S.AWAITING_SHIPPING: ("Found and ready to go out.", "primary", Status.WILL_SUPPLY),
    S.SHIPPED: ("Our item is out on loan.", "success", Status.LOANED),
    S.COPY_DELIVERED: ("The copy was sent electronically.", "success", Status.COPY_COMPLETED),
    S.OVERDUE: ("The borrower has kept our item past its due date.", "danger", Status.OVERDUE),
    S.RECALLED: ("We asked for our item back early.", "danger", Status.RECALLED),
    S.RETURN_SHIPPED: ("The borrower says our item is on its way back.", "primary", Status.LOANED),
    S.COMPLETED: ("Checked in, or the copy is done.", "secondary", Status.LOAN_COMPLETED),
    S.UNFILLED: ("We could not supply.", "secondary", Status.UNFILLED),
    S.CANCELLED: ("The borrower cancelled.", "secondary", Status.CANCELLED),
}

FINAL = {S.COMPLETED, S.UNFILLED, S.CANCELLED}
#: Not yet on its way: the borrower may still cancel, we may still answer unfilled.
NOT_YET_SHIPPED = [S.NEW, S.AWAITING_PICKING, S.CONDITIONAL, S.AWAITING_SHIPPING]
#: Our item is out with the borrower.
ON_LOAN = [S.SHIPPED, S.OVERDUE, S.RECALLED]
