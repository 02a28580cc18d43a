"""“The desk checks borrowed items out in the ILS”: ILLMS learns of the ILS desk's check-outs and check-ins by
asking about the temporary items (LookupItem, or LookupItemSet), against the test responder over real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from borrowing.states import BorrowingStatus
from requests_app.models import Event, IllRequest, NcipCall, NcipCallStatus, PatronProfile
from requests_app.ncip import circulation, tasks
from requests_app.workflow import Actor, ActorKind
from tests.factories import MemberLibraryFactory, PatronProfileFactory, StaffFactory
from tests.ncip.loans import act, shipped_loan

pytestmark = pytest.mark.django_db
S = BorrowingStatus


@pytest.fixture
def staff(home):
    return Actor.staff(StaffFactory(library=home))


@pytest.fixture
def patron(home, ils):
    profile = PatronProfileFactory(library=home, card_barcode="21000001")
    ils.add_user("21000001", name="Ada Reader")
    return profile.user


def received_loan(home, patron, staff, capture, due="2027-02-20") -> IllRequest:
    return act(shipped_loan(home, patron, capture, due=due), "receive", staff, capture)


def learn(capture):
    with capture(execute=True):
        return circulation.learn_from_ils()


def test_a_check_out_at_the_ils_desk_moves_the_request_to_checked_out_with_the_ils_due_date(
        home, staff, patron, connect, ils, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, capture)
    ils.desk_check_out(request.number, "21000001", "2027-02-10T23:59:59Z")
    assert [change.action for change in learn(capture)] == ["check_out"]
    request.refresh_from_db()
    assert (request.status, request.patron_due_date) == (S.CHECKED_OUT, dt.date(2027, 2, 10))
    learnt = NcipCall.objects.get(request=request, service="LookupItem")
    assert learnt.status == NcipCallStatus.DONE
    assert learnt.answer == "checked out at the ILS's desk to 21000001, due 2027-02-10"
    event = Event.objects.get(request=request, action="check_out")
    assert event.actor_kind == ActorKind.SYSTEM and event.data["from_ils"]
    assert ils.services_received() == ["AcceptItem", "LookupItemSet"]  # no CheckOutItem sent back
    assert all(entry["valid"] for entry in ils.log())


def test_an_item_still_on_the_hold_shelf_leaves_the_request_waiting(home, staff, patron, connect, ils,
                                                                    django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    assert learn(django_capture_on_commit_callbacks) == []
    request.refresh_from_db()
    assert request.status == S.RECEIVED and not NcipCall.objects.filter(service="LookupItem").exists()


def test_running_the_job_twice_checks_the_loan_out_once(home, staff, patron, connect, ils,
                                                        django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    ils.desk_check_out(request.number, "21000001", "2027-02-10T23:59:59Z")
    learn(django_capture_on_commit_callbacks)
    assert learn(django_capture_on_commit_callbacks) == []
    assert Event.objects.filter(request=request, action="check_out").count() == 1


def test_a_check_in_at_the_ils_desk_is_learnt_for_a_loan_checked_out_there(home, staff, patron, connect, ils,
                                                                           django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, capture)
    ils.desk_check_out(request.number, "21000001", "2027-02-10T23:59:59Z")
    learn(capture)
    ils.desk_check_in(request.number)
    assert [change.action for change in learn(capture)] == ["check_in"]
    request.refresh_from_db()
    assert request.status == S.RETURNED
    assert "CheckInItem" not in ils.services_received()  # the ILS did it: nothing is sent back
    assert NcipCall.objects.filter(request=request, service="LookupItem", arguments__learnt="check_in").exists()


def test_a_loan_checked_out_in_illms_is_never_checked_in_by_what_the_ils_says(home, staff, patron, connect, ils,
                                                                             django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, capture)
    act(request, "check_out", staff, capture)  # the desk recorded it here; the ILS's item is still on hold
    ils.desk_check_in(request.number)
    learn(capture)
    request.refresh_from_db()
    assert request.status == S.CHECKED_OUT


def test_the_ils_due_date_later_than_the_lenders_is_said_on_the_call(home, staff, patron, connect, ils,
                                                                     django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, django_capture_on_commit_callbacks, due="2027-02-20")
    ils.desk_check_out(request.number, "21000001", "2027-03-31T23:59:59Z")
    learn(django_capture_on_commit_callbacks)
    answer = NcipCall.objects.get(request=request, service="LookupItem").answer
    assert "later than the lender's due date 2027-02-20: change it in the ILS" in answer


def test_a_check_out_to_another_ils_user_is_learnt_and_said(home, staff, patron, connect, ils,
                                                            django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    ils.desk_check_out(request.number, "21000099", "2027-02-10T23:59:59Z")
    learn(django_capture_on_commit_callbacks)
    answer = NcipCall.objects.get(request=request, service="LookupItem").answer
    assert answer.startswith("checked out at the ILS's desk to 21000099") and "patron is 21000001" in answer


def test_koha_without_lookup_item_set_is_asked_item_by_item(home, staff, patron, connect, ils,
                                                            django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="koha", ils_checks_out=True)
    first = received_loan(home, patron, staff, capture)
    second = received_loan(home, patron, staff, capture)
    ils.desk_check_out(first.number, "21000001", "2027-02-10T23:59:59Z")
    learn(capture)
    assert sorted(ils.services_received()) == ["AcceptItem", "AcceptItem", "LookupItem", "LookupItem"]
    assert IllRequest.objects.get(pk=first.pk).status == S.CHECKED_OUT
    assert IllRequest.objects.get(pk=second.pk).status == S.RECEIVED


def test_alma_which_cannot_be_asked_about_an_item_is_never_polled(home, staff, patron, connect, ils,
                                                                  django_capture_on_commit_callbacks):
    connect(home, ils="alma", ils_checks_out=True)
    PatronProfile.objects.filter(user=patron).update(institution_id="21000001")
    request = received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    ils.desk_check_out(request.number, "21000001", "2027-02-10T23:59:59Z")
    assert learn(django_capture_on_commit_callbacks) == []
    assert ils.services_received() == ["AcceptItem"]


def test_the_ils_down_changes_nothing_and_the_next_pass_learns_it(home, staff, patron, connect, ils,
                                                                  django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    request = received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    ils.desk_check_out(request.number, "21000001", "2027-02-10T23:59:59Z")
    ils.down()
    assert learn(django_capture_on_commit_callbacks) == []
    ils.down(False)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.learn_ncip_circulation() == 1


def test_without_the_option_the_ils_is_not_asked(home, staff, patron, connect, ils,
                                                 django_capture_on_commit_callbacks):
    connect(home)
    received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    assert learn(django_capture_on_commit_callbacks) == [] and ils.services_received() == ["AcceptItem"]


def test_many_loans_are_asked_about_in_one_message_and_the_same_queries(home, staff, patron, connect, ils,
                                                                        django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as one:
        learn(django_capture_on_commit_callbacks)
    for _ in range(4):
        received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as five:
        learn(django_capture_on_commit_callbacks)
    assert len(five) == len(one)
    assert ils.state()["set_sizes"] == [1, 5]


def test_a_library_without_the_option_is_not_asked_about_beside_one_with_it(home, staff, patron, connect, ils,
                                                                            django_capture_on_commit_callbacks):
    other = MemberLibraryFactory(symbol="OTHER")
    connect(home, ils_checks_out=True)
    connect(other)
    received_loan(home, patron, staff, django_capture_on_commit_callbacks)
    theirs = PatronProfileFactory(library=other, card_barcode="31000001").user
    ils.add_user("31000001")
    received_loan(other, theirs, Actor.staff(StaffFactory(library=other)), django_capture_on_commit_callbacks)
    learn(django_capture_on_commit_callbacks)
    assert ils.state()["set_sizes"] == [1]
