"""A patron whose browser speaks English picks German in the header, signs in and sends a request, all in German."""

from pathlib import Path

import pytest

from requests_app.models import IllRequest
from tests.factories import PASSWORD, PatronFactory

from .conftest import serious_accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: Where the run leaves its screenshot of the sent request (the docs show a copy).
SCREENSHOT = "patron-request-de.png"


def test_a_patron_switches_to_german_signs_in_and_sends_a_book_request_in_german(
        live_server, page, compiled_translations, tmp_path):
    patron = PatronFactory(username="grete", first_name="Grete", last_name="Weiskopf")

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en-us"
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", name="Anmelden").is_visible()

    page.get_by_label("Benutzername").fill(patron.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/requests/new/")
    assert page.get_by_role("heading", name="Neue Bestellung").is_visible()
    page.get_by_role("link", name="Buch Ein ganzes Buch").click()
    page.wait_for_url("**/requests/new/book/")
    assert page.get_by_role("heading", name="Bestellung: Buch").is_visible()
    page.get_by_label("Titel").fill("Der Zauberberg")
    page.get_by_label("Verfasser/in").fill("Mann, Thomas")
    page.get_by_label("Physisch (Abholung in der Bibliothek)").check()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Bestellung abschicken").click()

    page.wait_for_url("**/requests/*/")
    request = IllRequest.objects.get()
    assert (request.patron_id, request.title) == (patron.pk, "Der Zauberberg")
    assert page.get_by_role("alert").filter(
        has_text=f"Ihre Bestellung {request.number} wurde an die Fernleihstelle geschickt.").is_visible()
    assert page.get_by_text("Eingegangen", exact=True).is_visible()
    assert page.get_by_role("heading", name="Bisheriger Verlauf").is_visible()
    assert page.get_by_text("Sie haben die Bestellung abgeschickt").is_visible()
    assert page.get_by_role("button", name="Stornieren").is_visible()
    assert serious_accessibility_violations(page) == []
    shot = tmp_path / SCREENSHOT
    page.screenshot(path=str(shot), full_page=True)
    assert Path(shot).stat().st_size > 10_000
