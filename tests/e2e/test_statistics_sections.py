"""The statistics page's tabs in a browser: a click loads the section into its panel without leaving the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from requests_app import roles
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, StaffFactory
from tests.statistics import scenario

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ["ILLMS_E2E_SCREENSHOTS"]) if os.environ.get("ILLMS_E2E_SCREENSHOTS") else None


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_clicking_a_tab_loads_its_section_and_back_returns_to_the_trend(live_server, laptop, tmp_path):
    month = scenario.build()
    reporter = StaffFactory(username="rita", library=month.own, groups=[roles.REPORTING])
    laptop.goto(f"{live_server.url}/accounts/login/")
    laptop.get_by_label("Username").fill(reporter.username)
    laptop.get_by_label("Password").fill(PASSWORD)
    laptop.get_by_role("button", name="Sign in").click()
    laptop.wait_for_url(f"{live_server.url}/")
    errors = []
    laptop.on("pageerror", lambda error: errors.append(str(error)))
    laptop.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    laptop.goto(f"{live_server.url}/statistics/?start=2026-03-01&end=2026-03-31")
    assert laptop.get_by_role("heading", name="Requests per month, this year and last").is_visible()
    assert laptop.locator("#fill-rate-heading").count() == 0  # not loaded before it is asked for
    loaded = []
    laptop.on("request", lambda request: loaded.append(request.url) if "/statistics/sections/" in request.url
              else None)

    laptop.get_by_role("link", name="Fill rate", exact=True).click()
    fill_rate = laptop.get_by_role("heading", name="Fill rate", exact=True)
    fill_rate.wait_for()
    assert fill_rate.is_visible()
    assert laptop.locator("#panel-trend").is_hidden()
    assert laptop.get_by_role("link", name="Fill rate", exact=True).get_attribute("aria-current") == "page"
    assert laptop.url.endswith("section=fill-rate")
    assert loaded == [f"{live_server.url}/statistics/sections/fill-rate/?start=2026-03-01&end=2026-03-31"]
    assert serious_accessibility_violations(laptop) == []
    (SCREENSHOTS or tmp_path).mkdir(parents=True, exist_ok=True)
    laptop.screenshot(path=str((SCREENSHOTS or tmp_path) / "statistics-fill-rate-tab.png"), full_page=True)

    laptop.go_back()
    laptop.locator("#panel-trend").wait_for(state="visible")
    assert laptop.locator("#panel-fill-rate").is_hidden()
    laptop.get_by_role("link", name="Fill rate", exact=True).click()
    assert laptop.locator("#panel-fill-rate").is_visible()
    assert len(loaded) == 1  # a section loads once
    assert errors == []


def test_a_german_reporter_reads_the_statistics_and_their_tabs_in_german(live_server, laptop, tmp_path,
                                                                          compiled_translations):
    from requests_app.models import StaffProfile

    month = scenario.build()
    reporter = StaffFactory(username="renate", library=month.own, groups=[roles.REPORTING])
    StaffProfile.objects.filter(user=reporter).update(language="de")
    laptop.goto(f"{live_server.url}/accounts/login/")
    laptop.get_by_label("Username").fill(reporter.username)
    laptop.get_by_label("Password").fill(PASSWORD)
    laptop.get_by_role("button", name="Sign in").click()
    laptop.wait_for_url(f"{live_server.url}/")

    laptop.goto(f"{live_server.url}/statistics/?start=2026-03-01&end=2026-03-31")
    assert laptop.get_by_role("heading", name="Bestellungen pro Monat, dieses und letztes Jahr").is_visible()
    laptop.get_by_role("link", name="Bearbeitungszeit", exact=True).click()
    laptop.get_by_role("heading", name="Bearbeitungszeit", exact=True).wait_for()
    table = laptop.locator("#turnaround table")
    assert table.get_by_role("columnheader", name="Median (Tage)").is_visible()
    assert "Alle Partnerbibliotheken" in table.inner_text()
    assert "6,0" in table.inner_text()  # the median of submitted → available, written the German way
    (SCREENSHOTS or tmp_path).mkdir(parents=True, exist_ok=True)
    laptop.screenshot(path=str((SCREENSHOTS or tmp_path) / "statistics-turnaround-tab-de.png"), full_page=True)

    laptop.set_viewport_size({"width": 390, "height": 844})  # a phone
    laptop.reload()
    laptop.get_by_role("heading", name="Bearbeitungszeit", exact=True).wait_for()
    # The tables scroll, not the page.
    assert laptop.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    laptop.screenshot(path=str((SCREENSHOTS or tmp_path) / "statistics-turnaround-tab-de-phone.png"), full_page=True)
