"""Staff waive or adjust charges with a reason; copyright and lost-item charges; money rounding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import ChargeAdjustment, ChargeStatus, Direction, Service
from billing.money import quantize
from billing.services import (
    BillingError,
    adjust_charge,
    fee_for,
    record_copyright_fee,
    record_lost_item_charge,
    waive_charge,
)
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, UserFactory

from .factories import FeeScheduleFactory, ReceivableFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("0.125", "USD", "0.13"), ("0.135", "EUR", "0.14"), ("2.5", "JPY", "3"), ("1.0005", "KWD", "1.001"),
    ("-0.125", "USD", "-0.13"),
])
def test_amounts_round_half_up_to_the_currencys_minor_unit(amount, currency, expected):
    assert quantize(Decimal(amount), currency) == Decimal(expected)


def test_a_float_is_refused_as_money():
    with pytest.raises(TypeError):
        quantize(0.1, "USD")


def test_waiving_a_charge_keeps_the_reason_in_an_audit_row():
    charge = ReceivableFactory(amount=Decimal("10.00"))
    staff = UserFactory()
    waive_charge(charge=charge, actor=staff, reason="Goodwill after a late delivery")
    charge.refresh_from_db()
    audit = ChargeAdjustment.objects.get()
    assert (charge.amount, charge.status) == (Decimal("0"), ChargeStatus.WAIVED)
    assert (audit.old_amount, audit.new_amount, audit.actor, audit.reason) == (
        Decimal("10.00"), Decimal("0"), staff, "Goodwill after a late delivery")


def test_waiving_without_a_reason_is_refused_and_changes_nothing():
    charge = ReceivableFactory(amount=Decimal("10.00"))
    with pytest.raises(BillingError, match="why"):
        waive_charge(charge=charge, actor=None, reason="  ")
    charge.refresh_from_db()
    assert charge.amount == Decimal("10.00")
    assert not ChargeAdjustment.objects.exists()


def test_adjusting_a_charge_rounds_to_the_currency_and_records_old_and_new():
    charge = ReceivableFactory(amount=Decimal("10.00"))
    adjust_charge(charge=charge, actor=None, amount="7.555", reason="Agreed discount")
    charge.refresh_from_db()
    assert charge.amount == Decimal("7.56")
    assert ChargeAdjustment.objects.get().old_amount == Decimal("10.00")


def test_a_negative_adjustment_is_refused():
    charge = ReceivableFactory()
    with pytest.raises(BillingError):
        adjust_charge(charge=charge, actor=None, amount="-1", reason="oops")


def test_an_invoiced_charge_cannot_be_waived():
    charge = ReceivableFactory(status=ChargeStatus.INVOICED)
    with pytest.raises(BillingError, match="credit note"):
        waive_charge(charge=charge, actor=None, reason="too late")


def test_record_copyright_fee_is_a_payable_once_per_request():
    request = IllRequestFactory(format="article")
    first = record_copyright_fee(request=request, amount=Decimal("12.5"), currency="USD", actor=None)
    again = record_copyright_fee(request=request, amount=Decimal("99"), currency="USD", actor=None)
    assert first.pk == again.pk
    assert (first.direction, first.service, first.amount) == (Direction.PAYABLE, Service.COPYRIGHT, Decimal("12.50"))


def test_record_copyright_fee_refuses_a_bad_currency():
    with pytest.raises(BillingError, match="ISO 4217"):
        record_copyright_fee(request=IllRequestFactory(), amount="1", currency="dollars", actor=None)


def test_a_lost_item_on_a_lending_request_is_charged_to_the_borrower_from_the_schedule():
    request = LendingRequestFactory()
    FeeScheduleFactory(library=request.library, service=Service.LOST_ITEM, amount=Decimal("95"))
    charge = record_lost_item_charge(request=request, actor=None, reason="Borrower reports the book lost")
    assert (charge.direction, charge.partner, charge.amount) == (Direction.RECEIVABLE, request.partner,
                                                                 Decimal("95.00"))


def test_a_lost_item_without_a_scheduled_fee_needs_an_amount():
    with pytest.raises(BillingError, match="enter the amount"):
        record_lost_item_charge(request=LendingRequestFactory(), actor=None, reason="lost")


def test_reciprocity_does_not_waive_a_lost_item():
    ours = MemberLibraryFactory(reciprocal_groups="NET")
    partner = LibraryFactory(reciprocal_groups="NET")
    FeeScheduleFactory(library=ours, service=Service.LOST_ITEM, amount=Decimal("80"))
    fee = fee_for(library=ours, partner=partner, direction=Direction.RECEIVABLE, service=Service.LOST_ITEM,
                  on=dt.date(2026, 5, 1))
    assert fee.amount == Decimal("80.00")


def test_a_schedule_row_applies_only_within_its_dates():
    ours = MemberLibraryFactory(loan_fee=Decimal("4"))
    partner = LibraryFactory()
    FeeScheduleFactory(library=ours, amount=Decimal("9"), effective_from=dt.date(2026, 1, 1),
                       effective_to=dt.date(2026, 6, 30))
    inside = fee_for(library=ours, partner=partner, direction=Direction.RECEIVABLE, service=Service.LOAN,
                     on=dt.date(2026, 6, 30))
    after = fee_for(library=ours, partner=partner, direction=Direction.RECEIVABLE, service=Service.LOAN,
                    on=dt.date(2026, 7, 1))
    assert (inside.amount, after.amount) == (Decimal("9.00"), Decimal("4.00"))
