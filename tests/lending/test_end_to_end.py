"""Another member library borrows a book and an article from us, end to end, through the outbox."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from borrowing.states import BorrowingStatus
from lending.models import ElectronicDelivery, LendingDetail
from lending.services import answers, edelivery
from lending.services.printing import print_pull_slips
from lending.states import LendingStatus
from requests_app import services
from requests_app.models import Event, IllRequest
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory
from tests.lending.factories import HoldingFactory
from tests.lending.test_edelivery import scan_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_libraries(library):
    borrower = MemberLibraryFactory(symbol="BRW")
    return borrower, Actor.staff(StaffFactory(library=borrower)), Actor.staff(StaffFactory(library=library))


def test_a_member_library_borrows_a_book_from_us_and_returns_it(library, two_libraries,
                                                                  django_capture_on_commit_callbacks):
    borrower, borrower_staff, lender_staff = two_libraries
    holding = HoldingFactory(library=library, isbn="9780226458083", call_number="Q175 .K95 1996")
    borrowing = IllRequestFactory(library=borrower, partner=library, status=BorrowingStatus.SOURCING,
                                  requesting_agency_request_id="BRW-1", isbn="9780226458083")

    def act(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    def borrower_does(action):
        act(services.perform, request=IllRequest.objects.get(pk=borrowing.pk), action=action, actor=borrower_staff)

    borrower_does("send_to_lender")
    lending = IllRequest.objects.get(role="lending", library=library)
    assert LendingDetail.objects.get(request=lending).holding == holding
    act(print_pull_slips, library=library, request_ids=[lending.pk], actor=lender_staff)
    act(answers.will_supply, request=IllRequest.objects.get(pk=lending.pk), actor=lender_staff)
    act(answers.ship, request=IllRequest.objects.get(pk=lending.pk), actor=lender_staff, tracking_number="1Z1")
    borrowing.refresh_from_db()
    assert borrowing.status == BorrowingStatus.SHIPPED
    for action in ("receive", "notify_patron", "check_out", "check_in", "return_ship"):
        borrower_does(action)
    act(answers.check_in, request=IllRequest.objects.get(pk=lending.pk), actor=lender_staff)
    borrowing.refresh_from_db()
    lending.refresh_from_db()
    assert (borrowing.status, lending.status) == (LendingStatus.COMPLETED, LendingStatus.COMPLETED)


def copy_delivered(library, two_libraries, capture, rid: str) -> tuple[IllRequest, ElectronicDelivery]:
    """The borrower asks us for an article; we deliver the scan: the borrowing request and our delivery."""
    borrower, borrower_staff, lender_staff = two_libraries
    borrowing = IllRequestFactory(library=borrower, partner=library, status=BorrowingStatus.SOURCING, format="article",
                                  service_type="Copy", title="On computable numbers",
                                  container_title="Proc. London Math. Soc.", requesting_agency_request_id=rid)
    with capture(execute=True):
        services.perform(request=borrowing, action="send_to_lender", actor=borrower_staff)
    lending = IllRequest.objects.get(role="lending", library=library)
    with capture(execute=True):
        delivery = edelivery.deliver_copy(request=lending, actor=lender_staff, base_url="https://ill.example.org",
                                          upload=SimpleUploadedFile("scan.pdf", scan_pdf()))
    return borrowing, delivery


def test_a_member_library_gets_an_article_from_us_as_a_download_link(library, two_libraries,
                                                                       django_capture_on_commit_callbacks):
    borrowing, delivery = copy_delivered(library, two_libraries, django_capture_on_commit_callbacks, "BRW-2")
    borrowing.refresh_from_db()
    assert borrowing.status == BorrowingStatus.DELIVERED
    url = Event.objects.filter(request=borrowing, actor_kind="partner").latest("pk").data["url"]
    assert url == f"https://ill.example.org/delivery/{delivery.token}/"
    assert Client().get(url.removeprefix("https://ill.example.org")).status_code == 200
    assert ElectronicDelivery.objects.get().download_count == 1


def test_the_borrowers_patron_downloads_our_scan_from_my_requests_and_a_reissued_link_reaches_them(
        library, two_libraries, django_capture_on_commit_callbacks, settings):
    settings.ILLMS_EDELIVERY_MAX_DOWNLOADS = 1
    borrowing, delivery = copy_delivered(library, two_libraries, django_capture_on_commit_callbacks, "BRW-3")
    patron = Client()
    patron.force_login(borrowing.patron)
    to_lender = patron.get(reverse("patron-request-copy", args=[borrowing.pk]))
    assert to_lender["Location"] == f"https://ill.example.org/delivery/{delivery.token}/"
    pdf = patron.get(to_lender["Location"].removeprefix("https://ill.example.org"))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert patron.get(reverse("patron-request-copy", args=[borrowing.pk]))["Location"].endswith(
        f"/requests/{borrowing.pk}/")  # the one download allowed is used

    with django_capture_on_commit_callbacks(execute=True):
        reissued = edelivery.reissue_link(delivery=delivery, base_url="https://ill.example.org")
    again = patron.get(reverse("patron-request-copy", args=[borrowing.pk]))
    assert again["Location"] == f"https://ill.example.org/delivery/{reissued.token}/"
