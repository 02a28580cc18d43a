"""The borrowing side's states: what each means, its badge colour, and the sets of states the rules name.

The transitions between them are in ``workflow.py``; services, views and jobs import the
states from here, so none of them needs the workflow table to name a state.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BorrowingStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_COPYRIGHT = "awaiting_copyright", _("Awaiting copyright clearance")
    SOURCING = "sourcing", _("Sourcing")
    SENT = "sent", _("Sent to lender")
    EXPECTS_TO_SUPPLY = "expects_to_supply", _("Lender expects to supply")
    CONDITIONAL = "conditional", _("Conditions to answer")
    SHIPPED = "shipped", _("Shipped by lender")
    RECEIVED = "received", _("Received")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    CHECKED_OUT = "checked_out", _("Checked out to patron")
    OVERDUE = "overdue", _("Overdue")
    RECALLED = "recalled", _("Recalled by lender")
    RETURNED = "returned", _("Returned by patron")
    RETURN_SHIPPED = "return_shipped", _("Shipped back to lender")
    DELIVERED = "delivered", _("Delivered electronically")
    COMPLETED = "completed", _("Completed")
    END_OF_ROTA = "end_of_rota", _("End of rota")
    CANCEL_PENDING = "cancel_pending", _("Cancellation asked of lender")
    CANCELLED = "cancelled", _("Cancelled")
    PURCHASE_ORDERED = "purchase_ordered", _("Purchase ordered")
    PURCHASE_RECEIVED = "purchase_received", _("Purchase received")
    PURCHASE_CATALOGUED = "purchase_catalogued", _("Purchase catalogued")

    SUPPLIER_ORDERED = "supplier_ordered", _("Ordered from a supplier")


S = BorrowingStatus

#: What each state means to staff, and its badge colour.
DESCRIPTIONS = {
    S.SUBMITTED: (_("The patron's request waits for staff to check the citation."), "info"),
    S.AWAITING_COPYRIGHT: (_("A copy over the rule of five waits for clearance or an exception."), "warning"),
    S.SOURCING: (_("Verified; the rota of lenders is being built or the next lender chosen."), "info"),
    S.SENT: (_("Sent to the current lender, waiting for its answer."), "primary"),
    S.EXPECTS_TO_SUPPLY: (_("The lender said it will supply."), "primary"),
    S.CONDITIONAL: (_("The lender offers to supply on conditions we must accept or refuse."), "warning"),
    S.SHIPPED: (_("The lender shipped the item; it has not arrived yet."), "primary"),
    S.RECEIVED: (_("The item arrived; the patron has not been told yet."), "primary"),
    S.READY_FOR_PICKUP: (_("The patron was told the item waits at the pickup desk."), "success"),
    S.CHECKED_OUT: (_("The patron has the item."), "success"),
    S.OVERDUE: (_("The loan is past its due date."), "danger"),
    S.RECALLED: (_("The lender wants the item back early."), "danger"),
    S.RETURNED: (_("The patron returned the item; it waits to be shipped back."), "primary"),
    S.RETURN_SHIPPED: (_("Shipped back to the lender, waiting for it to check it in."), "primary"),
    S.DELIVERED: (_("The copy is available to the patron for download."), "success"),
    S.COMPLETED: (_("Done."), "secondary"),
    S.END_OF_ROTA: (_("No lender in the rota could supply; staff decide what next."), "danger"),
    S.CANCEL_PENDING: (_("We asked the lender to cancel and wait for its answer."), "warning"),
    S.CANCELLED: (_("Cancelled."), "secondary"),
    S.PURCHASE_ORDERED: (_("Bought instead of borrowed: ordered from the vendor, awaiting arrival."), "primary"),
    S.PURCHASE_RECEIVED: (_("The purchased copy arrived: catalogue it or hand it to the patron."), "primary"),
    S.PURCHASE_CATALOGUED: (_("The purchased copy is catalogued and on hold for the patron."), "success"),
    S.SUPPLIER_ORDERED: (_("Ordered from a commercial document supplier; waiting for its copy."), "primary"),
}

#: What each state means, told to the patron (the workflow's own descriptions are written for staff).
PATRON_DESCRIPTIONS = {
    S.SUBMITTED: _("We have your request; the ILL office will check it soon."),
    S.AWAITING_COPYRIGHT: _("The ILL office is clearing copyright for this copy before asking a library for it."),
    S.SOURCING: _("The ILL office is choosing a library to ask for it."),
    S.SENT: _("We asked a library for it and wait for its answer."),
    S.EXPECTS_TO_SUPPLY: _("A library said it will send it."),
    S.CONDITIONAL: _("A library offers it on conditions, shown beside your choices: accept or refuse them."),
    S.SHIPPED: _("The lending library has sent it; it is on its way to us."),
    S.RECEIVED: _("It has arrived at the library; we will tell you when it is ready for you."),
    S.READY_FOR_PICKUP: _("It is waiting for you at the pickup desk."),
    S.CHECKED_OUT: _("You have it. Please return it by its due date."),
    S.OVERDUE: _("It is past its due date: please return it as soon as you can."),
    S.RECALLED: _("The lending library wants it back early: please return it by the new due date."),
    S.RETURNED: _("You returned it; we are sending it back to the lending library."),
    S.RETURN_SHIPPED: _("It is on its way back to the lending library."),
    S.DELIVERED: _("Your copy has been delivered."),
    S.COMPLETED: _("This request is finished."),
    S.END_OF_ROTA: _("No library could supply it so far; the ILL office will decide what to try next."),
    S.CANCEL_PENDING: _("We asked the lending library to cancel and wait for its answer."),
    S.CANCELLED: _("This request was cancelled."),
    S.PURCHASE_ORDERED: _("The library is buying this for you instead of borrowing it: it has been ordered from "
                          "the bookseller and we will tell you when it arrives."),
    S.PURCHASE_RECEIVED: _("The copy the library bought for you has arrived; it is being prepared for you."),
    S.PURCHASE_CATALOGUED: _("The copy the library bought for you is ready: it is on hold for you at the library."),
    S.SUPPLIER_ORDERED: _("We ordered a copy from a document supplier and wait for it."),
}

FINAL = {S.COMPLETED, S.CANCELLED}

#: States in which the lender holds our request (a cancel must be asked of it).
WITH_LENDER = {S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL}
#: States in which the item is physically with us or the patron.
ITEM_HERE = {S.RECEIVED, S.READY_FOR_PICKUP, S.CHECKED_OUT, S.OVERDUE, S.RECALLED}
#: States in which the item is on its way back to the lender (its return label is printed).
RETURNING_STATES = frozenset({S.RETURNED, S.RETURN_SHIPPED})
#: A request may be bought instead of borrowed while no lender holds it.
PURCHASE_SOURCES = frozenset({S.SUBMITTED, S.SOURCING, S.END_OF_ROTA})
#: The purchase path: ordered from a vendor until the patron has the library's new copy.
PURCHASE_STATES = frozenset({S.PURCHASE_ORDERED, S.PURCHASE_RECEIVED, S.PURCHASE_CATALOGUED})
#: The citation may be corrected while no lender holds the request.
EDITABLE_STATES = frozenset({S.SUBMITTED, S.SOURCING, S.AWAITING_COPYRIGHT})
#: The rota may be edited until an item is on its way.
ROTA_EDITABLE_STATES = frozenset({S.SUBMITTED, S.AWAITING_COPYRIGHT, S.SOURCING, S.END_OF_ROTA, S.SENT,
                                  S.EXPECTS_TO_SUPPLY, S.CONDITIONAL})
#: States in which the copy the lender sent is the patron's to download.
DOWNLOADABLE_STATES = frozenset({S.DELIVERED, S.COMPLETED})
