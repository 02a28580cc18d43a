"""A clerk whose profile says German works the borrowing queue in German: the needs-action lists, the statuses,
the search, the column headers and a bulk action asked for in the confirmation dialog.

Scope: the queue page (the request page of the desk is not translated yet, docs/translations.md)."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest, StaffProfile
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_german_clerk_finds_new_requests_and_cancels_one_in_german(live_server, desk, compiled_translations,
                                                                       tmp_path):
    page = desk
    home = MemberLibraryFactory(symbol="HOME", name="Universitätsbibliothek Heimstadt")
    staff = StaffFactory(library=home, username="berta")
    StaffProfile.objects.filter(user=staff).update(language="de")
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, title="Der Zauberberg")
    IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, title="Buddenbrooks")

    page.goto(f"{live_server.url}/borrowing/queue/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/borrowing/queue/**")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", name="Nehmende Fernleihe", exact=True).is_visible()
    assert page.get_by_role("heading", name="Zu erledigen").is_visible()

    page.get_by_role("link", name="Neue Bestellungen zu prüfen").click()
    page.wait_for_url("**needs=to_review**")
    assert page.get_by_role("heading", name="Nehmende Fernleihe: Neue Bestellungen zu prüfen").is_visible()
    assert page.get_by_role("columnheader", name="Titel").is_visible()
    assert page.get_by_text("2 Bestellungen angezeigt").is_visible()
    assert serious_accessibility_violations(page) == []

    page.get_by_label(f"{request.number} auswählen").check()
    page.get_by_label("Mit den ausgewählten Bestellungen").select_option("cancel")
    page.get_by_role("button", name="Ausführen").click()
    dialog = page.get_by_role("dialog")
    assert dialog.get_by_text("Noch wurde nichts geändert.").is_visible()
    dialog.get_by_role("button", name="Bestätigen: Stornieren").click()
    page.get_by_role("alert").filter(has_text=f"Stornieren: 1 Bestellung erledigt ({request.number}).").wait_for()
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED
    assert IllRequest.objects.filter(status=BorrowingStatus.SUBMITTED).count() == 1
    page.screenshot(path=str(tmp_path / "borrowing-desk-de.png"), full_page=True)  # docs/images/ has a copy
