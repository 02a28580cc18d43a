"""Borrowed loans circulate in the library's ILS over NCIP, against the test responder over real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from borrowing.services.requests import submit_request
from borrowing.states import BorrowingStatus
from requests_app import action_lists
from requests_app.models import IllRequest, NcipCall, NcipCallStatus, RequestFormat, Role
from requests_app.ncip import calls
from requests_app.workflow import Actor
from tests.factories import MemberLibraryFactory, PatronProfileFactory, StaffFactory
from tests.ncip.loans import act, shipped_loan

pytestmark = pytest.mark.django_db
S = BorrowingStatus


@pytest.fixture
def staff(home):
    return StaffFactory(library=home)


@pytest.fixture
def patron(home, ils):
    profile = PatronProfileFactory(library=home, card_barcode="21000001", institution_id="U123")
    ils.add_user("21000001", name="Ada Reader", category="faculty")
    return profile.user


def test_a_borrowed_loan_goes_through_the_ils_from_lookup_to_delete_with_every_message_valid(
        home, staff, patron, connect, ils, settings, django_capture_on_commit_callbacks):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 5
    connect(home, pickup_codes={"main": "MAIN-DESK"})
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        submit_request(patron=patron, title="Middlemarch", format=RequestFormat.BOOK)
    request = shipped_loan(home, patron, capture)
    desk = Actor.staff(staff)
    act(request, "receive", desk, capture)
    barcode = request.number
    assert ils.item(barcode)["date_for_return"].startswith("2027-02-15")
    assert ils.item(barcode)["pickup"] == "MAIN-DESK"
    act(request, "notify_patron", desk, capture)
    act(request, "check_out", desk, capture)
    assert ils.item(barcode)["status"] == "On Loan" and ils.item(barcode)["due"].startswith("2027-02-15")
    act(request, "lender_renewal_answer", Actor.partner(request.partner), capture, answer="Y", due_date="2027-03-20")
    assert ils.item(barcode)["due"].startswith("2027-03-15")
    act(request, "check_in", desk, capture)
    act(request, "lender_checked_in", Actor.partner(request.partner), capture)
    assert ils.services_received() == ["LookupUser", "AcceptItem", "CheckOutItem", "RenewItem", "CheckInItem",
                                       "DeleteItem"]
    assert all(entry["valid"] for entry in ils.log())
    assert ils.item(barcode) is None
    assert set(NcipCall.objects.filter(request=request).values_list("status", flat=True)) == {NcipCallStatus.DONE}


def test_the_answer_of_each_call_is_shown_on_the_requests_page(home, staff, patron, connect, client,
                                                               django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    client.force_login(staff)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert f"temporary item created in the ILS as {request.number}" in page


def test_a_blocked_patron_is_refused_at_submission_with_the_ils_reason(home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001", blocked="Fines over 50.00")
    with pytest.raises(ValidationError) as refused:
        submit_request(patron=patron, title="Middlemarch", format=RequestFormat.BOOK)
    assert "Fines over 50.00" in refused.value.messages[0]
    assert not IllRequest.objects.filter(patron=patron).exists()


def test_an_expired_patron_is_refused_at_submission_with_the_ils_date(home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001", expires="2025-06-30")
    with pytest.raises(ValidationError, match="expired on 2025-06-30"):
        submit_request(patron=patron, title="Middlemarch", format=RequestFormat.BOOK)


def test_a_patron_the_ils_does_not_know_is_refused(home, connect, ils):
    connect(home)
    stranger = PatronProfileFactory(library=home, card_barcode="99999999").user
    with pytest.raises(ValidationError, match="does not know your library account"):
        submit_request(patron=stranger, title="Middlemarch", format=RequestFormat.BOOK)


def test_when_the_ils_does_not_answer_the_patron_check_the_request_is_accepted_and_flagged(
        home, patron, connect, ils):
    connect(home)
    ils.slow(3)
    request = submit_request(patron=patron, title="Middlemarch", format=RequestFormat.BOOK)
    call = NcipCall.objects.get(request=request, service="LookupUser")
    assert call.status == NcipCallStatus.FAILED and "did not answer the patron check" in call.answer
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 1


def test_the_ils_down_at_receive_leaves_the_request_received_and_the_call_sent_once_when_it_returns(
        home, staff, patron, connect, ils, django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    ils.down()
    request = act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    assert request.status == S.RECEIVED
    call = NcipCall.objects.get(request=request, service="AcceptItem")
    assert call.status == NcipCallStatus.PENDING and "HTTP 503" in call.last_error
    ils.down(False)
    assert calls.send_due() == 0  # not due yet: the back-off holds it
    NcipCall.objects.filter(pk=call.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert calls.send_due() == 1
    assert calls.send_due() == 0
    call.refresh_from_db()
    assert call.status == NcipCallStatus.DONE
    assert ils.services_received() == ["AcceptItem"]


def test_a_refused_call_fails_is_listed_and_never_stops_the_desk(home, staff, patron, connect, ils,
                                                                 django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    ils.add_item(request.number, title="Already there")
    request = act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    call = NcipCall.objects.get(request=request, service="AcceptItem")
    assert call.status == NcipCallStatus.FAILED and call.problem_type == "Duplicate Item"
    request = act(request, "check_out", Actor.staff(staff), django_capture_on_commit_callbacks)
    assert request.status == S.CHECKED_OUT
    assert NcipCall.objects.get(request=request, service="CheckOutItem").status == NcipCallStatus.PENDING
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 1


def test_staff_skip_a_failed_call_and_the_next_one_is_sent(home, staff, patron, connect, ils, client,
                                                          django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    ils.add_item(request.number, title="Made at the desk")
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    act(request, "check_out", Actor.staff(staff), django_capture_on_commit_callbacks)
    failed = NcipCall.objects.get(request=request, service="AcceptItem")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:ncip-skip", args=["borrowing", request.pk, failed.pk]))
    assert response.status_code == 302
    assert NcipCall.objects.get(pk=failed.pk).status == NcipCallStatus.SKIPPED
    assert NcipCall.objects.get(request=request, service="CheckOutItem").status == NcipCallStatus.DONE


def test_staff_retry_a_failed_call_once_the_ils_is_fixed(home, staff, patron, connect, ils, client,
                                                        django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    ils.add_item(request.number, title="In the way")
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    failed = NcipCall.objects.get(request=request, service="AcceptItem")
    ils.reset()
    ils.add_user("21000001")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:ncip-retry", args=["borrowing", request.pk, failed.pk]))
    assert NcipCall.objects.get(pk=failed.pk).status == NcipCallStatus.DONE


def test_staff_of_another_library_cannot_skip_a_call(home, patron, connect, ils, client,
                                                     django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    ils.down()
    act(request, "receive", Actor.staff(StaffFactory(library=home)), django_capture_on_commit_callbacks)
    call = NcipCall.objects.get(request=request)
    client.force_login(StaffFactory(library=MemberLibraryFactory()))
    assert client.post(reverse("staff:ncip-skip", args=["borrowing", request.pk, call.pk])).status_code == 404
    assert NcipCall.objects.get(pk=call.pk).status == NcipCallStatus.PENDING


def test_when_the_desk_checks_out_in_the_ils_no_check_out_is_sent(home, staff, patron, connect, ils,
                                                                  django_capture_on_commit_callbacks):
    connect(home, ils_checks_out=True)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    act(request, "check_out", Actor.staff(staff), django_capture_on_commit_callbacks)
    assert ils.services_received() == ["AcceptItem"]


def test_a_refused_renewal_sends_nothing_to_the_ils(home, staff, patron, connect, ils,
                                                    django_capture_on_commit_callbacks):
    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    act(request, "check_out", Actor.staff(staff), django_capture_on_commit_callbacks)
    act(request, "lender_renewal_answer", Actor.partner(request.partner), django_capture_on_commit_callbacks,
        answer="N")
    assert "RenewItem" not in ils.services_received()


def test_nothing_is_sent_when_ncip_is_off(home, staff, patron, connect, ils, django_capture_on_commit_callbacks):
    connect(home, enabled=False)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    assert not NcipCall.objects.filter(request=request).exists() and ils.log() == []


def test_the_shared_secret_in_the_message_is_never_kept_on_the_call(home, staff, patron, connect, ils,
                                                                   django_capture_on_commit_callbacks):
    from requests_app.utilities.credentials import encrypt

    ils.settings(from_agency_auth="symphony-s3cret")
    connect(home, ils="symphony", auth_scheme="from_agency", secret=encrypt("symphony-s3cret"))
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    call = NcipCall.objects.get(request=request, service="AcceptItem")
    assert call.status == NcipCallStatus.DONE
    assert "symphony-s3cret" not in call.sent_xml and "[secret]" in call.sent_xml


def test_the_form_and_the_submission_ask_the_ils_about_the_patron_once(home, patron, connect, ils):
    from borrowing.services.requests import request_refusal

    connect(home)
    assert request_refusal(patron=patron) is None  # the form opening
    submit_request(patron=patron, title="Middlemarch", format=RequestFormat.BOOK)
    assert ils.services_received() == ["LookupUser"]


def test_a_copy_never_goes_to_the_ils(home, staff, patron, connect, ils, django_capture_on_commit_callbacks):
    from requests_app.models import ServiceType

    connect(home)
    request = shipped_loan(home, patron, django_capture_on_commit_callbacks)
    IllRequest.objects.filter(pk=request.pk).update(service_type=ServiceType.COPY)
    act(request, "receive", Actor.staff(staff), django_capture_on_commit_callbacks)
    assert ils.log() == []


def test_retrying_an_unanswered_patron_check_asks_the_ils_again(home, staff, patron, connect, ils,
                                                                django_capture_on_commit_callbacks):
    connect(home)
    ils.down()
    request = submit_request(patron=patron, title="Middlemarch", format=RequestFormat.BOOK)
    check = NcipCall.objects.get(request=request, service="LookupUser")
    ils.down(False)
    ils.add_user("21000001", blocked="Lost items")
    with django_capture_on_commit_callbacks(execute=True):
        calls.retry(call=check, actor=staff)
    check.refresh_from_db()
    assert check.status == NcipCallStatus.FAILED and "Lost items" in check.answer
    ils.add_user("21000001", blocked="")
    with django_capture_on_commit_callbacks(execute=True):
        calls.retry(call=check, actor=staff)
    check.refresh_from_db()
    assert check.status == NcipCallStatus.DONE and "may borrow" in check.answer


def test_a_delete_item_that_failed_after_the_loan_completed_is_listed_until_staff_retry_it(
        home, staff, patron, connect, ils, client, settings, django_capture_on_commit_callbacks):
    settings.ILLMS_OUTBOX_MAX_ATTEMPTS = 1
    connect(home)
    capture = django_capture_on_commit_callbacks
    request = shipped_loan(home, patron, capture)
    desk = Actor.staff(staff)
    act(request, "receive", desk, capture)
    act(request, "check_out", desk, capture)
    act(request, "check_in", desk, capture)
    ils.down()
    request = act(request, "lender_checked_in", Actor.partner(request.partner), capture)
    assert request.status == S.COMPLETED
    delete = NcipCall.objects.get(request=request, service="DeleteItem")
    assert delete.status == NcipCallStatus.FAILED
    client.force_login(staff)
    listed = client.get(reverse("borrowing_staff:queue"), {"needs": "ncip_failed"}).context["page"]
    assert [row.number for row in listed] == [request.number]
    ils.down(False)
    with capture(execute=True):
        client.post(reverse("staff:ncip-retry", args=["borrowing", request.pk, delete.pk]))
    assert NcipCall.objects.get(pk=delete.pk).status == NcipCallStatus.DONE and ils.item(request.number) is None
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 0
