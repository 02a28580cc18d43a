"""A renewal over ISO 18626: the borrower's Renew flags the lender's loan, and the lender's RenewResponse clears the
flag on the borrower's, granted or refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.iso18626 import messages as m
from requests_app.models import IllRequest
from tests.factories import IllRequestFactory, LendingRequestFactory
from tests.interop.test_iso18626_endpoint import assert_ok, post, requesting_message, supplying_message

pytestmark = pytest.mark.django_db


def test_a_borrowers_renew_message_flags_our_loan_for_an_answer(client):
    request = LendingRequestFactory(status=LendingStatus.SHIPPED)
    _, confirmation = post(client, requesting_message(request, m.Action.RENEW))
    assert_ok(confirmation)
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None


def test_a_granted_renew_response_clears_the_renewal_we_asked(client):
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, due_date=dt.date(2026, 12, 1),
                                renewal_requested_at=timezone.now())
    _, confirmation = post(client, supplying_message(request, m.Status.LOANED, reason=m.ReasonForMessage.RENEW_RESPONSE,
                                                     answer=m.YesNo.Y, due=dt.datetime(2027, 1, 5, tzinfo=dt.UTC)))
    assert_ok(confirmation)
    request.refresh_from_db()
    assert (request.renewal_requested_at, request.due_date) == (None, dt.date(2027, 1, 5))


def test_a_refused_renew_response_clears_the_renewal_and_keeps_the_due_date(client):
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, due_date=dt.date(2026, 12, 1),
                                renewal_requested_at=timezone.now())
    _, confirmation = post(client, supplying_message(request, m.Status.LOANED, reason=m.ReasonForMessage.RENEW_RESPONSE,
                                                     answer=m.YesNo.N, note="Wanted here"))
    assert_ok(confirmation)
    request.refresh_from_db()
    assert (request.renewal_requested_at, request.due_date, request.renewal_count) == (None, dt.date(2026, 12, 1), 0)
