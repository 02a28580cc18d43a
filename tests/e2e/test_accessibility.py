"""axe-core on every page each kind of user can reach: no serious or critical violation anywhere.

Each test signs one demo account in and follows every link of every page it reaches, from the home page on,
breadth first, opening one page of each kind (an address with its numbers and query values left out), and
one request page in each state the demo holds, since each state shows its own forms. Every page is checked
with axe-core and must not scroll sideways at a phone's width, and every link must answer: no broken link,
no 500, no page the menu offers but refuses.
Django's own admin and the API's browsable pages are left out: they are Django's and DRF's, checked there.

A screenshot of each page, at a laptop's width and a phone's, is saved under the folder ILLMS_SCREENSHOT_DIR
names (by default var/screenshots/), one sub-folder per account, so a reviewer can look at every page.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from illms.management.commands.seed_demo import DEFAULT_PASSWORD
from requests_app.models import IllRequest
from tests.e2e.conftest import give_code_if_asked, serious_accessibility_violations
from tests.url_walk import LinkCrawl, screenshot_folder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: The demo accounts, one per kind of user: a patron and each staff role.
ACCOUNTS = ["patron", "borrowing", "lending", "billing", "reports", "illadmin"]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def request_pages_in_each_state(username: str) -> list[str]:
    """One request page per state the demo holds, as the account opens them: each state has its own forms."""
    requests = IllRequest.objects.filter(library__symbol="DEMO").order_by("status", "pk")
    if username == "patron":
        requests, address = requests.filter(role="borrowing", patron__username=username), "/requests/{}/"
    elif username in {"borrowing", "lending"}:
        requests, address = requests.filter(role=username), f"/{username}/requests/{{}}/"
    else:
        return []
    first_of_each: dict[str, int] = {}
    for pk, status in requests.values_list("pk", "status"):
        first_of_each.setdefault(status, pk)
    return [address.format(pk) for pk in first_of_each.values()]


#: What on a page reaches past the window's right edge outside any scrolling box: it makes the page scroll sideways.
SIDEWAYS = """() => {
  if (document.documentElement.scrollWidth <= window.innerWidth + 1) return [];
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= window.innerWidth + 1) continue;
    let parent = element.parentElement, scrolls = false;
    for (; parent && parent !== document.body; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== "visible") { scrolls = true; break; }
    }
    if (!scrolls) wide.push(element);
  }
  // Name the outermost element of each overflowing branch only.
  return wide.filter(e => !wide.includes(e.parentElement)).slice(0, 3).map(
    e => `${e.tagName.toLowerCase()}${e.className ? "." + String(e.className).split(" ").join(".") : ""} reaches `
         + `${Math.round(e.getBoundingClientRect().right)} px of ${window.innerWidth}`);
}"""


def sideways_on_a_phone(page) -> list[str]:
    """At a phone's width the page scrolls only up and down: tables scroll inside their own box."""
    return [f"scrolls sideways on a phone: {what}" for what in page.evaluate(SIDEWAYS)]


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_page_an_account_reaches_has_no_serious_accessibility_violation(browser, live_server, username):
    call_command("seed_demo", verbosity=0)
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        give_code_if_asked(page, username)
        assert "/accounts/" not in page.url, f"{username} could not sign in"

        crawl = LinkCrawl(live_server.url)
        crawl.also(request_pages_in_each_state(username), "(one request per state)")
        folder = screenshot_folder() / username
        folder.mkdir(parents=True, exist_ok=True)
        problems: list[str] = []
        for path in crawl:
            answer = context.request.get(f"{live_server.url}{path}", max_redirects=0)
            if answer.status >= 400:
                problems.append(f"{path} (linked from {crawl.found_on(path)}) answered {answer.status}")
                continue
            if not answer.headers.get("content-type", "").startswith("text/html") or 300 <= answer.status < 400:
                continue  # a download, or a redirect whose target is crawled when a page links it
            page.goto(f"{live_server.url}{path}")
            problems += [f"{path}: {v}" for v in serious_accessibility_violations(page)]
            crawl.add_links(path, page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"))
            name = crawl.file_name(path)
            page.screenshot(path=str(folder / f"{name}-1366.png"), full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
            problems += [f"{path}: {wide}" for wide in sideways_on_a_phone(page)]
            page.set_viewport_size(LAPTOP)
        assert crawl.visited >= 5, f"{username} reached only {crawl.visited} pages: the crawl did not run"
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
