"""Factories for billing rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import (
    BillingSettings,
    Budget,
    Charge,
    ChargeStatus,
    Direction,
    FeeSchedule,
    Service,
)
from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.models import Event
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory


class FeeScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeSchedule

    library = factory.SubFactory(MemberLibraryFactory)
    partner = None
    direction = Direction.RECEIVABLE
    service = Service.LOAN
    amount = Decimal("15.00")
    currency = "USD"
    effective_from = dt.date(2020, 1, 1)
    effective_to = None


class BillingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingSettings
        django_get_or_create = ("library",)

    library = factory.SubFactory(MemberLibraryFactory)
    payment_instructions = "Pay by bank transfer to account 12345, or through OCLC IFM."


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    request = factory.SubFactory(LendingRequestFactory)
    action = "ship"
    from_status = LendingStatus.AWAITING_SHIPPING
    to_status = BorrowingStatus.SHIPPED
    actor_kind = "staff"
    created_at = factory.LazyFunction(timezone.now)


class ReceivableFactory(factory.django.DjangoModelFactory):
    """An open receivable: a partner owes a member library for a loan we shipped."""

    class Meta:
        model = Charge

    request = factory.SubFactory(LendingRequestFactory)
    library = factory.SelfAttribute("request.library")
    partner = factory.SelfAttribute("request.partner")
    direction = Direction.RECEIVABLE
    service = Service.LOAN
    key = ""
    amount = Decimal("12.50")
    original_amount = factory.SelfAttribute("amount")
    currency = "USD"
    status = ChargeStatus.OPEN
    incurred_at = factory.LazyFunction(timezone.now)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    library = factory.SubFactory(MemberLibraryFactory)
    fiscal_year = factory.Sequence(lambda n: f"FY{2000 + n}")
    fund = ""
    starts_on = dt.date(2026, 7, 1)
    ends_on = dt.date(2027, 6, 30)
    amount = Decimal("1000.00")
    currency = "USD"


__all__ = ["BillingSettingsFactory", "BudgetFactory", "EventFactory", "FeeScheduleFactory", "LibraryFactory",
           "ReceivableFactory"]
