"""Requests ended without a loan are counted by reason: owned locally, free online, bought instead, cancelled."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus as S
from requests_app import roles, rollups
from requests_app.actors import ActorKind
from requests_app.statistics import queries, tables
from requests_app.statistics.queries import Scope
from tests.factories import IllRequestFactory, StaffFactory

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    """The scenario's March, and five borrowing requests closed without a lender: two owned locally, one free
    online, one bought, one cancelled by the patron (B4 asked its lender to cancel: a lender had it)."""
    built = scenario.build()
    for number, (action, status) in enumerate([
            ("cancel_owned_locally", S.CANCELLED), ("cancel_owned_locally", S.CANCELLED),
            ("cancel_free_online", S.CANCELLED), ("order_purchase", S.PURCHASE_ORDERED), ("cancel", S.CANCELLED)]):
        request = scenario.made(IllRequestFactory, library=built.own, partner=None, status=status,
                                title=f"Closed {number}")
        scenario.event(request, action, scenario.at(1 + number), status, kind=ActorKind.PATRON
                       if action == "cancel" else ActorKind.STAFF)
    return built


def march(month, **kwargs) -> Scope:
    return Scope(library=month.own, start=scenario.MARCH[0], end=scenario.MARCH[1], **kwargs)


EXPECTED = [("owned_locally", "Owned locally", 2), ("cancelled", "Cancelled for another reason", 1),
            ("open_access", "Free online (open access)", 1), ("purchased", "Purchased instead", 1)]


def test_each_way_of_ending_without_a_loan_is_its_own_reason(month):
    found = tables.Figures(march(month)).closed_reasons
    assert [(c.code, c.label, c.count) for c in found] == EXPECTED


def test_the_rollup_counts_the_same_reasons_as_the_live_figures(month):
    rollups.refresh()
    figures = tables.Figures(march(month))
    assert figures.split.months is not None and not figures.split.live
    assert [(c.code, c.label, c.count) for c in figures.closed_reasons] == EXPECTED


def test_with_a_partner_chosen_no_request_ended_without_a_loan_is_counted(month):
    assert tables.Figures(march(month, partner=month.aaa)).closed_reasons == []


def test_a_lending_only_scope_counts_none(month):
    assert tables.Figures(march(month, role="lending")).closed_reasons == []


def test_the_closed_reasons_are_summed_from_rows_most_frequent_first():
    rows = [{"reason": "purchased", "count": 1}, {"reason": "owned_locally", "count": 1},
            {"reason": "owned_locally", "count": 2}]
    assert queries.closings_from(rows) == [queries.Closing("owned_locally", 3), queries.Closing("purchased", 1)]


def test_the_statistics_page_shows_them_beside_the_unfilled_reasons(client, month):
    client.force_login(StaffFactory(library=month.own, groups=[roles.REPORTING]))
    page = client.get(reverse("statistics:section", args=["unfilled"]), {
        "start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert "Ended without borrowing" in page and "Purchased instead" in page and "Owned locally" in page
