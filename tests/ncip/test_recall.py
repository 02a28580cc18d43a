"""A lender's recall brings the loan's due date forward in the library's ILS too, as its profile allows: RecallItem,
a RenewItem with the date, or a to-do for the ILS's desk; against the test responder over real HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app import action_lists
from requests_app.models import IllRequest, NcipCall, NcipCallStatus, Role
from requests_app.workflow import Actor
from tests.factories import PatronProfileFactory, StaffFactory
from tests.ncip.loans import act, shipped_loan

pytestmark = pytest.mark.django_db
S = BorrowingStatus


@pytest.fixture(autouse=True)
def five_days_buffer(settings):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 5


@pytest.fixture
def clerk(home):
    return StaffFactory(library=home)


@pytest.fixture
def patron(home, ils):
    profile = PatronProfileFactory(library=home, card_barcode="21000001", institution_id="21000001")
    ils.add_user("21000001", name="Ada Reader")
    return profile.user


def loan(home, patron, clerk, capture, *, checked_out: bool = True) -> IllRequest:
    request = act(shipped_loan(home, patron, capture, due="2027-03-20"), "receive", Actor.staff(clerk), capture)
    if checked_out:
        request = act(request, "check_out", Actor.staff(clerk), capture)
    return request


def recall(request: IllRequest, capture, due="2027-01-20") -> IllRequest:
    return act(request, "lender_recalled", Actor.partner(request.partner), capture, due_date=due)


def test_the_standard_profile_sends_recall_item_with_the_earlier_date(home, clerk, patron, connect, ils,
                                                                     django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home)
    request = recall(loan(home, patron, clerk, capture), capture)
    assert request.patron_due_date.isoformat() == "2027-01-15"
    call = NcipCall.objects.get(request=request, service="RecallItem")
    assert call.status == NcipCallStatus.DONE and call.answer == "recalled in the ILS, due 2027-01-15"
    assert ils.item(request.number)["due"].startswith("2027-01-15") and ils.item(request.number)["recalled"]
    assert ils.services_received()[-1] == "RecallItem" and all(entry["valid"] for entry in ils.log())


def test_koha_gets_a_renew_item_with_the_earlier_date(home, clerk, patron, connect, ils,
                                                      django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="koha")
    request = recall(loan(home, patron, clerk, capture), capture)
    call = NcipCall.objects.get(request=request, service="RenewItem")
    assert call.status == NcipCallStatus.DONE and call.answer.startswith("recall: due date set in the ILS by a renewal")
    assert ils.item(request.number)["due"].startswith("2027-01-15")
    assert "RecallItem" not in ils.services_received()


def test_alma_which_cannot_take_the_date_gets_a_to_do_listed_for_staff(home, clerk, patron, connect, ils,
                                                                       django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="alma")
    request = recall(loan(home, patron, clerk, capture), capture)
    todo = NcipCall.objects.get(request=request, service="RecallItem")
    assert todo.status == NcipCallStatus.BY_HAND
    assert todo.answer == (f"Recalled: Alma cannot take an earlier due date over NCIP. Change the due date of "
                           f"{request.number} to 2027-01-15 at its desk, then mark this done.")
    assert "RecallItem" not in ils.services_received() and "RenewItem" not in ils.services_received()
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 1


def test_evergreen_whose_rules_set_the_date_gets_a_to_do_too(home, clerk, patron, connect, ils,
                                                             django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="evergreen")
    request = recall(loan(home, patron, clerk, capture), capture)
    assert NcipCall.objects.get(request=request, service="RecallItem").status == NcipCallStatus.BY_HAND
    assert "RenewItem" not in ils.services_received()


def test_a_to_do_does_not_hold_back_the_check_in(home, clerk, patron, connect, ils,
                                                 django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="alma")
    request = recall(loan(home, patron, clerk, capture), capture)
    act(request, "check_in", Actor.staff(clerk), capture)
    assert NcipCall.objects.get(request=request, service="CheckInItem").status == NcipCallStatus.DONE


def test_staff_mark_the_to_do_done_and_it_leaves_the_list(home, clerk, patron, connect, ils, client,
                                                          django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="alma")
    request = recall(loan(home, patron, clerk, capture), capture)
    todo = NcipCall.objects.get(request=request, service="RecallItem")
    client.force_login(clerk)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert "Done at the ILS" in page and reverse("staff:ncip-retry", args=["borrowing", request.pk, todo.pk]) \
        not in page
    with capture(execute=True):
        client.post(reverse("staff:ncip-skip", args=["borrowing", request.pk, todo.pk]))
    todo.refresh_from_db()
    assert todo.status == NcipCallStatus.SKIPPED and todo.answer.startswith("done at the ILS's desk by ")
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 0


def test_retrying_a_to_do_sends_nothing(home, clerk, patron, connect, ils, client,
                                        django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="alma")
    request = recall(loan(home, patron, clerk, capture), capture)
    todo = NcipCall.objects.get(request=request, service="RecallItem")
    sent = len(ils.log())
    client.force_login(clerk)
    with capture(execute=True):
        client.post(reverse("staff:ncip-retry", args=["borrowing", request.pk, todo.pk]))
    assert NcipCall.objects.get(pk=todo.pk).status == NcipCallStatus.BY_HAND and len(ils.log()) == sent


@pytest.mark.parametrize("ils_name", ["generic", "koha", "alma"])
def test_a_recall_before_the_check_out_sends_nothing_as_the_item_goes_back_without_a_loan(
        home, clerk, patron, connect, ils, ils_name, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils=ils_name)
    request = recall(loan(home, patron, clerk, capture, checked_out=False), capture)
    assert request.status == S.RECALLED
    assert not NcipCall.objects.filter(request=request, service__in=["RecallItem", "RenewItem"]).exists()
    assert ils.services_received() == ["AcceptItem"]


def test_a_recall_of_a_loan_never_sent_to_the_ils_sends_nothing(home, clerk, patron, connect, ils,
                                                                django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    request = loan(home, patron, clerk, capture)
    connect(home)
    recall(request, capture)
    assert not NcipCall.objects.filter(request=request).exists() and ils.log() == []


def test_an_ils_that_refuses_the_recall_leaves_a_failed_call(home, clerk, patron, connect, ils,
                                                             django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home)
    request = loan(home, patron, clerk, capture)
    ils.desk_check_in(request.number)
    recall(request, capture)
    call = NcipCall.objects.get(request=request, service="RecallItem")
    assert call.status == NcipCallStatus.FAILED and call.problem_type == "Item Not Checked Out"


def test_a_german_clerk_who_marks_the_to_do_done_is_told_so_and_it_is_noted_in_german(
        home, clerk, patron, connect, ils, client, compiled_translations, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    connect(home, ils="alma")
    request = recall(loan(home, patron, clerk, capture), capture)
    todo = NcipCall.objects.get(request=request, service="RecallItem")
    client.force_login(clerk)
    with capture(execute=True):
        page = client.post(reverse("staff:ncip-skip", args=["borrowing", request.pk, todo.pk]), follow=True,
                           HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Die Aufgabe RecallItem ist als an der Theke des Bibliothekssystems erledigt markiert." in page
    todo.refresh_from_db()
    assert todo.answer.startswith(f"an der Theke des Bibliothekssystems erledigt von {clerk.username}: ")
