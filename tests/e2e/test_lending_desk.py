"""A lending staff member takes an incoming request from pull slip to shipped, in a real browser."""

from __future__ import annotations

import pytest

from lending.models import LendingDetail
from lending.states import LendingStatus
from requests_app.models import IllRequest, OutboxMessage
from tests.factories import PASSWORD, MemberLibraryFactory, StaffFactory
from tests.lending.factories import HoldingFactory, IncomingRequestFactory

from .conftest import serious_accessibility_violations as serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_page(browser):
    """A desktop-sized window: the desk's tables are laid out for a staff workstation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_lending_staff_print_the_pull_slip_find_the_item_and_ship_it(live_server, desk_page):
    page = desk_page
    library = MemberLibraryFactory(symbol="LND", name="Lending University Library")
    staff = StaffFactory(library=library, username="lena")
    holding = HoldingFactory(library=library, isbn="9780226458083", call_number="Q175 .K95 1996",
                             location="Level 3")
    # The partner's endpoint refuses connections at once: our messages wait in the outbox, no network needed.
    request = IncomingRequestFactory(library=library, isbn="9780226458083",
                                     title="The Structure of Scientific Revolutions",
                                     partner__iso18626_endpoint="http://127.0.0.1:9/iso18626")
    LendingDetail.objects.create(request=request, holding=holding, match_kind="isbn")

    page.goto(f"{live_server.url}/lending/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/lending/")

    assert serious_violations(page) == []
    row = page.get_by_role("row").filter(has_text=request.number)
    assert row.get_by_text("Held (ISBN)").is_visible()
    assert row.get_by_text("Q175 .K95 1996").is_visible()
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Print pull slips for selected new requests").click()
    page.wait_for_url("**/lending/?status=awaiting_picking**")
    assert page.get_by_text("1 request now awaiting picking.").is_visible()
    href = page.get_by_role("link", name="download the PDF").get_attribute("href")
    slips = page.request.get(f"{live_server.url}{href}")
    assert slips.ok and slips.body().startswith(b"%PDF-")

    page.get_by_role("link", name=request.number).click()
    page.wait_for_url(f"**/lending/requests/{request.pk}/")
    assert page.locator("#match").get_by_text("Q175 .K95 1996").is_visible()
    assert serious_violations(page) == []
    page.locator("form[data-action=will_supply] button[type=submit]").click()
    page.wait_for_url(f"**/lending/requests/{request.pk}/")
    assert page.locator("#status").inner_text() == "Awaiting shipping"

    # Shipping is what comes next: its form is the first action, already open.
    assert page.locator("details:has(form[data-action=ship])").get_attribute("open") is not None
    page.get_by_label("Shipping method").select_option("Courier")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.locator("form[data-action=ship] button[type=submit]").click()
    page.wait_for_url(f"**/lending/requests/{request.pk}/")
    assert page.locator("#status").inner_text() == "Shipped"

    request.refresh_from_db()
    assert request.status == LendingStatus.SHIPPED and request.due_date is not None
    loaned = OutboxMessage.objects.filter(request=request).latest("pk").payload
    assert loaned["status_info"]["status"] == "Loaned"
    assert loaned["shipping_info"]["tracking_ids"] == ["1Z999AA10123456784"]
    assert IllRequest.objects.get(pk=request.pk).events.filter(action="print_pull_slip").exists()
