"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Chromium is /usr/bin/chromium (``.ci/run`` installs it with apt). Without it the tests skip,
unless CI=true or ILLMS_REQUIRE_SERVICES is set: then they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told it is safe (the test thread owns its connection).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("ILLMS_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
MUST_RUN = REQUIRE_SERVICES or os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if MUST_RUN:
        pytest.fail(f"{reason} (CI or ILLMS_REQUIRE_SERVICES is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("needs the playwright Python package (pip install -e .[dev])")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone-sized window
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def serious_accessibility_violations(page) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, readable."""
    # Evaluated through the browser's debugging protocol: a <script> tag with axe inside would be an inline
    # script, which the Content-Security-Policy refuses.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in result["violations"] if v.get("impact") in {"serious", "critical"}
    ]


def give_code_if_asked(page, username: str) -> None:
    """After the password, the code page asks staff with an authenticator for its code: type the one the app
    would show now (the next period's when this period's was used already, as two sign-ins within 30 s do)."""
    import time

    from django.contrib.auth import get_user_model

    from tests.factories import totp_code

    page.wait_for_load_state()
    if not page.url.split("?")[0].endswith("/accounts/two-factor/"):
        return
    device = get_user_model().objects.get(username=username).totpdevice_set.get(confirmed=True)
    now_step = int(time.time() - device.t0) // device.step
    if device.last_t >= now_step + 1:  # both periods the app's tolerance allows are used: wait for the next one
        time.sleep((now_step + 1) * device.step + device.t0 - time.time() + 0.5)
        device.refresh_from_db()
        now_step = int(time.time() - device.t0) // device.step
    page.get_by_label("Code").fill(totp_code(device, steps_ahead=1 if device.last_t >= now_step else 0))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
