"""A lender's conditions with a fee: the amount goes out as ISO 18626 offeredCosts, comes back the same in
either version, reaches the borrower's request and, once accepted, is what billing charges on both sides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Charge, Direction
from borrowing.states import BorrowingStatus
from lending.services import answers
from lending.states import LendingStatus
from requests_app import services
from requests_app.conditions import latest_offer
from requests_app.iso18626 import json_codec, xml
from requests_app.iso18626.xml import VERSION_2021_2
from requests_app.models import Event, IllRequest, OutboxMessage
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange(django_capture_on_commit_callbacks):
    """A loan asked by BRW of LND, both members of this installation; ``act`` runs a call and its effects."""
    lender = MemberLibraryFactory(symbol="LND", currency="EUR", loan_fee=Decimal("5.00"))
    borrower = MemberLibraryFactory(symbol="BRW", loan_fee=Decimal("5.00"))
    lender_staff = Actor.staff(StaffFactory(library=lender))
    borrower_staff = Actor.staff(StaffFactory(library=borrower))

    def act(call, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(**kwargs)

    borrowing = IllRequestFactory(library=borrower, partner=lender, status=BorrowingStatus.SOURCING,
                                  requesting_agency_request_id="BRW-7")
    act(services.perform, request=borrowing, action="send_to_lender", actor=borrower_staff)
    lending = IllRequest.objects.get(role="lending", library=lender, requesting_agency_request_id="BRW-7")

    class Exchange:
        pass

    world = Exchange()
    world.__dict__.update(lender=lender, borrower=borrower, lender_staff=lender_staff,
                          borrower_staff=borrower_staff, act=act, borrowing=borrowing, lending=lending)
    return world


def offer(world, amount="12.50", currency="EUR"):
    world.act(answers.offer_conditions, request=world.lending, actor=world.lender_staff,
              conditions=["LibraryUseOnly"], note="Reading room only.", fee_amount=amount, fee_currency=currency)


def fresh(request) -> IllRequest:
    return IllRequest.objects.get(pk=request.pk)


@pytest.mark.parametrize("version", ["1.2", VERSION_2021_2])
def test_the_fee_of_an_offer_goes_out_as_offered_costs_and_reads_back_the_same(exchange, version, schema_errors):
    offer(exchange)
    payload = OutboxMessage.objects.filter(request=exchange.lending).latest("pk").payload
    document = xml.encode(json_codec.from_json(payload), version=version)
    assert schema_errors(document) == []
    assert b"offeredCosts" in document and b"12.50" in document
    read = xml.decode(document)
    assert [(c.monetary_value, c.currency_code.value) for c in read.retry_info.offered_costs] == [
        (Decimal("12.50"), "EUR")]


def test_the_borrowers_request_waits_on_the_conditions_with_their_codes_and_fee(exchange):
    offer(exchange)
    borrowing = fresh(exchange.borrowing)
    assert borrowing.status == BorrowingStatus.CONDITIONAL
    data = Event.objects.get(request=borrowing, action="lender_conditional").data
    assert (data["loan_conditions"], data["offered_cost"]) == (
        ["LibraryUseOnly", "Cost"], {"amount": "12.50", "currency": "EUR"})
    shown = latest_offer(borrowing, borrowing.events.all())
    assert (shown.labels, shown.cost_text, shown.pending) == (
        ["Library use only", "A fee applies"], "12.50 EUR", True)


def test_accepted_conditions_make_their_fee_the_charge_on_both_sides(exchange):
    offer(exchange)
    exchange.act(services.perform, request=fresh(exchange.borrowing), action="accept_conditions",
                 actor=exchange.borrower_staff)
    assert fresh(exchange.lending).status == LendingStatus.AWAITING_PICKING
    exchange.act(answers.ship, request=fresh(exchange.lending), actor=exchange.lender_staff)
    exchange.act(services.perform, request=fresh(exchange.borrowing), action="receive", actor=exchange.borrower_staff)
    receivable = Charge.objects.get(request=exchange.lending, direction=Direction.RECEIVABLE)
    payable = Charge.objects.get(request=exchange.borrowing, direction=Direction.PAYABLE)
    assert (receivable.amount, receivable.currency) == (Decimal("12.50"), "EUR")
    assert (payable.amount, payable.currency) == (Decimal("12.50"), "EUR")


def test_refused_conditions_charge_nothing_of_their_fee(exchange):
    offer(exchange, amount="40.00")
    exchange.act(services.perform, request=fresh(exchange.borrowing), action="reject_conditions",
                 actor=exchange.borrower_staff)
    assert fresh(exchange.lending).status == LendingStatus.CANCELLED
    assert latest_offer(fresh(exchange.borrowing)).answer == "closed"
    assert not Charge.objects.filter(amount=Decimal("40.00")).exists()
