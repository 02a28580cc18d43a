"""The ISO 18626 mapping lives in the workflow tables: ``Workflow.lookup`` reads a partner's message there."""

from __future__ import annotations

from requests_app.iso18626.messages import Action, Status, YesNo
from requests_app.iso18626.messages import ReasonForMessage as Reason
from requests_app.models import Role
from requests_app.workflow import Heard, registry

BORROWING, LENDING = registry.get(Role.BORROWING), registry.get(Role.LENDING)


def lender_says(status: str, reason: str = Reason.STATUS_CHANGE, **facts) -> Heard:
    return Heard(reason=reason, status=status, **facts)


def test_a_lenders_loaned_ships_our_borrowing_request():
    assert BORROWING.lookup(lender_says(Status.LOANED), "expects_to_supply").transition.action == "lender_shipped"


def test_retry_possible_is_read_as_unfilled_and_completed_without_return_as_loan_completed():
    assert BORROWING.lookup(lender_says(Status.RETRY_POSSIBLE), "sent").transition.action == "lender_unfilled"
    assert BORROWING.lookup(lender_says(Status.COMPLETED_WITHOUT_RETURN), "return_shipped").transition.action \
        == "lender_checked_in"


def test_a_renewal_answer_is_read_as_one_whatever_status_it_reports():
    heard = lender_says(Status.LOANED, Reason.RENEW_RESPONSE, answer=YesNo.Y)

    assert BORROWING.lookup(heard, "checked_out").transition.action == "lender_renewal_answer"


def test_a_refused_cancel_that_reports_loaned_is_read_as_the_shipment():
    refused = lender_says(Status.WILL_SUPPLY, Reason.CANCEL_RESPONSE, answer=YesNo.N)
    shipped = lender_says(Status.LOANED, Reason.CANCEL_RESPONSE, answer=YesNo.N)

    assert BORROWING.lookup(refused, "cancel_pending").transition.action == "lender_refused_cancel"
    assert BORROWING.lookup(shipped, "cancel_pending").transition.action == "lender_shipped_anyway"


def test_conditions_with_a_will_supply_are_an_offer_of_conditions():
    heard = lender_says(Status.WILL_SUPPLY, conditions=True)

    assert BORROWING.lookup(heard, "sent").transition.action == "lender_conditional"


def test_a_notification_with_a_status_we_already_know_is_kept_as_a_note():
    heard = lender_says(Status.EXPECT_TO_SUPPLY, Reason.NOTIFICATION)

    found = BORROWING.lookup(heard, "expects_to_supply")

    assert (found.transition, found.note_only) == (None, True)


def test_a_status_nothing_maps_is_kept_as_a_note():
    assert BORROWING.lookup(lender_says(Status.HOLD_RETURN), "checked_out").note_only


def test_a_status_that_makes_no_sense_now_is_refused():
    assert BORROWING.lookup(lender_says(Status.LOANED), "submitted").refusal \
        == "Loaned is not expected while the request is “Submitted”."


def test_a_repeated_status_changes_nothing_and_is_not_refused():
    found = BORROWING.lookup(lender_says(Status.LOANED), "shipped")

    assert (found.transition, found.reply, found.note_only, found.refusal) == (None, None, False, "")


def test_a_borrowers_cancel_before_we_ship_cancels_and_is_answered_yes():
    found = LENDING.lookup(Heard(action=Action.CANCEL), "awaiting_picking")

    assert found.transition.action == "borrower_cancelled"
    assert (found.reply.reason, found.reply.answer) == (Reason.CANCEL_RESPONSE, YesNo.Y)


def test_a_borrowers_cancel_after_we_shipped_is_answered_no():
    found = LENDING.lookup(Heard(action=Action.CANCEL), "shipped")

    assert found.transition is None
    assert (found.reply.reason, found.reply.answer) == (Reason.CANCEL_RESPONSE, YesNo.N)


def test_the_borrower_agreeing_to_our_conditions_sends_the_item_to_picking_and_a_plain_note_does_not():
    assert LENDING.lookup(Heard(action=Action.NOTIFICATION, agrees=True), "conditional").transition.action \
        == "borrower_accepted_conditions"
    assert LENDING.lookup(Heard(action=Action.NOTIFICATION), "conditional").note_only


def test_every_status_we_send_as_a_lender_is_the_one_its_target_state_reports():
    for transition in LENDING.transitions.values():
        mapping = transition.iso18626
        if mapping is not None and mapping.message == "status" and transition.target:
            assert LENDING.state(transition.target).iso18626 == mapping.values[0], transition.action


def test_every_lending_state_reports_a_status_and_no_borrowing_state_does():
    assert all(state.iso18626 for state in LENDING.states.values())
    assert not any(state.iso18626 for state in BORROWING.states.values())
