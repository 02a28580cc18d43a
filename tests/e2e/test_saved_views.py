"""In a real browser, a clerk saves the queue as they set it up, reopens it by name, and deletes it: on the borrowing
desk with JavaScript (htmx, the confirmation dialog), on the lending desk without (the confirmation page).

The screenshots go to the folder ILLMS_SCREENSHOT_DIR names (by default var/screenshots/), under saved-views/.
"""

from __future__ import annotations

import re

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.models import SavedQueueView
from tests.e2e.conftest import serious_accessibility_violations
from tests.factories import PASSWORD, IllRequestFactory, LendingRequestFactory, MemberLibraryFactory, StaffFactory
from tests.url_walk import screenshot_folder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_clerk_saves_a_view_of_the_queue_reopens_it_and_deletes_it(live_server, desk):
    page = desk
    shots = screenshot_folder() / "saved-views"
    shots.mkdir(parents=True, exist_ok=True)
    home = MemberLibraryFactory(symbol="HOME")
    staff = StaffFactory(library=home, username="sam")
    sent = IllRequestFactory(library=home, status=BorrowingStatus.SENT, title="Leviathan")
    waiting = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, title="Walden")

    page.goto(f"{live_server.url}/borrowing/queue/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/borrowing/queue/")
    assert page.get_by_text("None yet").is_visible()

    # The clerk sets up the queue: requests sent to a lender, sorted by title, without the lender's due date.
    page.get_by_label("Status").select_option(BorrowingStatus.SENT)
    page.get_by_label("Sort by").select_option(label="Title")
    page.get_by_label("Lender due").uncheck()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**status=sent**")
    page.locator("th[data-column=title]").wait_for()
    assert page.locator("th[data-column=lender_due]").count() == 0

    page.get_by_text("Save this view").click()
    page.get_by_label("Name of the view").fill("Sent, by title")
    page.get_by_label("Open this view when I open the queue").check()
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url("**/borrowing/queue/?**")
    assert page.get_by_text("Saved the view “Sent, by title”.").is_visible()
    current = page.locator("#saved-views [aria-current=page]")
    assert current.inner_text().startswith("Sent, by title")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(shots / "queue-with-saved-view.png"), full_page=True)
    view = SavedQueueView.objects.get(owner=staff)
    assert (view.filters, view.is_default) == ({"status": BorrowingStatus.SENT}, True)
    assert "lender_due" not in view.columns

    # Reopened: from the queue as it comes, a click on the view's name; the desk's plain address opens it too.
    page.goto(f"{live_server.url}/borrowing/queue/?view=standard")
    assert page.get_by_role("link", name=waiting.number).is_visible()
    page.locator("#saved-views").get_by_role("link", name=re.compile(r"^Sent, by title")).click()
    page.wait_for_url("**status=sent**")
    assert page.get_by_role("link", name=sent.number).is_visible()
    assert page.get_by_role("link", name=waiting.number).count() == 0
    assert page.locator("th[data-column=lender_due]").count() == 0
    assert page.locator("th[data-column=title]").get_attribute("aria-sort") == "ascending"
    page.goto(f"{live_server.url}/borrowing/queue/")
    page.wait_for_url("**status=sent**")

    # Deleted, from its page, after the confirmation dialog.
    page.get_by_role("link", name="Edit the view Sent, by title").click()
    page.wait_for_url(f"**/staff/borrowing/views/{view.pk}/**")
    assert page.get_by_role("heading", name="Saved view: Sent, by title").is_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(shots / "saved-view-page.png"), full_page=True)
    page.get_by_role("button", name="Delete this view").click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    assert "will be deleted" in dialog.inner_text()
    dialog.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/borrowing/queue/")
    assert page.get_by_text("Deleted the view “Sent, by title”.").is_visible()
    assert page.get_by_text("None yet").is_visible()
    assert not SavedQueueView.objects.filter(owner=staff).exists()
    page.screenshot(path=str(shots / "queue-after-delete.png"), full_page=True)


@pytest.fixture
def desk_without_javascript(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_lending_clerk_without_javascript_saves_reopens_and_deletes_a_view(live_server, desk_without_javascript):
    page = desk_without_javascript
    shots = screenshot_folder() / "saved-views"
    shots.mkdir(parents=True, exist_ok=True)
    home = MemberLibraryFactory(symbol="HOME")
    staff = StaffFactory(library=home, username="lee")
    new = LendingRequestFactory(library=home, status=LendingStatus.NEW, title="Leviathan")
    shipped = LendingRequestFactory(library=home, status=LendingStatus.SHIPPED, title="Walden")

    page.goto(f"{live_server.url}/lending/?status={LendingStatus.NEW}")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/lending/?status=new")
    page.get_by_label("Sort by").select_option(label="Title, descending")
    page.get_by_label("Call number").uncheck()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**sort=-title**")

    page.get_by_text("Save this view").click()
    page.get_by_label("Name of the view").fill("New, by title")
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url("**/lending/?**")
    assert page.get_by_text("Saved the view “New, by title”.").is_visible()
    assert page.locator("#saved-views [aria-current=page]").inner_text().startswith("New, by title")

    page.goto(f"{live_server.url}/lending/")
    assert page.get_by_role("link", name=shipped.number).is_visible()
    page.locator("#saved-views").get_by_role("link", name="New, by title", exact=True).click()
    page.wait_for_url("**status=new**")
    assert page.get_by_role("link", name=new.number).is_visible()
    assert page.get_by_role("link", name=shipped.number).count() == 0
    assert page.locator("th[data-column=call_number]").count() == 0

    page.get_by_role("link", name="Edit the view New, by title").click()
    page.get_by_role("button", name="Delete this view").click()
    # The confirmation page, as a browser without JavaScript gets it (axe needs JavaScript: not run here).
    assert page.get_by_text("The saved view “New, by title” will be deleted.").is_visible()
    page.screenshot(path=str(shots / "lending-delete-confirmation.png"), full_page=True)
    assert SavedQueueView.objects.filter(owner=staff).exists()
    page.get_by_role("button", name="Confirm: Delete the view “New, by title”").click()
    page.wait_for_url("**/lending/")
    assert page.get_by_text("Deleted the view “New, by title”.").is_visible()
    assert not SavedQueueView.objects.filter(owner=staff).exists()
