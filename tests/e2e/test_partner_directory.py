"""The partner directory in a desktop browser: search, open a partner, read its entry; axe clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from requests_app import roles
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ["ILLMS_E2E_SCREENSHOTS"]) if os.environ.get("ILLMS_E2E_SCREENSHOTS") else None


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_clerk_finds_a_partner_by_city_and_reads_its_entry(live_server, laptop, tmp_path):
    own = MemberLibraryFactory(symbol="OWN", reciprocal_groups="NRLC")
    LibraryFactory(symbol="AAA", name="Alpha University Library", city="Springfield", contact_name="Grace Hopper",
                   phone="+1 555 0100", address_line1="1 Main Street", loan_fee="5.00", reciprocal_groups="NRLC",
                   iso18626_endpoint="https://ill:secret@ill.alpha.example.org/iso18626")
    LibraryFactory(symbol="DE-1", name="Berlin State Library", city="Berlin", country="DE")
    clerk = StaffFactory(username="cleo", library=own, groups=[roles.BORROWING_STAFF])
    laptop.goto(f"{live_server.url}/accounts/login/")
    laptop.get_by_label("Username").fill(clerk.username)
    laptop.get_by_label("Password").fill(PASSWORD)
    laptop.get_by_role("button", name="Sign in").click()
    laptop.wait_for_url(f"{live_server.url}/")

    laptop.get_by_role("link", name="Partners").click()
    laptop.get_by_label("Name, symbol or ISIL, city").fill("springfield")
    laptop.get_by_role("button", name="Search").click()
    assert laptop.get_by_role("link", name="Alpha University Library").is_visible()
    assert laptop.get_by_role("link", name="Berlin State Library").count() == 0
    assert serious_accessibility_violations(laptop) == []
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    laptop.screenshot(path=str(folder / "partners-list.png"), full_page=True)

    laptop.get_by_role("link", name="Alpha University Library").click()
    assert laptop.get_by_role("heading", name="Contacts").is_visible()
    assert "Grace Hopper" in laptop.content()
    assert "secret" not in laptop.locator("main").inner_text()
    assert "both lend without fees in NRLC" in laptop.locator("main").inner_text()
    assert serious_accessibility_violations(laptop) == []
    laptop.screenshot(path=str(folder / "partners-detail.png"), full_page=True)
