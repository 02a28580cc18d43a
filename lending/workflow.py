"""The lending side's states and transitions: other libraries' requests to us.

``iso18626`` is the whole ISO 18626 mapping: the status or reason for message we send (with
its answer, its conditions), or the borrower's action that performs a partner transition
(``requests_app.workflow.Iso18626``); each state reports a status (``states.DESCRIPTIONS``) and
``REPLIES`` says how we answer a borrower's action that performs nothing. ``Workflow.lookup``
reads them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app.actors import ActorKind
from requests_app.iso18626.messages import Action, Status, YesNo
from requests_app.iso18626.messages import ReasonForMessage as Reason
from requests_app.models import IllRequest, Role, ServiceType
from requests_app.ncip.calls import hook as ncip
from requests_app.ncip.profiles import Service as Ncip
from requests_app.renewals import clear_renewal_asked, mark_renewal_asked, renewal_asked
from requests_app.workflow import GIVEN, Actor, Iso18626, Reply, State, Transition, Workflow

from .forms import ConditionsForm, DeliveryForm, RenewalForm, ShipForm, UnfillForm
from .selectors import loan_periods
from .services import answers, edelivery
from .states import DESCRIPTIONS, FINAL, NOT_YET_SHIPPED, ON_LOAN, LendingStatus

S = LendingStatus
STAFF, PARTNER, SYSTEM = ActorKind.STAFF, ActorKind.PARTNER, ActorKind.SYSTEM

def loan_period_days(request: IllRequest) -> int:
    """Our loan period for this partner: its lending rule's, else the library's (``/policies/``)."""
    return loan_periods([request])[request.pk]


def set_due_date(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """Shipping a loan gives it a due date: the one given, or our loan period from today."""
    request.due_date = data.get("due_date") or timezone.localdate() + dt.timedelta(days=loan_period_days(request))
    return ["due_date"]


def answer_renewal(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The renewal no longer waits; a granted one counts one more renewal and sets the new due date (given, or
    one more loan period)."""
    answered = list(clear_renewal_asked(request, actor, data))
    if not data.get("answer"):
        return answered
    request.renewal_count += 1
    base = request.due_date or timezone.localdate()
    request.due_date = data.get("due_date") or base + dt.timedelta(days=loan_period_days(request))
    return [*answered, "renewal_count", "due_date"]


def our_copy(request: IllRequest) -> tuple[str, str]:
    """The barcode of the copy the availability check matched (empty when it has none), and the ISBN asked."""
    from .models import LendingDetail

    detail = LendingDetail.objects.filter(request=request).select_related("holding").first()
    holding = detail.holding if detail is not None else None
    return (holding.barcode if holding is not None else "") or "", request.isbn or ""


def is_loan(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """A loan, not a copy: copies are delivered, not shipped."""
    if not request.is_copy_format or request.service_type == ServiceType.LOAN:
        return None
    return gettext("Copies are not shipped as loans.")


def is_copy_request(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """A copy may be asked for: not a loan of a book (or thesis…), which is shipped and comes back."""
    if request.service_type == ServiceType.LOAN and not request.is_copy_format:
        return gettext("This request asks for a loan: ship the item instead of delivering a copy.")
    return None


#: A cancel that cancelled our request is answered yes.
CANCEL_ACCEPTED = Reply(Reason.CANCEL_RESPONSE, answer=YesNo.Y)
#: How we answer a borrower's action that performs no transition (``Workflow.replies``).
REPLIES = {
    Action.STATUS_REQUEST: Reply(Reason.STATUS_REQUEST_RESPONSE, keeps_note=False),
    # Too late to cancel: already shipped, or finished.
    Action.CANCEL: Reply(Reason.CANCEL_RESPONSE, answer=YesNo.N, note_while_open="The item has already been sent."),
}

TRANSITIONS = [
    Transition.of("print_pull_slip", _("Print pull slip"), [S.NEW], S.AWAITING_PICKING, [STAFF, SYSTEM],
                  _("Print the pull slip and look for the item on the shelf."),
                  iso18626=Iso18626.status(Status.EXPECT_TO_SUPPLY),
                  primary=[S.NEW]),
    Transition.of("will_supply", _("Item found: will supply"),
                  [S.NEW, S.AWAITING_PICKING], S.AWAITING_SHIPPING, [STAFF],
                  _("The item is in hand."), iso18626=Iso18626.status(Status.WILL_SUPPLY), colour="success",
                  with_event=(ncip(Ncip.REQUEST_ITEM, item=our_copy),),
                  primary=[S.AWAITING_PICKING]),
    Transition.of("offer_conditions", _("Offer conditions"), [S.NEW, S.AWAITING_PICKING], S.CONDITIONAL, [STAFF],
                  _("Supply on conditions (library use only, a fee…) the borrower must accept."), needs_note=True,
                  iso18626=Iso18626.status(Status.EXPECT_TO_SUPPLY, conditions=True), colour="warning",
                  form=ConditionsForm, service=answers.offer_conditions),
    Transition.of("borrower_accepted_conditions", _("Borrower accepted conditions"),
                  [S.CONDITIONAL], S.AWAITING_PICKING,
                  [PARTNER, STAFF],
                  _("The borrowing library accepted our conditions: fetch the item."),
                  iso18626=Iso18626.action(Action.NOTIFICATION, agrees=True),
                  primary=[S.CONDITIONAL]),
    Transition.of("borrower_rejected_conditions", _("Borrower refused conditions"), [S.CONDITIONAL], S.CANCELLED,
                  [PARTNER, STAFF],
                  _("The borrowing library refused our conditions: the request is cancelled."),
                  iso18626=Iso18626.action(Action.CANCEL, reply=CANCEL_ACCEPTED),
                  confirm=_("Record that the borrowing library refused our conditions? The request is cancelled here "
                           "for good.")),
    Transition.of("unfill", _("Cannot supply"), NOT_YET_SHIPPED, S.UNFILLED, [STAFF, SYSTEM],
                  _("Answer unfilled with a reason the borrower understands."),
                  iso18626=Iso18626.status(Status.UNFILLED),
                  with_event=(ncip(Ncip.CANCEL_REQUEST_ITEM, item=our_copy),),
                  colour="outline-danger", form=UnfillForm, service=answers.unfill,
                  confirm=_("Answer “cannot supply”? The borrowing library is told at once and asks its next lender; "
                           "the request is closed here for good.")),
    Transition.of("ship", _("Ship"), [S.AWAITING_SHIPPING, S.AWAITING_PICKING], S.SHIPPED, [STAFF],
                  _("Send the loan with its due date and tracking number."), guards=(is_loan,), effects=(set_due_date,),
                  with_event=(ncip(Ncip.CHECK_OUT_ITEM, item=our_copy),),
                  iso18626=Iso18626.status(Status.LOANED), colour="success", form=ShipForm, service=answers.ship,
                  primary=[S.AWAITING_SHIPPING]),
    Transition.of("deliver_copy", _("Deliver copy"), [S.AWAITING_SHIPPING, S.AWAITING_PICKING, S.NEW], S.COPY_DELIVERED,
                  [STAFF], _("Upload the scan; the borrower gets a download link."), guards=(is_copy_request,),
                  iso18626=Iso18626.status(Status.COPY_COMPLETED),
                  colour="success", form=DeliveryForm, service=edelivery.deliver_copy,
                  primary=[S.AWAITING_SHIPPING]),
    Transition.of("borrower_received", _("Borrower received"), ON_LOAN + [S.COPY_DELIVERED], None, [PARTNER],
                  _("The borrowing library tells us our item (or copy) arrived."),
                  iso18626=Iso18626.action(Action.RECEIVED)),
    Transition.of("borrower_renewal_request", _("Borrower asks renewal"), ON_LOAN, None, [PARTNER],
                  _("The borrowing library asks to keep our item longer: answer the renewal."),
                  effects=(mark_renewal_asked,), iso18626=Iso18626.action(Action.RENEW)),
    Transition.of("answer_renewal", _("Answer renewal"), ON_LOAN, None, [STAFF, SYSTEM],
                  _("Grant (with a new due date) or refuse the borrower's renewal."), guards=(renewal_asked,),
                  effects=(answer_renewal,),
                  iso18626=Iso18626.reason(Reason.RENEW_RESPONSE, with_status=Status.LOANED, answer=GIVEN),
                  colour="outline-primary", form=RenewalForm,
                  service=answers.answer_renewal, primary=ON_LOAN),
    Transition.of("mark_overdue", _("Mark overdue"), [S.SHIPPED], S.OVERDUE, [SYSTEM, STAFF],
                  _("Our due date has passed: tell the borrower."), iso18626=Iso18626.status(Status.OVERDUE)),
    Transition.of("recall", _("Recall"), [S.SHIPPED, S.OVERDUE], S.RECALLED, [STAFF],
                  _("Ask for the item back before its due date."),
                  iso18626=Iso18626.status(Status.RECALLED), colour="outline-danger",
                  confirm=_("Recall this loan? The borrowing library is told at once to send the item back before its "
                           "due date, and the patron is asked to return it early.")),
    Transition.of("borrower_return_shipped", _("Borrower shipped it back"), ON_LOAN, S.RETURN_SHIPPED, [PARTNER],
                  _("The borrowing library sent our item back: check it in when it arrives."),
                  iso18626=Iso18626.action(Action.SHIPPED_RETURN)),
    Transition.of("check_in", _("Check in"), ON_LOAN + [S.RETURN_SHIPPED], S.COMPLETED, [STAFF],
                  _("Our item is back on the shelf (scan its request barcode)."),
                  with_event=(ncip(Ncip.CHECK_IN_ITEM, item=our_copy),),
                  iso18626=Iso18626.status(Status.LOAN_COMPLETED),
                  colour="success",
                  primary=[S.RETURN_SHIPPED]),
    Transition.of("complete_copy", _("Complete"), [S.COPY_DELIVERED], S.COMPLETED, [STAFF, SYSTEM],
                  _("The copy was downloaded or its link expired."),
                  primary=[S.COPY_DELIVERED]),
    Transition.of("borrower_cancelled", _("Borrower cancelled"), NOT_YET_SHIPPED, S.CANCELLED, [PARTNER],
                  _("The borrowing library cancelled before we shipped."),
                  with_event=(ncip(Ncip.CANCEL_REQUEST_ITEM, item=our_copy),),
                  iso18626=Iso18626.action(Action.CANCEL, reply=CANCEL_ACCEPTED)),
]

WORKFLOW = Workflow(
    role=Role.LENDING,
    initial=S.NEW,
    states={s.value: State(s.value, s.label, DESCRIPTIONS[s][0], s in FINAL, DESCRIPTIONS[s][1],
                           iso18626=DESCRIPTIONS[s][2], overdue=s == S.OVERDUE)
            for s in LendingStatus},
    transitions={tr.action: tr for tr in TRANSITIONS},
    staff_permission="requests_app.work_lending",
    desk="lending",
    replies=REPLIES,
)
