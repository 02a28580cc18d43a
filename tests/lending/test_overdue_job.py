import datetime as dt

import pytest

from lending.states import LendingStatus
from lending.tasks import mark_overdue_loans
from requests_app.models import Event
from tests.factories import LendingRequestFactory

pytestmark = pytest.mark.django_db


def test_our_item_past_its_due_date_becomes_overdue_once():
    loan = LendingRequestFactory(status=LendingStatus.SHIPPED, due_date=dt.date(2026, 3, 1))
    other = LendingRequestFactory(status=LendingStatus.SHIPPED, due_date=dt.date(2026, 4, 1))
    assert mark_overdue_loans(today="2026-03-02") == 1
    assert mark_overdue_loans(today="2026-03-02") == 0
    loan.refresh_from_db()
    other.refresh_from_db()
    assert (loan.status, other.status) == (LendingStatus.OVERDUE, LendingStatus.SHIPPED)
    assert Event.objects.filter(request=loan, action="mark_overdue").count() == 1
