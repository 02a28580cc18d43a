"""Every page shows dates in the locale's one format, an overdue item's days overdue, and the labelled citation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import RequestFormat, Role
from tests.factories import IllRequestFactory, LendingRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

ARTICLE = {"format": RequestFormat.ARTICLE, "title": "Judgment under uncertainty", "author": "Tversky, A.",
           "container_title": "Science", "volume": "185", "issue": "4157", "pages": "1124-1131",
           "publication_date": "1974"}
LABELLED = "Science, vol. 185, no. 4157, pp. 1124–1131"


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(client, home):
    user = StaffFactory(library=home, groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF])
    client.force_login(user)
    return user


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def test_an_overdue_borrowing_loan_counts_days_from_the_patrons_due_date():
    request = IllRequestFactory.build(patron=None, status=BorrowingStatus.OVERDUE, patron_due_date=days_ago(3),
                                      due_date=days_ago(-4))
    assert request.days_overdue == 3


def test_a_checked_out_loan_is_not_counted_overdue_before_the_state_says_so():
    request = IllRequestFactory.build(patron=None, status=BorrowingStatus.CHECKED_OUT, patron_due_date=days_ago(3))
    assert request.days_overdue == 0


def test_an_overdue_lending_loan_counts_days_from_our_due_date():
    request = LendingRequestFactory.build(status=LendingStatus.OVERDUE, due_date=days_ago(5))
    assert request.days_overdue == 5


def test_an_overdue_request_without_a_due_date_counts_no_days():
    assert IllRequestFactory.build(patron=None, status=BorrowingStatus.OVERDUE).days_overdue == 0


def test_the_borrowing_request_page_shows_the_due_date_in_the_locales_format_and_days_overdue(client, staff, home):
    due = days_ago(3)
    request = IllRequestFactory(library=home, status=BorrowingStatus.OVERDUE, patron_due_date=due)
    content = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert due.strftime("%m/%d/%Y") in content
    assert due.isoformat() not in content
    assert "3 days overdue" in content


def test_the_borrowing_queue_shows_days_overdue(client, staff, home):
    IllRequestFactory(library=home, status=BorrowingStatus.OVERDUE, patron_due_date=days_ago(1))
    content = client.get(reverse("borrowing_staff:queue"), {"status": BorrowingStatus.OVERDUE}).content.decode()
    assert "1 day overdue" in content


def test_the_lending_queue_and_page_show_days_overdue(client, staff, home):
    request = LendingRequestFactory(library=home, status=LendingStatus.OVERDUE, due_date=days_ago(4))
    assert "4 days overdue" in client.get(reverse("lending:queue"),
                                          {"status": LendingStatus.OVERDUE}).content.decode()
    assert "4 days overdue" in client.get(reverse("lending:request", args=[request.pk])).content.decode()


def test_the_patron_pages_show_days_overdue(client, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.OVERDUE, patron_due_date=days_ago(2))
    client.force_login(request.patron)
    assert "2 days overdue" in client.get(reverse("patron-requests")).content.decode()
    assert "2 days overdue" in client.get(reverse("patron-request", args=[request.pk])).content.decode()


def test_the_lending_request_page_shows_the_labelled_citation(client, staff, home):
    request = LendingRequestFactory(library=home, **ARTICLE)
    content = client.get(reverse("lending:request", args=[request.pk])).content.decode()
    assert LABELLED in content
    assert "Science 185 4157" not in content


def test_the_borrowing_request_page_shows_the_labelled_citation(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SENT, **ARTICLE)
    assert LABELLED in client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()


def test_the_patron_request_page_shows_the_labelled_citation(client, home):
    request = IllRequestFactory(library=home, **ARTICLE)
    client.force_login(request.patron)
    assert LABELLED in client.get(reverse("patron-request", args=[request.pk])).content.decode()


def test_the_patron_home_links_each_title_to_its_request_page(client, home):
    request = IllRequestFactory(library=home, role=Role.BORROWING)
    client.force_login(request.patron)
    content = client.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("patron-request", args=[request.pk])}">{request.title}</a>' in content
