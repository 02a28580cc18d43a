"""Budgets made and changed by billing staff on their own pages, never in the Django admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Budget
from requests_app import roles
from tests.factories import MemberLibraryFactory, PatronFactory, StaffFactory

from .factories import BudgetFactory

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


def test_the_budgets_page_links_to_the_new_budget_page_not_to_the_admin(billing_client):
    body = billing_client.get("/billing/budgets/").content.decode()
    assert 'href="/billing/budgets/new/"' in body
    assert "/admin/" not in body.split('id="main"')[1] and "in the admin" not in body


def test_the_new_budget_page_shows_its_form(billing_client):
    body = billing_client.get("/billing/budgets/new/").content.decode()
    assert 'name="fiscal_year"' in body and 'name="csrfmiddlewaretoken"' in body


def test_staff_create_a_budget_on_the_new_budget_page(billing_client, ours):
    response = billing_client.post("/billing/budgets/new/", BUDGET)
    assert response.status_code == 302 and response["Location"] == "/billing/budgets/"
    budget = Budget.objects.get()
    assert (budget.library, budget.amount, budget.starts_on) == (ours, Decimal("5000.00"), dt.date(2026, 7, 1))


def test_a_negative_amount_is_refused_with_the_form_and_nothing_made(billing_client):
    response = billing_client.post("/billing/budgets/new/", {**BUDGET, "amount": "-1.00"})
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    assert not Budget.objects.exists()


def test_a_budget_overlapping_another_of_the_same_fund_is_refused(billing_client, ours):
    BudgetFactory(library=ours, fiscal_year="FY2026", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 7, 31))
    response = billing_client.post("/billing/budgets/new/", BUDGET)
    assert "FY2026 (2025-07-01 to 2026-07-31) already covers some of these dates" in response.content.decode()
    assert Budget.objects.count() == 1


def test_budgets_of_different_funds_may_share_their_dates(billing_client, ours):
    BudgetFactory(library=ours, fiscal_year="FY2027", fund="Chemistry", starts_on=dt.date(2026, 7, 1),
                  ends_on=dt.date(2027, 6, 30))
    assert billing_client.post("/billing/budgets/new/", BUDGET).status_code == 302
    assert Budget.objects.count() == 2


def test_each_budget_on_the_page_has_an_edit_link(billing_client, ours):
    budget = BudgetFactory(library=ours)
    assert f'href="/billing/budgets/{budget.pk}/edit/"' in billing_client.get("/billing/budgets/").content.decode()


def test_staff_change_a_budgets_amount_and_dates(billing_client, ours):
    budget = BudgetFactory(library=ours, fiscal_year="FY2027")
    response = billing_client.post(f"/billing/budgets/{budget.pk}/edit/",
                                   {**BUDGET, "amount": "7500.00", "ends_on": "2027-07-31"})
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.amount, budget.ends_on) == (Decimal("7500.00"), dt.date(2027, 7, 31))


def test_the_edit_page_shows_the_budgets_values(billing_client, ours):
    budget = BudgetFactory(library=ours, fiscal_year="FY2031", amount=Decimal("1234.00"))
    body = billing_client.get(f"/billing/budgets/{budget.pk}/edit/").content.decode()
    assert 'value="FY2031"' in body and 'value="1234.00"' in body


def test_an_edit_with_dates_out_of_order_is_refused_and_changes_nothing(billing_client, ours):
    budget = BudgetFactory(library=ours, fiscal_year="FY2027")
    response = billing_client.post(f"/billing/budgets/{budget.pk}/edit/",
                                   {**BUDGET, "amount": "9.00", "ends_on": "2026-01-01"})
    assert response.status_code == 200 and "must end after it starts" in response.content.decode()
    budget.refresh_from_db()
    assert (budget.amount, budget.ends_on) == (Decimal("1000.00"), dt.date(2027, 6, 30))


def test_an_edit_does_not_count_the_budget_as_overlapping_itself(billing_client, ours):
    budget = BudgetFactory(library=ours, fiscal_year="FY2027")
    assert billing_client.post(f"/billing/budgets/{budget.pk}/edit/", {**BUDGET, "amount": "1.00"}).status_code == 302


def test_an_edit_into_another_budgets_dates_is_refused(billing_client, ours):
    BudgetFactory(library=ours, fiscal_year="FY2026", starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2026, 6, 30))
    budget = BudgetFactory(library=ours, fiscal_year="FY2027")
    billing_client.post(f"/billing/budgets/{budget.pk}/edit/", {**BUDGET, "starts_on": "2026-06-01"})
    budget.refresh_from_db()
    assert budget.starts_on == dt.date(2026, 7, 1)


def test_another_librarys_budget_cannot_be_edited(billing_client):
    theirs = BudgetFactory(library=MemberLibraryFactory())
    assert billing_client.get(f"/billing/budgets/{theirs.pk}/edit/").status_code == 404
    assert billing_client.post(f"/billing/budgets/{theirs.pk}/edit/", {**BUDGET, "amount": "1.00"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.amount == Decimal("1000.00")


def test_the_edit_page_takes_changes_by_post_only_with_a_csrf_token(client, ours):
    client.handler.enforce_csrf_checks = True
    client.force_login(StaffFactory(library=ours, groups=[roles.BILLING_STAFF]))
    budget = BudgetFactory(library=ours, fiscal_year="FY2027")
    assert client.post(f"/billing/budgets/{budget.pk}/edit/", {**BUDGET, "amount": "1.00"}).status_code == 403
    budget.refresh_from_db()
    assert budget.amount == Decimal("1000.00")


@pytest.mark.parametrize("user", ["lending", "patron"])
def test_budget_pages_refuse_everyone_but_billing_staff(client, ours, user):
    client.force_login(StaffFactory(library=ours, groups=[roles.LENDING_STAFF]) if user == "lending"
                       else PatronFactory())
    budget = BudgetFactory(library=ours)
    assert client.get("/billing/budgets/new/").status_code == 403
    assert client.post("/billing/budgets/new/", BUDGET).status_code == 403
    assert client.post(f"/billing/budgets/{budget.pk}/edit/", {**BUDGET, "amount": "1.00"}).status_code == 403
    assert Budget.objects.count() == 1
