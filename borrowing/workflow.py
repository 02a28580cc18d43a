"""The borrowing side's states and transitions: our patrons' requests to other libraries.

States follow DOMAIN.md. Renewals are events and due-date changes, not states.
``iso18626`` is the whole ISO 18626 mapping: the lender's status or reason for message (with
its answer, its conditions) that performs a partner transition, or the request or action our
transition sends (``requests_app.workflow.Iso18626``; ``Workflow.lookup`` reads it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from requests_app.action_input import ActionData, IsoDateField
from requests_app.actors import ActorKind
from requests_app.iso18626.messages import Action, Status, YesNo
from requests_app.iso18626.messages import ReasonForMessage as Reason
from requests_app.models import IllRequest, Role
from requests_app.ncip.calls import hook as ncip
from requests_app.ncip.calls import renewal_granted
from requests_app.ncip.profiles import Service as Ncip
from requests_app.policies import policy_for
from requests_app.renewals import clear_renewal_asked, mark_renewal_asked, no_renewal_pending
from requests_app.workflow import Actor, Iso18626, State, Transition, Workflow

from .forms import (
    ClearanceForm,
    FreeOnlineForm,
    OwnedLocallyForm,
    PurchaseCancelForm,
    PurchaseOrderForm,
    PurchaseReceiptForm,
    ReturnShipForm,
    SupplierDeliveryForm,
    SupplierFailedForm,
    SupplierOrderForm,
)
from .models import RotaEntry, RotaStatus
from .services import copyright as copyright_services
from .services import loans, purchasing, review, suppliers
from .services.downloads import record_link
from .services.notifications import write_for_event
from .services.rota import auto_send_first_lender, build_rota, close_current_entry
from .states import DESCRIPTIONS, FINAL, PURCHASE_SOURCES, BorrowingStatus
from .tasks import advance_rota

S = BorrowingStatus
PATRON, STAFF, PARTNER, SYSTEM = ActorKind.PATRON, ActorKind.STAFF, ActorKind.PARTNER, ActorKind.SYSTEM


def due_date_buffer_days(request: IllRequest) -> int:
    """Days between the lender's due date and the patron's: the library's policy (``/policies/``)."""
    return policy_for(request.library).due_date_buffer_days


# Guards ------------------------------------------------------------------------------------

def needs_partner(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """A lender has been chosen (the rota's next entry, or one picked by hand)."""
    return None if request.partner_id else gettext("Choose a lender first.")


def is_copy(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """Only copies (articles, chapters) go through copyright review."""
    return None if request.is_copy_format else gettext("Only copies (articles, chapters) go through copyright review.")


def within_renewal_limit(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """The loan has been renewed fewer times than the library's limit (its policy; ILLMS_MAX_RENEWALS, 2 by default)."""
    limit = policy_for(request.library).max_renewals
    if request.renewal_count < limit:
        return None
    return ngettext("This loan was already renewed %(limit)s time.", "This loan was already renewed %(limit)s times.",
                    limit) % {"limit": limit}


# Effects -----------------------------------------------------------------------------------

class BorrowingData(ActionData):
    """What borrowing's effects read from an action's data beside the lender's due date and answer."""

    patron_due_date = IsoDateField(required=False)
    clearance_fee = forms.DecimalField(required=False)


def set_lender_due_date(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """A shipment or a renewal answer may carry the lender's due date."""
    due = data.get("due_date")
    if due is None:
        return ()
    request.due_date = due
    fields = ["due_date"]
    if request.patron_due_date:
        request.patron_due_date = due - dt.timedelta(days=due_date_buffer_days(request))
        fields.append("patron_due_date")
    return fields


def set_patron_due_date(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The patron's due date is the lender's minus a buffer for the return trip."""
    explicit = data.get("patron_due_date")
    if explicit:
        request.patron_due_date = explicit
    elif request.due_date:
        request.patron_due_date = request.due_date - dt.timedelta(days=due_date_buffer_days(request))
    else:
        request.patron_due_date = timezone.localdate() + dt.timedelta(days=21)
    return ["patron_due_date"]


def apply_renewal_answer(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The renewal no longer waits; a granted one counts one more renewal and takes the lender's new due date."""
    answered = list(clear_renewal_asked(request, actor, data))
    if not data.get("answer"):
        return answered
    request.renewal_count += 1
    return [*answered, "renewal_count", *set_lender_due_date(request, actor, data)]


def shorten_to_recall(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """A recall brings the patron's due date forward (to the new lender date less the buffer)."""
    new_due = data.get("due_date")
    fields = []
    if new_due:
        request.due_date = new_due
        fields.append("due_date")
    today = timezone.localdate()
    target = request.due_date - dt.timedelta(days=due_date_buffer_days(request)) if request.due_date else today
    target = max(target, today)
    if request.patron_due_date is None or target < request.patron_due_date:
        request.patron_due_date = target
        fields.append("patron_due_date")
    return fields


# Rota, copyright and patron e-mails (borrowing/services/): side tables change inside the
# transition's transaction (effects returning no request fields); work that must see the
# committed row (the next lender, an e-mail) is queued after commit.

def close_rota_entry(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The current lender's rota entry gets its answer: unfilled, no answer, or conditions refused."""
    outcome = data.get("rota_outcome") or RotaStatus.UNFILLED
    # Kept in English, shown translated (the lender's own reason is shown as it came).
    reason = data.get("reason_unfilled") or (gettext_noop("No answer in time") if outcome == RotaStatus.NO_ANSWER
                                             else "")
    close_current_entry(request, outcome, str(reason or ""))
    return ()


def refuse_conditions_entry(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The lender's rota entry is closed as unfilled (conditions refused)."""
    close_current_entry(request, RotaStatus.UNFILLED, gettext_noop("Conditions refused"))
    return ()


def rota_entry_supplied(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The lender's rota entry is closed as supplied."""
    close_current_entry(request, RotaStatus.SUPPLIED)
    return ()


def keep_copy_link(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The lender's link to the copy, kept for the patron's download button on My requests."""
    record_link(request=request, url=str(data.get("url") or ""))
    return ()


def rota_entry_cancelled(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The lender's rota entry is closed as skipped (cancelled)."""
    close_current_entry(request, RotaStatus.SKIPPED, gettext_noop("Cancelled"))
    return ()


def assess_copyright(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """A verified article is counted under the rule of five (CCG, CCL, or waiting for clearance)."""
    record = copyright_services.assess(request)
    if record is None or record.compliance == request.copyright_compliance:
        return ()
    request.copyright_compliance = record.compliance
    return ["copyright_compliance"]


def hold_for_copyright(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The copy is recorded in the copyright queue, waiting for clearance."""
    copyright_services.record_for_review(request)
    request.copyright_compliance = ""
    return ["copyright_compliance"]


def record_clearance(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """Clearance obtained: the copy complies with the law otherwise (CCL), with the fee or the exception."""
    copyright_services.apply_clearance(request, fee=data.get("clearance_fee"), currency=str(data.get("currency") or ""),
                    exception_note=str(data.get("exception_note") or ""))
    request.copyright_compliance = "CCL"
    return ["copyright_compliance"]


def route_copyright_after_verify(request: IllRequest, event) -> None:
    """An article over the rule of five goes to the copyright queue."""
    copyright_services.route_for_clearance(request)


def build_rota_when_sourcing(request: IllRequest, event) -> None:
    """Entering sourcing: build the rota if it has no lender waiting (staff may then edit it); a format the
    library's policy sends automatically goes to the first lender at once."""
    current = IllRequest.objects.filter(pk=request.pk, status=BorrowingStatus.SOURCING).first()
    if current is None:
        return
    if not RotaEntry.objects.filter(request=current, status=RotaStatus.PENDING).exists():
        build_rota(request=current)
    auto_send_first_lender(current)


def queue_advance_rota(request: IllRequest, event) -> None:
    """The request goes to the next lender of the rota (or to “End of rota”)."""
    advance_rota.delay(request.pk, event.pk)


def _email(kind: str, *, only_staff: bool = False):
    def hook(request: IllRequest, event) -> None:
        if only_staff and event.actor_kind not in (ActorKind.STAFF, ActorKind.SYSTEM):
            return
        write_for_event(kind, request, event)

    hook.__name__ = f"email_{kind.replace('-', '_')}"
    hook.__doc__ = f"The patron is e-mailed ({kind.replace('-', ' ')})" + (
        ", when staff cancelled." if only_staff else ".")
    return hook


TRANSITIONS = [
    # Review.
    Transition.of("verify", _("Verify citation"), [S.SUBMITTED], S.SOURCING, [STAFF, SYSTEM],
                  _("The citation is right and the library does not own the item: start sourcing."), colour="success",
                  effects=(assess_copyright,), after_commit=(route_copyright_after_verify, build_rota_when_sourcing),
                  primary=[S.SUBMITTED]),
    Transition.of("send_to_copyright", _("Send to copyright review"), [S.SUBMITTED, S.SOURCING], S.AWAITING_COPYRIGHT,
                  [STAFF, SYSTEM],
                  _("A copy that needs copyright clearance (e.g. the sixth article under the rule of five)."),
                  guards=(is_copy,), effects=(hold_for_copyright,), colour="warning"),
    Transition.of("clear_copyright", _("Copyright cleared"), [S.AWAITING_COPYRIGHT], S.SOURCING, [STAFF],
                  _("Clearance obtained (a fee recorded) or an exception noted: continue sourcing."), colour="success",
                  effects=(record_clearance,), after_commit=(build_rota_when_sourcing,), form=ClearanceForm,
                  service=copyright_services.clear_copyright, button=False),
    Transition.of("cancel_owned_locally", _("Owned locally: cancel"), [S.SUBMITTED, S.SOURCING], S.CANCELLED, [STAFF],
                  _("The library owns the item: cancel and tell the patron where to find it."), needs_note=True,
                  colour="outline-danger", with_event=(_email("cancelled"),), form=OwnedLocallyForm,
                  service=review.cancel_owned_locally,
                  confirm=_("Cancel this request because the library owns the item? The patron is e-mailed where to "
                           "find it; the request cannot be reopened."), closes_as="owned_locally"),
    Transition.of("cancel_free_online", _("Free online: cancel"), [S.SUBMITTED, S.SOURCING], S.CANCELLED, [STAFF],
                  _("A free, legal copy is online (open access): cancel and tell the patron where to read it."),
                  needs_note=True, colour="outline-danger", with_event=(_email("cancelled"),), form=FreeOnlineForm,
                  service=review.cancel_free_online,
                  confirm=_("Cancel this request because a free copy is online? The patron is e-mailed where to "
                           "read it; the request cannot be reopened."), closes_as="open_access"),
    # Routing.
    Transition.of("send_to_lender", _("Send to lender"), [S.SOURCING], S.SENT, [STAFF, SYSTEM],
                  _("Send the request to the current lender of the rota."), guards=(needs_partner,),
                  iso18626=Iso18626.request(),
                  button=False),
    Transition.of("end_rota", _("End of rota"), [S.SOURCING], S.END_OF_ROTA, [SYSTEM, STAFF],
                  _("No lender left in the rota."), colour="outline-danger",
                  confirm=_("End the rota? No other lender is asked; the request waits under “End of rota” until staff "
                           "source it again or cancel it.")),
    Transition.of("restart_sourcing", _("Source again"), [S.END_OF_ROTA], S.SOURCING, [STAFF],
                  _("Build a new rota or pick another lender by hand."), after_commit=(build_rota_when_sourcing,),
                  primary=[S.END_OF_ROTA]),
    # Commercial document suppliers (borrowing/services/suppliers.py): ordered by e-mail or API, not ISO 18626.
    Transition.of("order_from_supplier", _("Order from supplier"),
                  [S.SOURCING, S.AWAITING_COPYRIGHT, S.END_OF_ROTA], S.SUPPLIER_ORDERED, [STAFF, SYSTEM],
                  _("Order the copy from a commercial document supplier (its price and copyright fee are charged "
                    "to the budget when it delivers)."),
                  guards=(suppliers.can_order,), effects=(suppliers.place_order,),
                  after_commit=(suppliers.queue_api_order,), form=SupplierOrderForm,
                  service=suppliers.order_from_supplier, button=False),
    Transition.of("supplier_delivered", _("Supplier delivered copy"), [S.SUPPLIER_ORDERED], S.DELIVERED,
                  [STAFF, SYSTEM], _("The supplier's PDF is uploaded (or came from its API): the patron downloads "
                                     "it from My requests."),
                  effects=(suppliers.keep_delivered_copy,), with_event=(_email("copy-delivered"),),
                  form=SupplierDeliveryForm, service=suppliers.deliver_from_supplier, colour="success",
                  primary=[S.SUPPLIER_ORDERED]),
    Transition.of("supplier_failed", _("Supplier cannot supply"), [S.SUPPLIER_ORDERED], S.SOURCING, [STAFF, SYSTEM],
                  _("The supplier cannot supply it: the next in the rota is tried."),
                  effects=(suppliers.close_failed_order,), after_commit=(queue_advance_rota,),
                  form=SupplierFailedForm, service=suppliers.supplier_failed, colour="outline-danger"),
    # Lender answers (ISO 18626 supplying agency messages).
    Transition.of("lender_expects_to_supply", _("Lender expects to supply"),
                  [S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL],
                  S.EXPECTS_TO_SUPPLY, [PARTNER],
                  _("The lender says it expects to supply (ISO 18626 ExpectToSupply)."),
                  iso18626=Iso18626.status(Status.EXPECT_TO_SUPPLY, conditions=False)),
    Transition.of("lender_will_supply", _("Lender will supply"), [S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL],
                  S.EXPECTS_TO_SUPPLY, [PARTNER],
                  _("The lender has found the item and will supply it (ISO 18626 WillSupply)."),
                  iso18626=Iso18626.status(Status.WILL_SUPPLY, conditions=False)),
    Transition.of("lender_conditional", _("Lender offers conditions"), [S.SENT, S.EXPECTS_TO_SUPPLY], S.CONDITIONAL,
                  [PARTNER], _("The lender offers to supply on conditions (a fee, library use only…) that we must "
                               "accept or refuse."),
                  iso18626=Iso18626.status(Status.EXPECT_TO_SUPPLY, Status.WILL_SUPPLY, conditions=True)),
    Transition.of("accept_conditions", _("Accept conditions"), [S.CONDITIONAL], S.EXPECTS_TO_SUPPLY, [STAFF, PATRON],
                  _("Accept the lender's conditions."),
                  iso18626=Iso18626.action(Action.NOTIFICATION, agrees=True), colour="success",
                  primary=[S.CONDITIONAL]),
    Transition.of("reject_conditions", _("Refuse conditions"), [S.CONDITIONAL], S.SOURCING, [STAFF, PATRON],
                  _("Refuse the conditions and move on to the next lender."), iso18626=Iso18626.action(Action.CANCEL),
                  colour="outline-danger", effects=(refuse_conditions_entry,), after_commit=(queue_advance_rota,),
                  confirm=_("Refuse the lender's conditions? The lender is told and the request goes on to the next "
                            "lender of the rota.")),
    Transition.of("lender_unfilled", _("Lender cannot supply"),
                  [S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL], S.SOURCING,
                  [PARTNER, SYSTEM], _("Unfilled, or no answer in time: the next lender in the rota is tried."),
                  iso18626=Iso18626.status(Status.UNFILLED, Status.RETRY_POSSIBLE),
                  effects=(close_rota_entry,), after_commit=(queue_advance_rota,)),
    Transition.of("lender_shipped", _("Lender shipped"), [S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL], S.SHIPPED,
                  [PARTNER], _("The lender shipped the item, with its due date (ISO 18626 Loaned)."),
                  effects=(set_lender_due_date, rota_entry_supplied), iso18626=Iso18626.status(Status.LOANED)),
    Transition.of("lender_delivered_copy", _("Lender delivered copy"), [S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL],
                  S.DELIVERED, [PARTNER],
                  _("The lender delivered the copy electronically; the patron gets the download link."),
                  effects=(rota_entry_supplied, keep_copy_link),
                  with_event=(_email("copy-delivered"),),
                  iso18626=Iso18626.status(Status.COPY_COMPLETED)),
    # The item with us and the patron.
    Transition.of("receive", _("Receive"), [S.SENT, S.EXPECTS_TO_SUPPLY, S.SHIPPED], S.RECEIVED, [STAFF],
                  _("The item arrived (scan its request barcode)."), effects=(set_lender_due_date,),
                  with_event=(ncip(Ncip.ACCEPT_ITEM),),
                  iso18626=Iso18626.action(Action.RECEIVED), colour="success",
                  primary=[S.SENT, S.EXPECTS_TO_SUPPLY, S.SHIPPED]),
    Transition.of("notify_patron", _("Notify patron"), [S.RECEIVED], S.READY_FOR_PICKUP, [STAFF, SYSTEM],
                  _("Tell the patron the item waits at the pickup desk."), with_event=(_email("ready-for-pickup"),),
                  primary=[S.RECEIVED]),
    # SYSTEM: the library's ILS checked it out or in at its own desk (requests_app.ncip.circulation learns it).
    Transition.of("check_out", _("Check out to patron"), [S.RECEIVED, S.READY_FOR_PICKUP], S.CHECKED_OUT,
                  [STAFF, SYSTEM],
                  _("Lend the item to the patron with a due date before the lender's."),
                  effects=(set_patron_due_date,),
                  with_event=(ncip(Ncip.CHECK_OUT_ITEM),),
                  colour="success",
                  primary=[S.READY_FOR_PICKUP]),
    Transition.of("request_renewal", _("Ask for renewal"), [S.CHECKED_OUT, S.OVERDUE], None, [PATRON, STAFF],
                  _("Ask the lender for more time."), guards=(within_renewal_limit, no_renewal_pending),
                  effects=(mark_renewal_asked,), iso18626=Iso18626.action(Action.RENEW),
                  colour="outline-primary"),
    Transition.of("lender_renewal_answer", _("Lender answered renewal"), [S.CHECKED_OUT, S.OVERDUE, S.RECALLED], None,
                  [PARTNER], _("The lender granted (with a new due date) or refused our renewal request."),
                  effects=(apply_renewal_answer,),
                  with_event=(_email("renewal-answered"), ncip(Ncip.RENEW_ITEM, when=renewal_granted)),
                  iso18626=Iso18626.reason(Reason.RENEW_RESPONSE)),
    Transition.of("lender_recalled", _("Lender recalled"),
                  [S.SHIPPED, S.RECEIVED, S.READY_FOR_PICKUP, S.CHECKED_OUT, S.OVERDUE], S.RECALLED, [PARTNER],
                  _("The lender wants the item back early; the patron's due date is brought forward."),
                  effects=(shorten_to_recall,), with_event=(_email("recalled"), ncip(Ncip.RECALL_ITEM)),
                  iso18626=Iso18626.status(Status.RECALLED)),
    Transition.of("lender_overdue", _("Lender says overdue"),
                  [S.CHECKED_OUT, S.RECALLED, S.RECEIVED, S.READY_FOR_PICKUP],
                  S.OVERDUE, [PARTNER],
                  _("The lender tells us its due date has passed."), iso18626=Iso18626.status(Status.OVERDUE)),
    Transition.of("mark_overdue", _("Mark overdue"), [S.CHECKED_OUT], S.OVERDUE, [SYSTEM, STAFF],
                  _("The patron's due date has passed.")),
    Transition.of("check_in", _("Check in from patron"),
                  [S.CHECKED_OUT, S.OVERDUE, S.RECALLED, S.READY_FOR_PICKUP, S.RECEIVED], S.RETURNED, [STAFF, SYSTEM],
                  _("The patron returned the item, or never picked it up."), colour="success",
                  with_event=(ncip(Ncip.CHECK_IN_ITEM),),
                  primary=[S.CHECKED_OUT, S.OVERDUE, S.RECALLED]),
    Transition.of("return_ship", _("Ship back to lender"), [S.RETURNED], S.RETURN_SHIPPED, [STAFF],
                  _("Send the item back to the lender (print the return label; the tracking number goes to the "
                    "lender)."),
                  iso18626=Iso18626.action(Action.SHIPPED_RETURN), form=ReturnShipForm, service=loans.return_ship,
                  primary=[S.RETURNED]),
    Transition.of("lender_checked_in", _("Lender checked in"), [S.RETURN_SHIPPED, S.RETURNED], S.COMPLETED, [PARTNER],
                  _("The lender checked the returned item in: the loan is finished."),
                  with_event=(ncip(Ncip.DELETE_ITEM),),
                  iso18626=Iso18626.status(Status.LOAN_COMPLETED, Status.COMPLETED_WITHOUT_RETURN)),
    Transition.of("complete", _("Complete"), [S.DELIVERED, S.RETURN_SHIPPED], S.COMPLETED, [STAFF, SYSTEM],
                  _("Close the request: the copy was delivered, or the lender never confirmed the return."),
                  with_event=(ncip(Ncip.DELETE_ITEM),),
                  colour="outline-secondary",
                  primary=[S.DELIVERED]),
    # Buying instead of borrowing (purchase on demand; borrowing/services/purchasing.py).
    Transition.of("order_purchase", _("Buy instead: order"), PURCHASE_SOURCES, S.PURCHASE_ORDERED, [STAFF],
                  _("Buy the item from a vendor instead of borrowing it: the order goes to the vendor by e-mail "
                    "with a MARC order record and a CSV line, and its cost is committed in the budget."),
                  guards=(purchasing.has_vendor,), form=PurchaseOrderForm, service=purchasing.order_purchase,
                  button=False, colour="success", closes_as="purchased"),
    Transition.of("dismiss_purchase", _("Do not buy"), PURCHASE_SOURCES, None, [STAFF],
                  _("Borrow it after all: the page stops proposing the purchase."), guards=(purchasing.buys_at_all,),
                  button=False, colour="outline-secondary"),
    Transition.of("receive_purchase", _("Purchase received"), [S.PURCHASE_ORDERED], S.PURCHASE_RECEIVED, [STAFF],
                  _("The bought copy arrived, with the vendor's invoice (its price, where it differs, corrects the "
                    "budget)."), form=PurchaseReceiptForm, service=purchasing.receive_purchase, colour="success",
                  primary=[S.PURCHASE_ORDERED]),
    Transition.of("catalogue_purchase", _("Catalogued, hold for patron"), [S.PURCHASE_RECEIVED],
                  S.PURCHASE_CATALOGUED, [STAFF],
                  _("The copy is in the catalogue and on hold for the patron, who is told it is ready."),
                  with_event=(_email("ready-for-pickup"),), colour="success", primary=[S.PURCHASE_RECEIVED]),
    Transition.of("hand_purchase_to_patron", _("Handed to patron"), [S.PURCHASE_RECEIVED, S.PURCHASE_CATALOGUED],
                  S.COMPLETED, [STAFF],
                  _("The patron has the library's new copy (lent from our own collection): the request is done."),
                  colour="success", primary=[S.PURCHASE_CATALOGUED]),
    Transition.of("cancel_purchase", _("Cancel the purchase"), [S.PURCHASE_ORDERED], S.CANCELLED, [STAFF],
                  _("The vendor cannot supply, or the order is withdrawn: the vendor is asked to cancel, the "
                    "committed cost is released and the patron is told."), needs_note=True, form=PurchaseCancelForm,
                  colour="outline-danger", with_event=(purchasing.email_vendor_cancellation, _email("cancelled")),
                  confirm=_("Cancel this purchase? The vendor is e-mailed to cancel the order, its cost leaves the "
                            "budget and the patron is told; the request cannot be reopened.")),
    # Cancelling.
    Transition.of("cancel", _("Cancel"), [S.SUBMITTED, S.AWAITING_COPYRIGHT, S.SOURCING, S.END_OF_ROTA], S.CANCELLED,
                  [PATRON, STAFF], _("Cancel the request; no lender holds it."), colour="outline-danger",
                  with_event=(_email("cancelled", only_staff=True),),
                  confirm=_("Cancel this request? It is closed for good: no lender is asked, and it cannot be reopened "
                            "(a patron whose request staff cancel is e-mailed)."), closes_as="cancelled"),
    Transition.of("request_cancel", _("Ask lender to cancel"), [S.SENT, S.EXPECTS_TO_SUPPLY, S.CONDITIONAL],
                  S.CANCEL_PENDING, [PATRON, STAFF], _("Ask the lender to cancel; it may already have shipped."),
                  iso18626=Iso18626.action(Action.CANCEL), colour="outline-danger",
                  confirm=_("Ask the lender to cancel? The lender is told at once; the request is cancelled when it "
                            "agrees, and goes on if the item has already been sent.")),
    Transition.of("lender_cancelled", _("Lender confirmed cancel"), [S.CANCEL_PENDING], S.CANCELLED, [PARTNER],
                  _("The lender confirmed our cancellation."),
                  effects=(rota_entry_cancelled,), iso18626=Iso18626.status(Status.CANCELLED)),
    Transition.of("lender_refused_cancel", _("Lender refused cancel"),
                  [S.CANCEL_PENDING], S.EXPECTS_TO_SUPPLY, [PARTNER],
                  _("The lender refused to cancel (it is already on its way): the request goes on."),
                  iso18626=Iso18626.reason(Reason.CANCEL_RESPONSE, answer=YesNo.N, unless_status=(Status.LOANED,))),
    Transition.of("lender_shipped_anyway", _("Lender shipped before cancelling"),
                  [S.CANCEL_PENDING], S.SHIPPED, [PARTNER],
                  _("The lender had already shipped when our cancellation arrived."),
                  effects=(set_lender_due_date, rota_entry_supplied), iso18626=Iso18626.status(Status.LOANED)),
]

WORKFLOW = Workflow(
    role=Role.BORROWING,
    initial=S.SUBMITTED,
    states={s.value: State(s.value, s.label, DESCRIPTIONS[s][0], s in FINAL, DESCRIPTIONS[s][1],
                           overdue=s == S.OVERDUE)
            for s in BorrowingStatus},
    transitions={tr.action: tr for tr in TRANSITIONS},
    staff_permission="requests_app.work_borrowing",
    desk="borrowing_staff",
    data_form=BorrowingData,
)
