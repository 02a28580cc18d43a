"""The main menu in a desktop browser: the administrator's menu on one line, its dropdowns opened by keyboard."""

from __future__ import annotations

import pytest

from requests_app import roles
from tests.e2e.conftest import give_code_if_asked, serious_accessibility_violations
from tests.factories import PASSWORD, StaffFactory, give_authenticator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code_if_asked(page, user.username)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/help/")


def test_the_administrators_menu_fits_one_line_at_1366_pixels(live_server, laptop):
    admin = StaffFactory(username="ian", first_name="Ian", last_name="Adeyemi-Okonkwo", is_staff=True,
                         groups=[roles.ILL_ADMINISTRATOR])
    give_authenticator(admin)
    sign_in(laptop, live_server, admin)
    items = laptop.locator("nav[aria-label=Main] .navbar-nav > .nav-item")
    assert items.count() >= 6
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    assert len({round(box["y"]) for box in boxes}) == 1, "the menu wraps onto a second row"
    assert max(box["height"] for box in boxes) < 45, "a menu item's name wraps onto two lines"
    sign_out = laptop.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out["height"] < 40, "the Sign out button wraps onto two lines"
    assert laptop.locator("nav[aria-label=Main]").bounding_box()["height"] < 70
    assert serious_accessibility_violations(laptop) == []


def test_a_menu_opens_by_keyboard_and_its_pages_are_reached_with_the_arrow_keys(live_server, laptop):
    sign_in(laptop, live_server, StaffFactory(username="bea", groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF]))
    toggle = laptop.locator("#nav-lending")
    toggle.focus()
    laptop.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert laptop.get_by_role("link", name="Holdings").is_visible()
    assert serious_accessibility_violations(laptop) == []
    laptop.keyboard.press("ArrowDown")
    laptop.keyboard.press("ArrowDown")
    assert laptop.evaluate("document.activeElement.textContent") == "Lending scan"
    laptop.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    laptop.keyboard.press("Enter")
    laptop.keyboard.press("ArrowDown")
    laptop.keyboard.press("Enter")
    laptop.wait_for_url(f"{live_server.url}/lending/")


def test_on_a_phone_the_menus_open_from_the_collapsed_navigation(live_server, page):
    sign_in(page, live_server, StaffFactory(username="bea", groups=[roles.BORROWING_STAFF]))
    assert not page.locator("#nav-borrowing").is_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    page.locator("#nav-borrowing").click()
    page.get_by_role("link", name="Copyright", exact=True).click()
    page.wait_for_url(f"{live_server.url}/borrowing/copyright/")
