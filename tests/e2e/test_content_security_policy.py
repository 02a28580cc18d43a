"""In a real browser, no page breaks the Content-Security-Policy, and pages keep their styles and behaviour.

The policy allows no inline script or style. A page that still had one would lose it silently in production:
the browser reports each refusal as a ``securitypolicyviolation`` event and a console error, which these tests
collect on every page each kind of user opens. With ILLMS_SCREENSHOT_DIR set to a folder, they also save a
screenshot of each page in its policy/ sub-folder, to look at (tests/e2e/test_accessibility.py always does).
"""

from __future__ import annotations

import os
import re

import pytest
from django.core.management import call_command

from borrowing.states import BorrowingStatus
from illms.management.commands.seed_demo import DEFAULT_PASSWORD
from requests_app.models import IllRequest
from tests.e2e.conftest import give_code_if_asked
from tests.factories import PASSWORD, IllRequestFactory, MemberLibraryFactory, StaffFactory
from tests.url_walk import screenshot_folder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = screenshot_folder() / "policy" if os.environ.get("ILLMS_SCREENSHOT_DIR") else None

#: Runs before any script of each document: keeps every report of a refused script, style, frame or object.
COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


class Browser:
    """A signed-in browser tab that records policy violations, console errors and script errors per page."""

    def __init__(self, context, base_url: str) -> None:
        self.base_url = base_url
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.add_init_script(COLLECT_VIOLATIONS)
        self.page.on("console", lambda msg: msg.type == "error" and self._console_error(msg.text))
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.page.url}: script error {error}"))
        self.page.on("response", self._response)

    def _console_error(self, text: str) -> None:
        # A failed download is reported below with its address (the console line has none).
        if not text.startswith("Failed to load resource"):
            self.problems.append(f"{self.page.url}: console error {text}")

    def _response(self, response) -> None:
        # A style sheet, script or image that does not load breaks the page; pages answer for themselves,
        # and browsers ask for /favicon.ico whether a site has one or not.
        if response.status >= 400 and response.request.resource_type != "document" \
                and not response.url.endswith("/favicon.ico"):
            self.problems.append(f"{self.page.url}: {response.url} answered {response.status}")

    def sign_in(self, username: str, password: str) -> None:
        self.page.goto(f"{self.base_url}/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        give_code_if_asked(self.page, username)
        assert "/accounts/" not in self.page.url, f"{username} could not sign in"

    def open(self, path: str, *, wait_until: str = "load") -> None:
        response = self.page.goto(f"{self.base_url}{path}", wait_until=wait_until)
        assert response.status == 200, f"{path} answered {response.status}"
        self.check(path)

    def check(self, label: str) -> None:
        self.problems += [f"{label}: {v}" for v in self.page.evaluate("window.__violations || []")]
        if SCREENSHOTS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "home"
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def background_of(self, selector: str) -> str:
        return self.page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")


@pytest.fixture
def open_browser(browser, live_server):
    contexts = []

    def make() -> Browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Browser(context, live_server.url)

    yield make
    for context in contexts:
        context.close()


def demo_pages() -> dict[str, list[str]]:
    """The main pages of each demo account, with real rows of the seeded demo in them."""
    borrowing = IllRequest.objects.filter(role="borrowing", library__symbol="DEMO").exclude(patron=None)
    patron_request = borrowing.filter(patron__username="patron").first() or borrowing.first()
    lending = IllRequest.objects.filter(role="lending", library__symbol="DEMO").first()
    return {
        "patron": ["/", "/requests/", "/requests/new/", "/requests/new/article/", f"/requests/{patron_request.pk}/",
                   "/requests/preferences/", "/requests/help/"],
        "borrowing": ["/", "/borrowing/queue/", f"/borrowing/requests/{borrowing.first().pk}/", "/borrowing/scan/",
                      "/borrowing/copyright/", "/inbox/", "/help/", "/help/borrowing/"],
        "lending": ["/lending/", f"/lending/requests/{lending.pk}/", "/lending/scan/", "/lending/holdings/",
                    "/lending/holdings/import/"],
        "billing": ["/billing/", "/billing/invoices/", "/billing/invoices/create/", "/billing/charges/",
                    "/billing/fees/", "/billing/budgets/", "/billing/budgets/new/", "/billing/exchange-rates/",
                    "/billing/reports/"],
        "reports": ["/statistics/"],
        "illadmin": ["/policies/", "/policies/lending/", "/policies/emails/", "/policies/history/",
                     "/policies/partners/", "/staff/privacy/access-log/", "/accounts/security/"],
        "admin": ["/admin/", "/admin/requests_app/illrequest/", f"/admin/requests_app/illrequest/{lending.pk}/change/",
                  "/admin/auth/user/add/", "/admin/axes/accessattempt/",
                  "/admin/django_celery_beat/periodictask/add/", "/api/v1/requests/"],
    }


def test_no_page_any_kind_of_user_opens_breaks_the_content_security_policy(open_browser):
    call_command("seed_demo", verbosity=0)
    problems = []
    for username, paths in demo_pages().items():
        tab = open_browser()
        tab.sign_in(username, DEFAULT_PASSWORD)
        for path in paths:
            tab.open(path)
            if not path.startswith(("/admin/", "/api/")):
                assert tab.background_of("nav.navbar") == "rgb(33, 37, 41)", f"{path} lost Bootstrap's styles"
        problems += tab.problems
    assert problems == [], "\n".join(problems)


def test_the_api_documentation_runs_under_the_policy(open_browser):
    tab = open_browser()
    tab.open("/api/docs/", wait_until="networkidle")
    tab.page.get_by_text("ILLMS API").first.wait_for()
    assert tab.page.locator(".opblock").count() > 10, "Swagger UI did not render the operations"
    assert tab.background_of("body") == "rgb(250, 250, 250)", "the page styles did not load"
    tab.check("api-docs-rendered")
    assert tab.problems == [], "\n".join(tab.problems)


def test_the_lockout_page_is_styled_and_breaks_no_policy(open_browser):
    staff = StaffFactory(library=MemberLibraryFactory())
    tab = open_browser()
    for _ in range(10):
        tab.page.goto(f"{tab.base_url}/accounts/login/")
        tab.page.get_by_label("Username").fill(staff.username)
        tab.page.get_by_label("Password").fill("not the password")
        tab.page.get_by_role("button", name="Sign in").click()
    tab.check("locked-out")
    assert tab.page.get_by_role("heading", name="Sign-in locked").is_visible()
    assert tab.background_of("nav.navbar") == "rgb(33, 37, 41)"
    assert tab.problems == [], "\n".join(tab.problems)


def test_the_scanner_empties_its_field_for_the_next_scan_without_inline_script(open_browser):
    home = MemberLibraryFactory()
    staff = StaffFactory(library=home)
    request = IllRequestFactory(library=home, status=BorrowingStatus.SENT)
    tab = open_browser()
    tab.sign_in(staff.username, PASSWORD)
    tab.open("/borrowing/scan/")
    field = tab.page.get_by_label("Request barcode")
    field.fill(request.number)
    field.press("Enter")
    tab.page.locator("#scan-results li").first.wait_for()
    assert field.input_value() == ""
    assert tab.page.evaluate("document.activeElement.name") == "code"
    tab.check("scanner-after-scan")
    assert tab.problems == [], "\n".join(tab.problems)


def test_the_queue_search_swaps_the_table_with_htmx_under_the_policy(open_browser):
    home = MemberLibraryFactory()
    staff = StaffFactory(library=home)
    IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, title="Leviathan")
    IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, title="Middlemarch")
    tab = open_browser()
    tab.sign_in(staff.username, PASSWORD)
    tab.open("/borrowing/queue/?status=sourcing")
    tab.page.get_by_label("Search").fill("Leviathan")
    tab.page.get_by_label("Search").press("Enter")
    tab.page.wait_for_url("**q=Leviathan**")
    tab.page.get_by_role("cell", name="Middlemarch").wait_for(state="detached")
    assert tab.page.get_by_text("Leviathan").first.is_visible()
    tab.check("queue-after-search")
    assert tab.problems == [], "\n".join(tab.problems)
