"""In a browser, a missing page and a refused one are the site's styled pages: menu, reason, ways back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, PatronFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ["ILLMS_E2E_SCREENSHOTS"]) if os.environ.get("ILLMS_E2E_SCREENSHOTS") else None


def sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def keep(page, name: str, tmp_path) -> None:
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_missing_page_in_the_browser_is_the_styled_404_with_the_patrons_menu(live_server, page, tmp_path):
    sign_in(page, live_server, PatronFactory(first_name="Amara", last_name="Okafor"))
    response = page.goto(f"{live_server.url}/requests/no-such-page/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert "There is no page at this address" in page.locator("main").inner_text()
    assert "Traceback" not in page.content() and "URLconf" not in page.content()
    # The site's styles are applied (the dark menu bar), and the menu is the patron's.
    background = page.eval_on_selector("nav[aria-label=Main]", "el => getComputedStyle(el).backgroundColor")
    assert background not in {"rgba(0, 0, 0, 0)", "transparent"}
    keep(page, "error-404-patron", tmp_path)
    assert serious_accessibility_violations(page) == []
    page.get_by_role("navigation", name="Ways back").get_by_role("link", name="Help").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Help with interlibrary loan"


def test_a_patron_on_a_staff_page_reads_why_and_gets_back_home(live_server, page, tmp_path):
    sign_in(page, live_server, PatronFactory())
    response = page.goto(f"{live_server.url}/lending/")
    assert response.status == 403
    assert "your account is a patron's" in page.locator("main").inner_text()
    keep(page, "error-403-patron", tmp_path)
    assert serious_accessibility_violations(page) == []
    page.get_by_role("navigation", name="Ways back").get_by_role("link", name="Home").click()
    page.wait_for_url(f"{live_server.url}/")
