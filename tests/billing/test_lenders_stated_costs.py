"""What a lender says a supply costs (ISO 18626 deliveryCosts) becomes our payable, not our guess."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Charge, Direction, Service
from billing.services import charge_for_event
from borrowing.states import BorrowingStatus
from requests_app.iso18626 import messages as m
from requests_app.models import IllRequest
from tests.factories import IllRequestFactory, LibraryFactory
from tests.interop.test_iso18626_endpoint import post, supplying_message

from .factories import EventFactory

pytestmark = pytest.mark.django_db


def stated(amount: str, currency: str = "EUR") -> dict:
    return {"delivery_cost": {"amount": amount, "currency": currency}}


def test_a_copy_delivered_with_a_stated_cost_is_payable_at_that_cost():
    request = IllRequestFactory(partner=LibraryFactory(copy_fee=Decimal("7.00")), format="article",
                                status=BorrowingStatus.SENT)
    event = EventFactory(request=request, action="lender_delivered_copy", actor_kind="partner",
                         actor_library=request.partner, data=stated("12.50"))
    [charge] = charge_for_event(request=request, event=event)
    assert (charge.direction, charge.service, charge.amount, charge.currency) == (
        Direction.PAYABLE, Service.COPY, Decimal("12.50"), "EUR")
    assert "lender" in charge.note


def test_a_loan_received_is_payable_at_the_cost_the_lender_stated_when_shipping():
    request = IllRequestFactory(partner=LibraryFactory(loan_fee=Decimal("20.00")), status=BorrowingStatus.SHIPPED)
    EventFactory(request=request, action="lender_shipped", actor_kind="partner", actor_library=request.partner,
                 data=stated("15.00", "usd"))
    received = EventFactory(request=request, action="receive")
    [charge] = charge_for_event(request=request, event=received)
    assert (charge.amount, charge.currency) == (Decimal("15.00"), "USD")


def test_an_unreadable_stated_cost_falls_back_to_the_fee_schedule():
    request = IllRequestFactory(partner=LibraryFactory(copy_fee=Decimal("7.00")), format="article",
                                status=BorrowingStatus.SENT)
    event = EventFactory(request=request, action="lender_delivered_copy", actor_kind="partner",
                         actor_library=request.partner, data=stated("lots", "EUR"))
    [charge] = charge_for_event(request=request, event=event)
    assert charge.amount == Decimal("7.00")


def test_a_cost_stated_by_another_library_is_not_ours_to_pay():
    request = IllRequestFactory(partner=LibraryFactory(loan_fee=Decimal("20.00")), status=BorrowingStatus.SHIPPED)
    EventFactory(request=request, action="lender_shipped", actor_kind="partner", actor_library=LibraryFactory(),
                 data=stated("99.00"))
    [charge] = charge_for_event(request=request, event=EventFactory(request=request, action="receive"))
    assert charge.amount == Decimal("20.00")


def test_delivery_costs_in_an_iso18626_copy_completed_message_become_the_payable(
        client, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.SENT, format="article")
    message = supplying_message(request, m.Status.COPY_COMPLETED)
    message = dataclasses.replace(message, delivery_info=m.DeliveryInfo(
        date_sent=dt.datetime(2026, 11, 2, tzinfo=dt.UTC), url="https://lender.example/copy/1",
        delivery_costs=(m.Costs(currency_code=m.TypedValue(value="GBP"), monetary_value=Decimal("8.25")),)))
    with django_capture_on_commit_callbacks(execute=True):
        post(client, message)
    assert IllRequest.objects.get(pk=request.pk).status == BorrowingStatus.DELIVERED
    charge = Charge.objects.get(request=request, direction=Direction.PAYABLE)
    assert (charge.amount, charge.currency) == (Decimal("8.25"), "GBP")
