"""In a real browser, a patron reads a lender's conditions, fee included, and accepts or refuses them."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest
from tests.borrowing.test_conditions_pages import conditional_request
from tests.factories import PASSWORD, PatronFactory

from .conftest import serious_accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patron_page(page, live_server):
    patron = PatronFactory()
    request = conditional_request(patron=patron, library=patron.patron_profile.library,
                                  partner__iso18626_endpoint="http://127.0.0.1:9/iso18626")
    page.goto(f"{live_server.url}/requests/{request.pk}/")
    page.get_by_label("Username").fill(patron.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page, request


def test_a_patron_reads_the_conditions_and_fee_then_accepts_them(patron_page):
    page, request = patron_page
    panel = page.locator("#conditions")
    assert "Library use only" in panel.inner_text() and "12.50 EUR" in panel.inner_text()
    assert serious_accessibility_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Accept conditions").click()
    request.refresh_from_db()
    assert request.status != BorrowingStatus.CONDITIONAL
    assert "accepted" in page.locator("#conditions").inner_text()  # the loan is lent on them: they stay in sight
    assert page.get_by_role("button", name="Accept conditions").count() == 0


def test_a_patron_who_refuses_the_conditions_is_asked_first_and_the_request_moves_on_only_then(patron_page):
    page, request = patron_page
    page.get_by_role("button", name="Refuse conditions").click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    assert IllRequest.objects.get(pk=request.pk).status == BorrowingStatus.CONDITIONAL
    with page.expect_navigation():
        dialog.get_by_role("button", name="Confirm").click()
    assert IllRequest.objects.get(pk=request.pk).status != BorrowingStatus.CONDITIONAL
