"""Billing staff add budgets and fee schedules on their screens; bad input is an error on the form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Budget, FeeSchedule
from borrowing.states import BorrowingStatus
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
    response = billing_client.post("/billing/budgets/new/", BUDGET)
    assert response.status_code == 302
    assert Budget.objects.get().library == ours


def test_a_budget_ending_before_it_starts_is_refused(billing_client):
    response = billing_client.post("/billing/budgets/new/", {**BUDGET, "ends_on": "2026-06-01"})
    assert response.status_code == 200
    assert "must end after it starts" in response.content.decode()
    assert not Budget.objects.exists()


def test_a_second_budget_for_the_same_year_and_fund_is_refused(billing_client, ours):
    BudgetFactory(library=ours, fiscal_year="FY2027")
    response = billing_client.post("/billing/budgets/new/", BUDGET)
    assert response.status_code == 200
    assert Budget.objects.count() == 1


def test_staff_add_a_fee_for_one_partner(billing_client, ours):
    partner = LibraryFactory()
    response = billing_client.post("/billing/fees/", {
        "partner": partner.symbol, "direction": "receivable", "service": "loan", "amount": "12.00",
        "currency": "USD", "effective_from": "2026-01-01"})
    assert response.status_code == 302
    row = FeeSchedule.objects.get()
    assert (row.library, row.partner, row.amount) == (ours, partner, Decimal("12.00"))


def test_a_fee_for_a_partner_symbol_nobody_has_is_refused(billing_client):
    response = billing_client.post("/billing/fees/", {
        "partner": "NOPE", "direction": "receivable", "service": "loan", "amount": "12.00",
        "currency": "USD", "effective_from": "2026-01-01"})
    assert response.context["form"].errors["partner"] == ["No active library has the symbol NOPE."]
    assert not FeeSchedule.objects.exists()


@pytest.mark.parametrize("symbol", ["A\x00B", "X" * 200])
def test_a_partner_symbol_that_cannot_be_a_symbol_is_refused_on_the_form(billing_client, symbol):
    response = billing_client.post("/billing/fees/", {
        "partner": symbol, "direction": "receivable", "service": "loan", "amount": "12.00",
        "currency": "USD", "effective_from": "2026-01-01"})
    assert response.status_code == 200
    assert "partner" in response.context["form"].errors
    assert not FeeSchedule.objects.exists()


def test_the_fee_page_does_not_list_the_directory(billing_client):
    symbols = [LibraryFactory().symbol for _ in range(5)]
    page = billing_client.get("/billing/fees/").content.decode()
    assert not [symbol for symbol in symbols if symbol in page]


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


RATE = {"currency": "EUR", "base_currency": "USD", "rate": "1.0850", "valid_from": "2026-09-01", "source": "Bank"}


def test_staff_add_an_exchange_rate(billing_client, ours):
    from billing.models import ExchangeRate

    response = billing_client.post("/billing/exchange-rates/", RATE)

    assert response.status_code == 302
    saved = ExchangeRate.objects.get()
    assert (saved.library, saved.currency, saved.rate) == (ours, "EUR", Decimal("1.0850"))
    assert "1 EUR" in billing_client.get("/billing/exchange-rates/").content.decode()


@pytest.mark.parametrize("change, field_error", [
    ({"rate": "0"}, "more than zero"),
    ({"base_currency": "EUR"}, "one currency into another"),
    ({"currency": "EU1"}, "ISO 4217"),
])
def test_a_bad_exchange_rate_is_refused_on_the_form(billing_client, change, field_error):
    from billing.models import ExchangeRate

    response = billing_client.post("/billing/exchange-rates/", {**RATE, **change})

    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_a_currency_typed_in_lower_case_is_taken(billing_client):
    from billing.models import ExchangeRate

    billing_client.post("/billing/exchange-rates/", {**RATE, "currency": "eur", "base_currency": " usd"})

    assert ExchangeRate.objects.get().currency == "EUR"


def test_a_second_rate_for_the_same_day_is_refused(billing_client):
    from billing.models import ExchangeRate

    billing_client.post("/billing/exchange-rates/", RATE)
    response = billing_client.post("/billing/exchange-rates/", {**RATE, "rate": "1.09"})

    assert response.status_code == 200
    assert "already a rate" in response.content.decode()
    assert ExchangeRate.objects.get().rate == Decimal("1.0850")


def test_the_budget_screen_says_when_a_charge_could_not_be_converted(billing_client, ours):
    from billing.models import Direction
    from tests.factories import IllRequestFactory

    from .factories import ReceivableFactory

    BudgetFactory(library=ours, starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2027, 6, 30))
    ReceivableFactory(request=IllRequestFactory(library=ours, status=BorrowingStatus.RECEIVED),
                      direction=Direction.PAYABLE,
                      amount=Decimal("10"), currency="EUR", incurred_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))

    page = billing_client.get("/billing/budgets/").content.decode()

    assert "1 charge in another currency not counted" in page


def test_the_exchange_rates_page_says_where_rates_are_fetched_from_only_when_they_are(billing_client, settings):
    settings.ILLMS_EXCHANGE_RATES_URL = ""
    assert "fetched each day" not in billing_client.get("/billing/exchange-rates/").content.decode()
    settings.ILLMS_EXCHANGE_RATES_URL = "https://bank.example/eurofxref-daily.xml"
    page = billing_client.get("/billing/exchange-rates/").content.decode()
    assert "fetched each day from <code>https://bank.example/eurofxref-daily.xml</code>" in page
