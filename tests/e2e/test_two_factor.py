"""An ILL administrator sets up an authenticator app at the first sign-in and signs in with its code, in a browser."""

from __future__ import annotations

import base64
import time

import pytest

from requests_app import roles
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app holding ``secret`` (base32, as the page shows it) displays."""
    from django_otp.oath import TOTP

    text = secret.replace(" ", "")
    totp = TOTP(base64.b32decode(text + "=" * (-len(text) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_an_administrator_sets_up_an_authenticator_then_signs_in_with_its_code(live_server, laptop):
    page = laptop
    StaffFactory(username="ian", library=MemberLibraryFactory(), groups=[roles.ILL_ADMINISTRATOR], is_staff=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ian")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/accounts/two-factor/set-up/")
    assert page.locator("figure.two-factor-qr svg").is_visible()
    assert serious_accessibility_violations(page) == []
    secret = page.locator("[data-secret]").inner_text()
    page.goto(f"{live_server.url}/policies/")
    assert "/accounts/login/" in page.url, "nothing else is reachable before the set-up is done"
    page.go_back()
    page.wait_for_url("**/accounts/two-factor/set-up/")
    page.get_by_label("Code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url("**/accounts/two-factor/recovery-codes/")
    assert page.get_by_role("list", name="Recovery codes").locator("li").count() == 10
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as a text file").click()
    assert download.value.suggested_filename == "illms-recovery-codes.txt"
    page.get_by_role("button", name="I have kept them: go on").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ian")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/")
    assert serious_accessibility_violations(page) == []
    # The code that confirmed the app was this period's; a code works once, so the app's next one.
    page.get_by_label("Code").fill(app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("button", name="Sign out").is_visible()
