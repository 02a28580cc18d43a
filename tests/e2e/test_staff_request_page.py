"""The staff request page opens on the citation, the patron and the lender; the edit form waits behind a disclosure."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from requests_app.models import RequestFormat
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_staff_request_page_puts_patron_and_lender_before_the_citation_form(live_server, browser, width):
    home = MemberLibraryFactory(symbol="HOME", name="Home University Library")
    staff = StaffFactory(library=home, username=f"cora{width}")
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, format=RequestFormat.ARTICLE,
                                title="Judgment under uncertainty", author="Tversky, A.", container_title="Science",
                                volume="185", issue="4157", pages="1124-1131", publication_date="1974")
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/borrowing/requests/{request.pk}/")
        page.get_by_label("Username").fill(staff.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/borrowing/requests/{request.pk}/")

        assert page.get_by_text("Science, vol. 185, no. 4157, pp. 1124–1131").is_visible()
        patron = page.get_by_role("heading", name="Patron and loan")
        disclosure = page.locator("#edit-citation")
        assert patron.bounding_box()["y"] < disclosure.bounding_box()["y"]
        assert not page.get_by_label("Volume").is_visible()
        assert serious_accessibility_violations(page) == []

        page.get_by_text("Edit citation").click()
        assert page.get_by_label("Volume").is_visible()
        assert serious_accessibility_violations(page) == []
    finally:
        context.close()
