"""The budget screen: spent (payables), committed (open requests with a maximum cost), remaining, warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import ChargeStatus, Direction, Service
from billing.selectors import budget_statuses
from borrowing.states import BorrowingStatus
from tests.factories import IllRequestFactory, MemberLibraryFactory, PatronProfileFactory

from .factories import BillingSettingsFactory, BudgetFactory, ReceivableFactory

pytestmark = pytest.mark.django_db

IN_YEAR = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)


def payable(library, amount, fund="", **kwargs):
    request = IllRequestFactory(library=library, status=BorrowingStatus.RECEIVED)
    return ReceivableFactory(request=request, direction=Direction.PAYABLE, amount=Decimal(amount), fund=fund,
                             incurred_at=IN_YEAR, **kwargs)


@pytest.fixture
def library():
    return MemberLibraryFactory()


def test_payables_in_the_year_are_spent(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    payable(library, "30.00")
    [status] = budget_statuses(library=library)
    assert (status.spent, status.committed, status.remaining) == (Decimal("30"), Decimal("0"), Decimal("70"))


def test_payables_outside_the_year_and_waived_ones_are_not_spent(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    request = IllRequestFactory(library=library)
    ReceivableFactory(request=request, direction=Direction.PAYABLE, amount=Decimal("40"),
                      incurred_at=dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC))
    payable(library, "0", status=ChargeStatus.WAIVED)
    [status] = budget_statuses(library=library)
    assert status.spent == Decimal("0")


def test_open_requests_with_a_maximum_cost_are_committed(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    IllRequestFactory(library=library, status=BorrowingStatus.SENT, max_cost=Decimal("25"),
                      created_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    IllRequestFactory(library=library, status=BorrowingStatus.CANCELLED, max_cost=Decimal("50"),
                      created_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    [status] = budget_statuses(library=library)
    assert status.committed == Decimal("25")


def test_a_request_already_charged_is_spent_not_committed(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    request = IllRequestFactory(library=library, status=BorrowingStatus.RECEIVED, max_cost=Decimal("25"),
                                created_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    ReceivableFactory(request=request, direction=Direction.PAYABLE, amount=Decimal("20"), incurred_at=IN_YEAR)
    [status] = budget_statuses(library=library)
    assert (status.spent, status.committed) == (Decimal("20"), Decimal("0"))


def test_a_fund_budget_counts_only_its_departments_costs(library):
    BudgetFactory(library=library, fund="Physics", amount=Decimal("50"))
    payable(library, "10", fund="Physics")
    payable(library, "99", fund="History")
    IllRequestFactory(library=library, status=BorrowingStatus.SENT, max_cost=Decimal("7"),
                      patron=PatronProfileFactory(library=library, department="Physics").user,
                      created_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    [status] = budget_statuses(library=library)
    assert (status.spent, status.committed) == (Decimal("10"), Decimal("7"))


def test_the_budget_warns_at_the_threshold(library):
    BillingSettingsFactory(library=library, budget_warning_percent=80)
    BudgetFactory(library=library, amount=Decimal("100"))
    payable(library, "79.99")
    assert not budget_statuses(library=library)[0].warning
    payable(library, "0.01", service=Service.COPY)
    assert budget_statuses(library=library)[0].warning


def test_budgets_are_read_in_one_query(library, django_assert_num_queries):
    for year in range(3):
        BudgetFactory(library=library, starts_on=dt.date(2024 + year, 7, 1), ends_on=dt.date(2025 + year, 6, 30))
    payable(library, "10")
    with django_assert_num_queries(2):  # the budgets with their sums, and the warning threshold
        assert len(budget_statuses(library=library)) == 3


# Charges in another currency ---------------------------------------------------------------

def rate(library, currency, value, valid_from, base="USD"):
    from billing.services import add_exchange_rate

    return add_exchange_rate(library=library, currency=currency, base_currency=base, rate=Decimal(value),
                             valid_from=valid_from)


def test_a_payable_in_another_currency_is_spent_at_the_rate_of_its_day(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    rate(library, "EUR", "1.10", dt.date(2026, 8, 1))
    payable(library, "20.00", currency="EUR")

    [status] = budget_statuses(library=library)

    assert (status.spent, status.unconverted) == (Decimal("22.00"), 0)


def test_a_rate_from_after_the_charge_does_not_apply_to_it(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    rate(library, "EUR", "1.10", dt.date(2026, 8, 1))
    rate(library, "EUR", "1.50", dt.date(2026, 9, 2))  # the charge is of 1 September
    payable(library, "10.00", currency="EUR")
    payable(library, "5.00")

    [status] = budget_statuses(library=library)

    assert status.spent == Decimal("16.00")


def test_a_payable_with_no_rate_for_its_day_is_not_spent_but_counted_as_unconverted(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    rate(library, "EUR", "1.10", dt.date(2026, 9, 2))
    rate(library, "GBP", "1.30", dt.date(2026, 8, 1), base="EUR")  # GBP in EUR: not the budget's currency
    payable(library, "10.00", currency="EUR")
    payable(library, "10.00", currency="GBP")
    payable(library, "5.00")

    [status] = budget_statuses(library=library)

    assert (status.spent, status.unconverted) == (Decimal("5.00"), 2)


def test_another_librarys_rates_are_not_used(library):
    BudgetFactory(library=library, amount=Decimal("100"))
    rate(MemberLibraryFactory(), "EUR", "1.10", dt.date(2026, 8, 1))
    payable(library, "10.00", currency="EUR")

    [status] = budget_statuses(library=library)

    assert (status.spent, status.unconverted) == (Decimal("0.00"), 1)


def test_budgets_with_converted_charges_are_still_read_in_one_query(library, django_assert_num_queries):
    for year in range(3):
        BudgetFactory(library=library, starts_on=dt.date(2024 + year, 7, 1), ends_on=dt.date(2025 + year, 6, 30))
    rate(library, "EUR", "1.10", dt.date(2026, 8, 1))
    payable(library, "10", currency="EUR")
    payable(library, "10", currency="GBP")
    with django_assert_num_queries(2):
        assert len(budget_statuses(library=library)) == 3
