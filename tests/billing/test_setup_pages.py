"""Billing staff add budgets and fee schedules on their screens; bad input is an error on the form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Budget, FeeSchedule
from requests_app import roles
from tests.factories import LibraryFactory, MemberLibraryFactory, StaffFactory

from .factories import BudgetFactory, FeeScheduleFactory

pytestmark = pytest.mark.django_db

BUDGET = {"fiscal_year": "FY2027", "fund": "", "starts_on": "2026-07-01", "ends_on": "2027-06-30",
          "amount": "5000.00", "currency": "USD"}


@pytest.fixture
def ours():
    return MemberLibraryFactory()


@pytest.fixture
def billing_client(client, ours):
    client.force_login(StaffFactory(library=ours, groups=[roles.BILLING_STAFF]))
    return client


def test_staff_add_a_budget(billing_client, ours):
    response = billing_client.post("/billing/budgets/", BUDGET)
    assert response.status_code == 302
    assert Budget.objects.get().library == ours


def test_a_budget_ending_before_it_starts_is_refused(billing_client):
    response = billing_client.post("/billing/budgets/", {**BUDGET, "ends_on": "2026-06-01"})
    assert response.status_code == 200
    assert "must end after it starts" in response.content.decode()
    assert not Budget.objects.exists()


def test_a_second_budget_for_the_same_year_and_fund_is_refused(billing_client, ours):
    BudgetFactory(library=ours, fiscal_year="FY2027")
    response = billing_client.post("/billing/budgets/", BUDGET)
    assert response.status_code == 200
    assert Budget.objects.count() == 1


def test_staff_add_a_fee_for_one_partner(billing_client, ours):
    partner = LibraryFactory()
    response = billing_client.post("/billing/fees/", {
        "partner": partner.pk, "direction": "receivable", "service": "loan", "amount": "12.00",
        "currency": "USD", "effective_from": "2026-01-01"})
    assert response.status_code == 302
    row = FeeSchedule.objects.get()
    assert (row.library, row.partner, row.amount) == (ours, partner, Decimal("12.00"))


def test_an_overlapping_fee_is_refused(billing_client, ours):
    FeeScheduleFactory(library=ours, effective_from=dt.date(2026, 1, 1))
    response = billing_client.post("/billing/fees/", {
        "direction": "receivable", "service": "loan", "amount": "3", "currency": "USD",
        "effective_from": "2026-06-01"})
    assert response.status_code == 200
    assert "end it first" in response.content.decode()
    assert FeeSchedule.objects.count() == 1


def test_the_fee_page_lists_the_schedule(billing_client, ours):
    FeeScheduleFactory(library=ours, amount=Decimal("4.25"))
    assert "4.25 USD" in billing_client.get("/billing/fees/").content.decode()
