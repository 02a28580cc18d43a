"""A patron downloads the scan another member library delivered, from My requests, in a browser."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from borrowing.states import BorrowingStatus
from lending.models import ElectronicDelivery
from lending.services import edelivery
from requests_app import services
from requests_app.models import IllRequest
from requests_app.workflow import Actor
from tests.factories import PASSWORD, IllRequestFactory, MemberLibraryFactory, PatronFactory, StaffFactory
from tests.lending.test_edelivery import scan_pdf

from .conftest import serious_accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_patron_downloads_a_delivered_article_from_my_requests(live_server, page):
    patron = PatronFactory(username="grace", first_name="Grace", last_name="Hopper")
    home, lender = patron.patron_profile.library, MemberLibraryFactory(symbol="LND")
    borrowing = IllRequestFactory(library=home, patron=patron, partner=lender, status=BorrowingStatus.SOURCING,
                                  format="article",
                                  service_type="Copy", title="The education of a computer",
                                  requesting_agency_request_id=f"{home.symbol}-77")
    services.perform(request=borrowing, action="send_to_lender", actor=Actor.staff(StaffFactory(library=home)))
    lending = IllRequest.objects.get(role="lending", library=lender)
    edelivery.deliver_copy(request=lending, actor=Actor.staff(StaffFactory(library=lender)), base_url=live_server.url,
                           upload=SimpleUploadedFile("scan.pdf", scan_pdf()))
    assert IllRequest.objects.get(pk=borrowing.pk).status == BorrowingStatus.DELIVERED

    page.goto(f"{live_server.url}/requests/")
    page.get_by_label("Username").fill(patron.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/requests/")
    row = page.get_by_role("listitem").filter(has_text="The education of a computer")
    assert row.get_by_text("5 downloads left").is_visible()
    assert serious_accessibility_violations(page) == []

    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download your copy").click()
    download = download_info.value
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert ElectronicDelivery.objects.get().download_count == 1
    assert borrowing.patron_downloads.get().download_count == 1
