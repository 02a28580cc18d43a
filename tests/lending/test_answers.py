"""Our answers reach the borrowing library as ISO 18626 supplying agency messages with the right codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lending.models import LendingDetail
from lending.services import answers
from lending.states import LendingStatus
from lending.tasks import mark_overdue_loans
from requests_app.models import Event, IllRequest, OutboxMessage
from requests_app.services import perform
from requests_app.workflow import Actor, WorkflowError
from tests.lending.factories import HoldingFactory, IncomingRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(staff):
    return Actor.staff(staff)


def last_message(request) -> dict:
    return OutboxMessage.objects.filter(request=request).latest("pk").payload


def test_will_supply_tells_the_borrower_willsupply(library, actor):
    request = IncomingRequestFactory(library=library)
    answers.will_supply(request=request, actor=actor)
    payload = last_message(request)
    assert (payload["status_info"]["status"], payload["message_info"]["reason_for_message"]) == (
        "WillSupply", "RequestResponse")


def test_conditions_are_sent_with_their_codes_and_note(library, actor):
    request = IncomingRequestFactory(library=library)
    answers.offer_conditions(request=request, actor=actor, conditions=["LibraryUseOnly", "NoReproduction"],
                             note="Fragile binding.")
    request.refresh_from_db()
    assert request.status == LendingStatus.CONDITIONAL
    note = last_message(request)["message_info"]["note"]
    assert note.startswith("#ReShareAddLoanCondition#") and "LibraryUseOnly, NoReproduction" in note
    assert "Fragile binding." in note
    assert Event.objects.get(request=request, action="offer_conditions").data["loan_conditions"] == [
        "LibraryUseOnly", "NoReproduction"]


@pytest.mark.parametrize("conditions,note", [([], "Why"), (["LibraryUseOnly"], " "), (["Bogus"], "Why")])
def test_conditions_without_a_code_or_a_note_are_refused_and_nothing_changes(library, actor, conditions, note):
    request = IncomingRequestFactory(library=library)
    with pytest.raises(WorkflowError) as exc:
        answers.offer_conditions(request=request, actor=actor, conditions=conditions, note=note)
    assert exc.value.code == "invalid"
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW and not OutboxMessage.objects.exists()


def test_the_borrower_accepting_conditions_sends_the_request_to_picking(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.CONDITIONAL)
    perform(request=request, action="borrower_accepted_conditions", actor=Actor.partner(request.partner))
    request.refresh_from_db()
    assert request.status == LendingStatus.AWAITING_PICKING


@pytest.mark.parametrize("reason", ["NotHeld", "NotOnShelf", "NonCirculating", "Lost", "NotFoundAsCited",
                                    "PolicyProblem", "OnLoan"])
def test_unfilled_carries_the_reason_code_the_partner_understands(library, actor, reason):
    request = IncomingRequestFactory(library=library)
    answers.unfill(request=request, actor=actor, reason=reason)
    payload = last_message(request)
    assert payload["status_info"]["status"] == "Unfilled"
    assert payload["message_info"]["reason_unfilled"]["value"] == reason


def test_a_retry_date_is_sent_in_the_unfilled_note(library, actor):
    request = IncomingRequestFactory(library=library)
    later = timezone.localdate() + dt.timedelta(days=14)
    answers.unfill(request=request, actor=actor, reason="OnLoan", note="Out to a local reader.", retry_after=later)
    assert f"Retry possible after {later.isoformat()}" in last_message(request)["message_info"]["note"]
    assert Event.objects.get(request=request, action="unfill").data["retry_after"] == later.isoformat()


def test_an_unknown_unfilled_reason_is_refused(library, actor):
    request = IncomingRequestFactory(library=library)
    with pytest.raises(WorkflowError):
        answers.unfill(request=request, actor=actor, reason="Bored")
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW


def test_shipping_sends_loaned_with_due_date_method_and_tracking(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.AWAITING_SHIPPING)
    HoldingFactory(library=library, barcode="39015012345678")
    LendingDetail.objects.create(request=request, holding=library.holdings.get(), match_kind="title")
    answers.ship(request=request, actor=actor, shipping_method="Courier", carrier="UPS", tracking_number="1Z999")
    request.refresh_from_db()
    assert request.due_date == timezone.localdate() + dt.timedelta(days=28)
    payload = last_message(request)
    assert payload["status_info"]["status"] == "Loaned"
    assert payload["status_info"]["due_date"].startswith(request.due_date.isoformat())
    assert payload["delivery_info"]["delivery_method"]["value"] == "Courier"
    assert payload["delivery_info"]["item_ids"] == ["39015012345678"]
    assert payload["shipping_info"]["tracking_ids"] == ["1Z999"]
    assert payload["shipping_info"]["courier_name"]["value"] == "UPS"
    assert LendingDetail.objects.get(request=request).tracking_number == "1Z999"


def test_a_due_date_in_the_past_is_refused(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.AWAITING_SHIPPING)
    with pytest.raises(WorkflowError):
        answers.ship(request=request, actor=actor, due_date=timezone.localdate())
    request.refresh_from_db()
    assert request.status == LendingStatus.AWAITING_SHIPPING


def test_check_in_completes_the_loan_and_tells_the_borrower(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.RETURN_SHIPPED)
    answers.check_in(request=request, actor=actor)
    request.refresh_from_db()
    assert request.status == LendingStatus.COMPLETED
    assert last_message(request)["status_info"]["status"] == "LoanCompleted"


def test_the_overdue_job_sends_an_overdue_message(library):
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2026, 3, 1))
    assert mark_overdue_loans(today="2026-03-02") == 1
    assert last_message(request)["status_info"]["status"] == "Overdue"


def test_a_recall_sends_a_recalled_message(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1))
    answers.recall(request=request, actor=actor, note="Needed for a course reserve.")
    assert last_message(request)["status_info"]["status"] == "Recalled"


def test_staff_grant_a_renewal_with_a_new_due_date(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1))
    IllRequest.objects.filter(pk=request.pk).update(renewal_requested_at=timezone.now())
    answers.answer_renewal(request=IllRequest.objects.get(pk=request.pk), actor=actor, grant=True,
                           due_date=dt.date(2027, 4, 1))
    request.refresh_from_db()
    assert (request.due_date, request.renewal_count) == (dt.date(2027, 4, 1), 1)
    payload = last_message(request)
    assert (payload["message_info"]["reason_for_message"], payload["message_info"]["answer_yes_no"]) == (
        "RenewResponse", "Y")
    assert request.renewal_requested_at is None


def test_staff_refuse_a_renewal_and_the_due_date_stays(library, actor):
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1),
                                     renewal_requested_at=timezone.now())
    answers.answer_renewal(request=request, actor=actor, grant=False)
    request.refresh_from_db()
    assert (request.due_date, request.renewal_count) == (dt.date(2027, 3, 1), 0)
    assert last_message(request)["message_info"]["answer_yes_no"] == "N"


def ask_renewal(request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        perform(request=request, action="borrower_renewal_request", actor=Actor.partner(request.partner))


def test_a_renewal_request_waits_for_staff_when_auto_renew_is_off(library, django_capture_on_commit_callbacks):
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1))
    ask_renewal(request, django_capture_on_commit_callbacks)
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None
    assert not Event.objects.filter(request=request, action="answer_renewal").exists()


def test_a_renewal_is_granted_per_policy_when_auto_renew_is_on(library, settings,
                                                               django_capture_on_commit_callbacks):
    settings.ILLMS_LENDING_AUTO_RENEW = True
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1))
    ask_renewal(request, django_capture_on_commit_callbacks)
    request.refresh_from_db()
    assert (request.due_date, request.renewal_count) == (dt.date(2027, 3, 29), 1)
    assert Event.objects.get(request=request, action="answer_renewal").actor_kind == "system"
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is None


def test_auto_renew_stops_at_the_renewal_limit(library, settings, django_capture_on_commit_callbacks):
    settings.ILLMS_LENDING_AUTO_RENEW = True
    settings.ILLMS_MAX_RENEWALS = 2
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1),
                                     renewal_count=2)
    ask_renewal(request, django_capture_on_commit_callbacks)
    assert IllRequest.objects.get(pk=request.pk).renewal_count == 2
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None


def test_a_scanned_barcode_finds_our_request_and_nothing_else(library):
    request = IncomingRequestFactory(library=library)
    assert answers.find_by_barcode(library=library, barcode=f" l{request.pk} ") == request
    other = IncomingRequestFactory()
    for bad in (f"L{other.pk}", "hello", "", "B12"):
        with pytest.raises(WorkflowError):
            answers.find_by_barcode(library=library, barcode=bad)
