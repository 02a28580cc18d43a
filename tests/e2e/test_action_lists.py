"""In a real browser, each desk opens on its "needs action" lists: a clerk clicks a list and sees its requests.

For every list of both desks: one request in that situation and one just outside it; the desk counts one in
the list, and clicking it shows the queue with that request and without the other.
"""

from __future__ import annotations

import pytest

from requests_app import action_lists
from requests_app.models import Role
from tests.borrowing import test_action_lists as borrowing_cases
from tests.factories import PASSWORD, MemberLibraryFactory, StaffFactory
from tests.lending import test_action_lists as lending_cases

from .conftest import serious_accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKS = {
    Role.BORROWING: ("/borrowing/queue/", borrowing_cases),
    Role.LENDING: ("/lending/", lending_cases),
}
CASES = [(role, key) for role, (_, cases) in DESKS.items() for key in cases.CASES]


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page, base_url: str, path: str, username: str) -> None:
    page.goto(f"{base_url}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("role", "key"), CASES, ids=[f"{role}-{key}" for role, key in CASES])
def test_a_clerk_clicks_a_needs_action_list_and_sees_the_request_in_it(live_server, desk_page, role, key):
    desk, cases = DESKS[role]
    library = MemberLibraryFactory()
    inside, outside, *_ = cases.CASES[key]
    wanted = cases.make(library, inside)
    other = cases.make(library, outside)
    staff = StaffFactory(library=library)
    label = next(row["label"] for row in action_lists.counts(library=library, role=role) if row["key"] == key)

    sign_in(desk_page, live_server.url, desk, staff.username)
    link = desk_page.get_by_role("link", name=label)
    assert link.first.locator(".badge").inner_text().startswith("1")
    link.first.click()
    desk_page.wait_for_url(f"**needs={key}**")

    assert desk_page.get_by_text(wanted.number).first.is_visible()
    assert desk_page.get_by_text(other.number).count() == 0
    assert desk_page.locator("[aria-current=page]").first.inner_text().startswith(label)
    assert serious_accessibility_violations(desk_page) == []
