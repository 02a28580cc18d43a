"""Buying instead of borrowing in the browser: the request page proposes it, staff order, the order is shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from borrowing.models import PurchaseOrder, PurchaseRule, PurchaseVendor
from borrowing.states import BorrowingStatus
from requests_app.models import OutgoingEmail, PatronCategory, RequestFormat
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, IllRequestFactory, MemberLibraryFactory, StaffFactory
from tests.url_walk import screenshot_folder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_accept_the_proposed_purchase_and_the_page_shows_the_order(live_server, browser):
    home = MemberLibraryFactory(symbol="HOME", name="Home University Library", currency="EUR")
    staff = StaffFactory(library=home, username="buyer")
    PurchaseVendor.objects.create(library=home, name="Dawson Books", order_email="orders@dawson.example",
                                  customer_id="CUST-1", currency="EUR")
    PurchaseRule.objects.create(library=home, name="Recent books for faculty", formats=[RequestFormat.BOOK],
                                published_within_years=3, max_price=Decimal("60"), currency="EUR",
                                patron_categories=[PatronCategory.FACULTY], fund="Monographs")
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, title="Deep Learning",
                                author="Goodfellow, Ian", isbn="9780262035613", publisher="MIT Press",
                                publication_date=str(timezone.localdate().year - 1),
                                patron_category=PatronCategory.FACULTY)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    folder = screenshot_folder() / "purchase"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{live_server.url}/borrowing/requests/{request.pk}/")
        page.get_by_label("Username").fill(staff.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/borrowing/requests/{request.pk}/")

        assert page.get_by_text("Buying is proposed: the rule “Recent books for faculty” matches.").is_visible()
        assert serious_accessibility_violations(page) == []
        page.locator("#purchase").screenshot(path=str(folder / "proposal.png"))
        page.get_by_label("Price per copy (the vendor's quote)").fill("45.00")
        page.get_by_role("button", name="Buy instead: send the order").click()
        page.wait_for_url(f"**/borrowing/requests/{request.pk}/")

        order = PurchaseOrder.objects.get(request=request)
        assert page.get_by_text(order.number).first.is_visible()
        assert page.get_by_role("button", name="Purchase received").is_visible()
        assert OutgoingEmail.objects.filter(request=request, recipient="orders@dawson.example").exists()
        assert serious_accessibility_violations(page) == []
        page.screenshot(path=str(folder / "ordered.png"), full_page=True)
    finally:
        context.close()
