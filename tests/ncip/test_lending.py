"""Lending requests place holds, loans and check-ins in our ILS over NCIP, against the test responder."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lending.models import LendingDetail
from lending.services import answers
from lending.states import LendingStatus
from requests_app.models import IllRequest, NcipCall, NcipCallStatus
from requests_app.workflow import Actor
from tests.factories import StaffFactory
from tests.lending.factories import HoldingFactory, IncomingRequestFactory, IsoPartnerFactory
from tests.ncip.loans import act

pytestmark = pytest.mark.django_db
S = LendingStatus


@pytest.fixture
def staff(home):
    return Actor.staff(StaffFactory(library=home))


@pytest.fixture
def wanted(home, ils):
    """A request from partner BRW for a copy we hold (barcode 39015000000001), matched by the availability check."""
    holding = HoldingFactory(library=home, barcode="39015000000001", title="Middlemarch")
    request = IncomingRequestFactory(library=home, partner=IsoPartnerFactory(symbol="BRW"), status=S.AWAITING_PICKING,
                                     title="Middlemarch")
    LendingDetail.objects.create(request=request, holding=holding)
    ils.add_item("39015000000001", title="Middlemarch", call_number="PR4662", location="Stacks")
    ils.add_user("ILL-BRW", name="Borrowing library BRW")
    return request


def test_a_lending_request_places_a_hold_checks_out_and_checks_in_our_copy(
        home, staff, wanted, connect, ils, django_capture_on_commit_callbacks):
    connect(home, lending_patron_id="ILL-{symbol}", lending_pickup_code="ILLOFFICE")
    capture = django_capture_on_commit_callbacks
    act(wanted, "will_supply", staff, capture)
    hold = ils.state()["holds"][wanted.number]
    assert (hold["user"], hold["barcode"], hold["pickup"]) == ("ILL-BRW", "39015000000001", "ILLOFFICE")
    with capture(execute=True):
        answers.ship(request=IllRequest.objects.get(pk=wanted.pk), actor=staff)
    item = ils.item("39015000000001")
    assert (item["status"], item["user"]) == ("On Loan", "ILL-BRW")
    wanted.refresh_from_db()
    assert item["due"].startswith(wanted.due_date.isoformat())
    act(wanted, "check_in", staff, capture)
    assert ils.item("39015000000001")["status"] == "Available"
    assert ils.services_received() == ["RequestItem", "CheckOutItem", "CheckInItem"]
    assert all(entry["valid"] for entry in ils.log())
    assert set(NcipCall.objects.filter(request=wanted).values_list("status", flat=True)) == {NcipCallStatus.DONE}


def test_a_cancelled_lending_request_lifts_its_hold(home, staff, wanted, connect, ils,
                                                    django_capture_on_commit_callbacks):
    connect(home, lending_patron_id="ILL-{symbol}")
    act(wanted, "will_supply", staff, django_capture_on_commit_callbacks)
    act(wanted, "borrower_cancelled", Actor.partner(wanted.partner), django_capture_on_commit_callbacks)
    assert ils.state()["holds"][wanted.number]["status"] == "Cancelled"
    assert ils.services_received() == ["RequestItem", "CancelRequestItem"]


def test_an_unknown_copy_fails_the_hold_and_the_desk_goes_on(home, staff, wanted, connect, ils,
                                                            django_capture_on_commit_callbacks):
    connect(home, lending_patron_id="ILL-{symbol}")
    ils.reset()
    ils.add_user("ILL-BRW")
    request = act(wanted, "will_supply", staff, django_capture_on_commit_callbacks)
    assert request.status == S.AWAITING_SHIPPING
    call = NcipCall.objects.get(request=request, service="RequestItem")
    assert call.status == NcipCallStatus.FAILED and call.problem_type == "Unknown Item"


def test_lending_calls_stay_off_when_the_library_switched_lending_off(home, staff, wanted, connect, ils,
                                                                     django_capture_on_commit_callbacks):
    connect(home, lending=False)
    act(wanted, "will_supply", staff, django_capture_on_commit_callbacks)
    assert ils.log() == [] and not NcipCall.objects.filter(request=wanted).exists()


def test_the_lending_page_shows_our_copy_live_from_the_ils(home, wanted, connect, ils, client):
    connect(home)
    ils.add_item("39015000000001", status="On Shelf", location="Main stacks", call_number="PR4662 .A1")
    client.force_login(StaffFactory(library=home))
    page = client.get(reverse("lending:request", args=[wanted.pk])).content.decode()
    assert "In our ILS now: <strong>On Shelf</strong>, Main stacks, PR4662 .A1." in page


def test_the_lending_page_says_when_the_ils_does_not_answer_and_still_opens(home, wanted, connect, ils, client):
    connect(home)
    ils.down()
    client.force_login(StaffFactory(library=home))
    response = client.get(reverse("lending:request", args=[wanted.pk]))
    assert response.status_code == 200
    assert "The ILS did not answer" in response.content.decode()


def test_the_hold_asks_the_ils_to_have_it_before_the_borrowers_need_by_date(home, staff, wanted, connect, ils,
                                                                           django_capture_on_commit_callbacks):
    import datetime as dt

    connect(home, lending_patron_id="ILL-{symbol}")
    IllRequest.objects.filter(pk=wanted.pk).update(need_by=dt.date(2027, 5, 1))
    act(wanted, "will_supply", staff, django_capture_on_commit_callbacks)
    body = next(entry["body"] for entry in ils.log() if entry["service"] == "RequestItem")
    assert "<ns1:NeedBeforeDate>2027-05-01" in body
