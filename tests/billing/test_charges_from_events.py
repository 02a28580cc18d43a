"""Charges are created from workflow events, exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Charge, ChargeStatus, Direction, Service
from billing.services import charge_for_event
from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.services import perform
from requests_app.workflow import Actor
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronProfileFactory,
    StaffFactory,
)

from .factories import BillingSettingsFactory, EventFactory, FeeScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours():
    return MemberLibraryFactory(loan_fee=Decimal("10.00"), copy_fee=Decimal("5.00"))


def ship(request, django_capture_on_commit_callbacks):
    staff = StaffFactory(library=request.library, groups=[roles.LENDING_STAFF])
    with django_capture_on_commit_callbacks(execute=True):
        perform(request=request, action="ship", actor=Actor.staff(staff))


def test_shipping_a_loan_creates_a_receivable_from_the_borrowing_library(ours, django_capture_on_commit_callbacks):
    request = LendingRequestFactory(library=ours, status=LendingStatus.AWAITING_SHIPPING)
    ship(request, django_capture_on_commit_callbacks)
    charge = Charge.objects.get()
    assert (charge.direction, charge.service, charge.partner, charge.amount, charge.currency) == (
        Direction.RECEIVABLE, Service.LOAN, request.partner, Decimal("10.00"), "USD")


def test_a_replayed_ship_event_creates_no_second_charge(ours, django_capture_on_commit_callbacks):
    request = LendingRequestFactory(library=ours, status=LendingStatus.AWAITING_SHIPPING)
    ship(request, django_capture_on_commit_callbacks)
    event = request.events.get(action="ship")
    charge_for_event(request=request, event=event)
    charge_for_event(request=request, event=event)
    assert Charge.objects.count() == 1


def test_delivering_a_copy_charges_the_copy_fee(ours):
    event = EventFactory(request=LendingRequestFactory(library=ours, format="article"), action="deliver_copy")
    [charge] = charge_for_event(request=event.request, event=event)
    assert (charge.service, charge.amount) == (Service.COPY, Decimal("5.00"))


def test_receiving_a_loan_creates_a_payable_to_the_lender_at_its_fee():
    lender = LibraryFactory(loan_fee=Decimal("20.00"), currency="CAD")
    request = IllRequestFactory(partner=lender, status=BorrowingStatus.SHIPPED)
    event = EventFactory(request=request, action="receive")
    [charge] = charge_for_event(request=request, event=event)
    assert (charge.direction, charge.partner, charge.amount, charge.currency) == (
        Direction.PAYABLE, lender, Decimal("20.00"), "CAD")


def test_a_lender_delivered_copy_is_a_payable_copy_fee():
    lender = LibraryFactory(copy_fee=Decimal("7.00"))
    request = IllRequestFactory(partner=lender, format="article", status=BorrowingStatus.SENT)
    event = EventFactory(request=request, action="lender_delivered_copy")
    [charge] = charge_for_event(request=request, event=event)
    assert (charge.direction, charge.service, charge.amount) == (Direction.PAYABLE, Service.COPY, Decimal("7.00"))


def test_other_events_create_no_charge(ours):
    event = EventFactory(request=LendingRequestFactory(library=ours), action="print_pull_slip")
    assert charge_for_event(request=event.request, event=event) == []


def test_reciprocal_partners_waive_the_fee(ours):
    ours.reciprocal_groups = "OHIOLINK"
    ours.save()
    partner = LibraryFactory(reciprocal_groups="ohiolink other")
    event = EventFactory(request=LendingRequestFactory(library=ours, partner=partner), action="ship")
    [charge] = charge_for_event(request=event.request, event=event)
    assert (charge.amount, charge.status) == (Decimal("0"), ChargeStatus.WAIVED)
    assert "OHIOLINK" in charge.note


def test_a_partner_schedule_row_beats_the_directory_fee(ours):
    request = LendingRequestFactory(library=ours)
    FeeScheduleFactory(library=ours, partner=request.partner, amount=Decimal("3.333"), currency="EUR")
    event = EventFactory(request=request, action="ship")
    [charge] = charge_for_event(request=request, event=event)
    assert (charge.amount, charge.currency) == (Decimal("3.33"), "EUR")


def test_a_rush_event_adds_a_rush_surcharge(ours):
    request = LendingRequestFactory(library=ours)
    FeeScheduleFactory(library=ours, service=Service.RUSH, amount=Decimal("8"))
    event = EventFactory(request=request, action="ship", data={"rush": True})
    charges = charge_for_event(request=request, event=event)
    assert sorted((c.service, c.amount) for c in charges) == [(Service.LOAN, Decimal("10.00")),
                                                              (Service.RUSH, Decimal("8.00"))]


def test_a_library_that_passes_costs_on_charges_the_patron_what_the_lender_charges():
    lender = LibraryFactory(loan_fee=Decimal("11.00"))
    request = IllRequestFactory(partner=lender, status=BorrowingStatus.SHIPPED)
    BillingSettingsFactory(library=request.library, passes_costs_to_patrons=True)
    event = EventFactory(request=request, action="receive")
    charge_for_event(request=request, event=event)
    patron_charge = Charge.objects.get(direction=Direction.PATRON)
    assert (patron_charge.patron, patron_charge.amount) == (request.patron, Decimal("11.00"))


def test_a_payable_is_spent_from_the_patrons_department_fund():
    lender = LibraryFactory(loan_fee=Decimal("11.00"))
    request = IllRequestFactory(partner=lender, status=BorrowingStatus.SHIPPED,
                                patron=PatronProfileFactory(department="Physics").user)
    event = EventFactory(request=request, action="receive")
    [charge] = charge_for_event(request=request, event=event)
    assert charge.fund == "Physics"


def test_a_copyright_clearance_event_records_the_copyright_fee_once():
    request = IllRequestFactory(format="article", status=BorrowingStatus.SOURCING)
    event = EventFactory(request=request, action="clear_copyright", data={"clearance_fee": "35.5", "currency": "usd"})
    charge_for_event(request=request, event=event)
    charge_for_event(request=request, event=event)
    charge = Charge.objects.get()
    assert (charge.service, charge.direction, charge.amount, charge.currency) == (
        Service.COPYRIGHT, Direction.PAYABLE, Decimal("35.50"), "USD")


def test_receiving_through_the_workflow_creates_the_payable_once_after_commit(django_capture_on_commit_callbacks):
    lender = LibraryFactory(loan_fee=Decimal("6.00"))
    request = IllRequestFactory(partner=lender, status=BorrowingStatus.SHIPPED)
    staff = StaffFactory(library=request.library, groups=[roles.BORROWING_STAFF])
    with django_capture_on_commit_callbacks(execute=True):
        perform(request=request, action="receive", actor=Actor.staff(staff))
    charge = Charge.objects.get()
    assert (charge.direction, charge.partner, charge.amount, charge.event.action) == (
        Direction.PAYABLE, lender, Decimal("6.00"), "receive")


def test_the_create_event_creates_no_charge(ours, django_capture_on_commit_callbacks):
    from requests_app.services import receive_partner_request

    with django_capture_on_commit_callbacks(execute=True):
        receive_partner_request(library=ours, partner=LibraryFactory(), requesting_agency_request_id="X-1",
                                title="Leviathan")
    assert not Charge.objects.exists()
