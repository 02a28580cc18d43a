"""Statistics of a real exchange between two member libraries: the events the services write are the ones counted."""

import datetime as dt

import pytest
from django.utils import timezone

from borrowing.states import BorrowingStatus
from lending.services import answers
from requests_app import services
from requests_app.models import IllRequest
from requests_app.statistics import queries
from requests_app.statistics.queries import Scope
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange(django_capture_on_commit_callbacks):
    lender, borrower = MemberLibraryFactory(symbol="LND"), MemberLibraryFactory(symbol="BRW")
    borrower_staff = Actor.staff(StaffFactory(library=borrower))
    lender_staff = Actor.staff(StaffFactory(library=lender))

    def act(call, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(**kwargs)

    def borrowed(rid):
        request = IllRequestFactory(library=borrower, partner=lender, status=BorrowingStatus.SOURCING,
                                    requesting_agency_request_id=rid, patron_category="faculty")
        act(services.perform, request=request, action="send_to_lender", actor=borrower_staff)
        return request, IllRequest.objects.get(role="lending", library=lender, requesting_agency_request_id=rid)

    shipped, shipped_lending = borrowed("BRW-1")
    act(answers.will_supply, request=shipped_lending, actor=lender_staff)
    act(answers.ship, request=IllRequest.objects.get(pk=shipped_lending.pk), actor=lender_staff)
    for action in ("receive", "notify_patron"):
        act(services.perform, request=IllRequest.objects.get(pk=shipped.pk), action=action, actor=borrower_staff)
    unfilled, unfilled_lending = borrowed("BRW-2")
    act(answers.unfill, request=unfilled_lending, actor=lender_staff, reason="NotOnShelf")
    return lender, borrower


def today(library, **kwargs):
    return Scope(library=library, start=timezone.localdate() - dt.timedelta(days=1),
                 end=timezone.localdate() + dt.timedelta(days=1), **kwargs)


def test_the_lenders_answers_count_in_its_lending_fill_rate_and_reasons(exchange):
    lender, _ = exchange
    (rates,) = queries.fill_rates(today(lender, role="lending"))
    assert (rates.overall.filled, rates.overall.unfilled) == (1, 1)
    assert [(r.partner, r.filled, r.unfilled) for r in rates.by_partner] == [("BRW", 1, 1)]
    assert [(r.code, r.count) for r in queries.unfilled_reasons(today(lender))] == [("NotOnShelf", 1)]
    (shipping,) = queries.turnaround(today(lender, role="lending"))
    assert shipping.count == 1


def test_the_same_answers_count_for_the_borrower_against_that_lender(exchange):
    lender, borrower = exchange
    (rates,) = queries.fill_rates(today(borrower, role="borrowing"))
    assert [(r.partner, r.filled, r.unfilled) for r in rates.by_partner] == [("LND", 1, 1)]
    assert [(r.role, r.code) for r in queries.unfilled_reasons(today(borrower))] == [("borrowing", "NotOnShelf")]
    received = {t.measure.key: t.count for t in queries.turnaround(today(borrower))}
    assert received["borrowing_received"] == 1
