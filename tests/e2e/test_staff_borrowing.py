"""A borrowing staff member sends a request to the first lender of its rota and receives it by barcode."""

from __future__ import annotations

import re

import pytest

from borrowing.services import rota
from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import IllRequest, OutboxMessage, OutboxStatus
from requests_app.workflow import Actor
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def lender_ships(lending: IllRequest, lender_staff: Actor) -> None:
    for action, data in (("print_pull_slip", {}), ("will_supply", {}), ("ship", {"due_date": "2027-01-15"})):
        lending.refresh_from_db()
        services.perform(request=lending, action=action, actor=lender_staff, data=data)


def test_staff_send_a_request_to_the_first_lender_and_receive_it_by_barcode(live_server, desk):
    page = desk
    home = MemberLibraryFactory(symbol="HOME", name="Home University Library", reciprocal_groups="STATE")
    lender = MemberLibraryFactory(symbol="LEND", name="Lending College Library", reciprocal_groups="STATE")
    MemberLibraryFactory(symbol="OTHR", name="Other Library")
    staff = StaffFactory(library=home, username="bea")
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SOURCING, title="Leviathan",
                                requesting_agency_request_id="HOME-1")
    rota.build_rota(request=request)

    page.goto(f"{live_server.url}/borrowing/queue/?status=sourcing")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/borrowing/queue/?status=sourcing")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name=request.number).click()
    page.wait_for_url(f"**/borrowing/requests/{request.pk}/")
    assert serious_accessibility_violations(page) == []
    # The lender's own row (the other lenders' "Why" notes may name LEND too).
    lend_row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=re.compile(r"^LEND\b")))
    assert lend_row.get_by_text("Waiting its turn").is_visible()
    page.get_by_role("button", name="Send to next lender").click()
    page.wait_for_url(f"**/borrowing/requests/{request.pk}/#rota")
    assert page.get_by_text("now “Sent to lender” with LEND").is_visible()
    request.refresh_from_db()
    assert (request.status, request.partner) == (BorrowingStatus.SENT, lender)
    assert OutboxMessage.objects.get(request=request, summary="request").status == OutboxStatus.DELIVERED

    lending = IllRequest.objects.get(role="lending", library=lender)
    lender_ships(lending, Actor.staff(StaffFactory(library=lender)))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SHIPPED

    page.goto(f"{live_server.url}/borrowing/scan/")
    page.get_by_label("Scanner mode").select_option("receive")
    page.get_by_label("Request barcode").fill(request.number)
    page.get_by_label("Request barcode").press("Enter")
    result = page.locator("#scan-results li").first
    result.wait_for()
    assert "Ready for pickup" in result.inner_text()
    assert serious_accessibility_violations(page) == []
    request.refresh_from_db()
    assert request.status == BorrowingStatus.READY_FOR_PICKUP
