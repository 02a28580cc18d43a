import datetime as dt

import pytest

from borrowing.states import BorrowingStatus
from borrowing.tasks import mark_overdue_loans
from requests_app.models import Event
from tests.factories import IllRequestFactory

pytestmark = pytest.mark.django_db


def test_a_loan_past_the_patrons_due_date_becomes_overdue():
    loan = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2026, 3, 1))
    assert mark_overdue_loans(today="2026-03-02") == 1
    loan.refresh_from_db()
    assert loan.status == BorrowingStatus.OVERDUE


def test_a_loan_due_today_is_not_yet_overdue():
    loan = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2026, 3, 2))
    assert mark_overdue_loans(today="2026-03-02") == 0
    loan.refresh_from_db()
    assert loan.status == BorrowingStatus.CHECKED_OUT


def test_running_the_overdue_job_twice_marks_and_logs_each_loan_once():
    loan = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2026, 3, 1))
    mark_overdue_loans(today="2026-03-05")
    assert mark_overdue_loans(today="2026-03-05") == 0
    assert Event.objects.filter(request=loan, action="mark_overdue").count() == 1
