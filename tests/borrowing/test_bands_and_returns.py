"""Book bands at receive, the return label at check-in, and the return's tracking number told to the lender."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from borrowing import pdf
from borrowing.models import ReturnShipment
from borrowing.services import loans
from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles, services
from requests_app.models import Event, IllRequest, OutboxMessage, PatronRecordAccess
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", name="Home University Library", address_line1="1 Library Walk",
                                city="Springfield")


@pytest.fixture
def lender():
    return MemberLibraryFactory(symbol="LEND", name="Lender College Library", address_line1="9 Stack Road",
                                city="Shelbyville", postal_code="62565")


@pytest.fixture
def staff_user(client, home):
    user = StaffFactory(library=home, groups=[roles.BORROWING_STAFF])
    client.force_login(user)
    return user


def pdf_text(data: bytes) -> str:
    """The PDF's text with its line breaks read as spaces (a band is narrow)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def received(home, lender, **fields) -> IllRequest:
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.RECEIVED,
                                due_date=dt.date(2027, 3, 1), patron_due_date=dt.date(2027, 2, 24), **fields)
    request.patron.first_name, request.patron.last_name = "Amara", "Okafor"
    request.patron.save()
    return IllRequest.objects.select_related("patron__patron_profile", "partner", "library",
                                             "pickup_location").get(pk=request.pk)


def test_a_book_band_names_the_patron_due_dates_lender_and_its_conditions(home, lender):
    request = received(home, lender)
    Event.objects.create(request=request, action="lender_conditional", from_status=BorrowingStatus.SENT,
                         to_status=BorrowingStatus.CONDITIONAL, note="In the reading room",
                         data={"loan_conditions": ["LibraryUseOnly"]})
    Event.objects.create(request=request, action="accept_conditions", from_status=BorrowingStatus.CONDITIONAL,
                         to_status=BorrowingStatus.EXPECTS_TO_SUPPLY)
    text = pdf_text(pdf.book_bands([request]))
    assert "Amara Okafor" in text and request.patron.patron_profile.card_barcode in text
    assert "02/24/2027" in text and "03/01/2027" in text
    assert "LEND" in text and "Lender College Library" in text
    assert "Library use only – In the reading room" in text


def test_a_book_band_without_conditions_says_none(home, lender):
    text = pdf_text(pdf.book_bands([received(home, lender)]))
    assert "Conditions" in text and "none" in text


def test_the_book_band_pdf_is_served_to_borrowing_staff_and_logs_the_look_at_the_patron(client, staff_user, home,
                                                                                        lender):
    request = received(home, lender)
    response = client.get(reverse("borrowing_staff:book-bands"), {"ids": request.pk})
    assert response["Content-Type"] == "application/pdf"
    assert "Amara Okafor" in pdf_text(response.content)
    assert PatronRecordAccess.objects.filter(staff=staff_user, request=request, what="book band").exists()


def test_another_librarys_book_band_is_not_found(client, staff_user, lender):
    other = IllRequestFactory(partner=lender, status=BorrowingStatus.RECEIVED)
    assert client.get(reverse("borrowing_staff:book-bands"), {"ids": other.pk}).status_code == 404


def test_the_received_request_page_offers_the_book_band(client, staff_user, home, lender):
    request = received(home, lender)
    content = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert f'{reverse("borrowing_staff:book-bands")}?ids={request.pk}' in content


def test_a_scan_at_check_out_shows_the_patron_and_the_due_date(client, staff_user, home, lender):
    request = received(home, lender)
    response = client.post(reverse("borrowing_staff:scan"), {"mode": "check_out", "code": request.number},
                           headers={"HX-Request": "true"})
    content = response.content.decode()
    request.refresh_from_db()
    assert "Amara Okafor" in content and request.patron.patron_profile.card_barcode in content
    assert request.patron_due_date.strftime("%m/%d/%Y") in content


def test_a_scan_at_receive_offers_the_book_band(client, staff_user, home, lender):
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.SHIPPED)
    content = client.post(reverse("borrowing_staff:scan"), {"mode": "receive", "code": request.number},
                          headers={"HX-Request": "true"}).content.decode()
    assert f'{reverse("borrowing_staff:book-bands")}?ids={request.pk}' in content


def test_a_scan_at_check_in_offers_the_return_label(client, staff_user, home, lender):
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT)
    content = client.post(reverse("borrowing_staff:scan"), {"mode": "check_in", "code": request.number},
                          headers={"HX-Request": "true"}).content.decode()
    assert f'{reverse("borrowing_staff:return-labels")}?ids={request.pk}' in content


def test_the_return_label_is_addressed_to_the_lender_with_our_request_barcode(home, lender):
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.RETURNED,
                                supplying_agency_request_id="LEND-77")
    text = pdf_text(pdf.return_labels([IllRequest.objects.select_related("library", "partner").get(pk=request.pk)]))
    assert "Lender College Library" in text and "9 Stack Road" in text and "Shelbyville" in text
    assert request.number in text and "LEND-77" in text and "Home University Library" in text


def test_shipping_back_keeps_the_tracking_number_and_tells_the_lender_in_the_shipped_return_note(home, lender):
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.RETURNED)
    loans.return_ship(request=request, actor=Actor.staff(StaffFactory(library=home)), carrier="UPS",
                      tracking_number="1Z999AA10123456784")
    request.refresh_from_db()
    shipment = ReturnShipment.objects.get(request=request)
    message = OutboxMessage.objects.get(request=request)
    assert (request.status, shipment.carrier, shipment.tracking_number) == (
        BorrowingStatus.RETURN_SHIPPED, "UPS", "1Z999AA10123456784")
    assert message.summary == "ShippedReturn"
    assert message.payload["note"] == "Shipped back by UPS, tracking 1Z999AA10123456784."


def test_shipping_back_from_the_request_page_takes_the_tracking_number(client, staff_user, home, lender):
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.RETURNED)
    client.post(reverse("borrowing_staff:action", args=[request.pk, "return_ship"]), {
        "expected_status": BorrowingStatus.RETURNED, "carrier": "USPS", "tracking_number": "9400111899223"})
    assert ReturnShipment.objects.get(request=request).tracking_number == "9400111899223"
    content = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert "tracking 9400111899223" in content
    assert f'{reverse("borrowing_staff:return-labels")}?ids={request.pk}' in content


def test_shipping_back_without_tracking_sends_no_note(home, lender):
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.RETURNED)
    loans.return_ship(request=request, actor=Actor.staff(StaffFactory(library=home)))
    assert not OutboxMessage.objects.get(request=request).payload.get("note")


def test_the_lender_sees_the_return_tracking_number_on_its_request_page(client, home, lender,
                                                                        django_capture_on_commit_callbacks):
    borrowing = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.SOURCING,
                                  requesting_agency_request_id="HOME-1")
    ours, theirs = Actor.staff(StaffFactory(library=home)), StaffFactory(library=lender)

    def act(request, action, actor, **data):
        with django_capture_on_commit_callbacks(execute=True):
            services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=actor, data=data)

    act(borrowing, "send_to_lender", ours)
    lending = IllRequest.objects.get(role="lending", library=lender)
    for action in ("print_pull_slip", "will_supply", "ship"):
        act(lending, action, Actor.staff(theirs))
    for action in ("receive", "notify_patron", "check_out", "check_in"):
        act(borrowing, action, ours)
    with django_capture_on_commit_callbacks(execute=True):
        loans.return_ship(request=IllRequest.objects.get(pk=borrowing.pk), actor=ours, carrier="FedEx",
                          tracking_number="7712 3456")
    lending.refresh_from_db()
    assert lending.status == LendingStatus.RETURN_SHIPPED
    client.force_login(theirs)
    content = client.get(reverse("lending:request", args=[lending.pk])).content.decode()
    assert "Shipped back by FedEx, tracking 7712 3456." in content
