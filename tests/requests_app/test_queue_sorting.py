"""Both desks' queues sort by their column headers, both ways, across keyset pages, without a query per row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.models import IllRequest
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Desk:
    name: str
    url: str
    factory: type
    group: str
    page_size: str
    #: The sort value of each sortable header (ascending) and the row attribute it orders by.
    sorts: dict[str, str]

    def __str__(self) -> str:
        return self.name


BORROWING = Desk("borrowing", "borrowing_staff:queue", IllRequestFactory, roles.BORROWING_STAFF,
                 "borrowing.views.staff.PAGE_SIZE",
                 {"title": "title", "lender": "partner_symbol", "-created": "age", "need_by": "need_by",
                  "due": "patron_due_date", "lender_due": "due_date", "updated": "updated_at"})
LENDING = Desk("lending", "lending:queue", LendingRequestFactory, roles.LENDING_STAFF,
               "lending.views.queues.PAGE_SIZE",
               {"title": "title", "borrower": "partner_symbol", "-created": "age", "need_by": "need_by",
                "due": "due_date", "updated": "updated_at"})
DESKS = [BORROWING, LENDING]
CASES = [(desk, sort) for desk in DESKS for sort in desk.sorts]

# The rows are made in this order; each sorts to its number's place in every column.
PLACES = [3, 1, 4, 0, 2]


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


def sign_in(client, home, desk: Desk):
    client.force_login(StaffFactory(library=home, groups=[desk.group]))


def make_rows(desk: Desk, home) -> list[IllRequest]:
    """Five requests whose every sortable column puts them in PLACES order (ascending)."""
    now, today = timezone.now(), timezone.localdate()
    made = []
    for place in PLACES:
        row = desk.factory(library=home, title=f"Title {place}", partner=LibraryFactory(symbol=f"P{place}"))
        IllRequest.objects.filter(pk=row.pk).update(
            created_at=now - dt.timedelta(days=10 - place),  # the youngest has the highest place
            need_by=today + dt.timedelta(days=place), patron_due_date=today + dt.timedelta(days=20 + place),
            due_date=today + dt.timedelta(days=30 + place), updated_at=now - dt.timedelta(hours=10 - place))
        made.append(row)
    return made


def walk(client, desk: Desk, params: dict) -> list[str]:
    """Every row's number over all the pages, following the next cursors."""
    seen, cursor = [], None
    while True:
        response = client.get(reverse(desk.url), {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        page = response.context["page"]
        seen += [r.number for r in page]
        if not page.has_next:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize(("desk", "sort"), CASES, ids=[f"{d}-{s}" for d, s in CASES])
def test_a_header_sorts_the_queue_ascending_across_pages(client, home, monkeypatch, desk, sort):
    sign_in(client, home, desk)
    monkeypatch.setattr(desk.page_size, 2)
    made = make_rows(desk, home)
    by_place = sorted(made, key=lambda r: PLACES[made.index(r)])
    if sort == "-created":  # age ascending: the youngest first
        by_place.reverse()
    assert walk(client, desk, {"sort": sort}) == [r.number for r in by_place]


@pytest.mark.parametrize(("desk", "sort"), CASES, ids=[f"{d}-{s}" for d, s in CASES])
def test_a_second_click_sorts_the_queue_descending_across_pages(client, home, monkeypatch, desk, sort):
    sign_in(client, home, desk)
    monkeypatch.setattr(desk.page_size, 2)
    made = make_rows(desk, home)
    by_place = sorted(made, key=lambda r: PLACES[made.index(r)], reverse=True)
    if sort == "-created":
        by_place.reverse()
    descending = sort[1:] if sort.startswith("-") else f"-{sort}"
    assert walk(client, desk, {"sort": descending}) == [r.number for r in by_place]


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_a_request_without_a_needed_by_date_comes_last_both_ways(client, home, monkeypatch, desk):
    sign_in(client, home, desk)
    monkeypatch.setattr(desk.page_size, 2)
    made = make_rows(desk, home)
    undated = desk.factory(library=home, need_by=None)
    assert walk(client, desk, {"sort": "need_by"})[-1] == undated.number
    assert walk(client, desk, {"sort": "-need_by"})[-1] == undated.number
    assert len(walk(client, desk, {"sort": "need_by"})) == len(made) + 1


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_sorted_header_says_its_direction_and_links_to_the_other(client, home, desk):
    sign_in(client, home, desk)
    make_rows(desk, home)
    headers = {h.column.key: h for h in client.get(reverse(desk.url), {"sort": "title"}).context["headers"]}
    assert (headers["title"].aria_sort, headers["title"].arrow) == ("ascending", "▲")
    assert "sort=-title" in headers["title"].url
    again = {h.column.key: h for h in client.get(reverse(desk.url), {"sort": "-title"}).context["headers"]}
    assert (again["title"].aria_sort, again["title"].arrow) == ("descending", "▼")
    assert "sort=title" in again["title"].url and "sort=-title" not in again["title"].url


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_page_marks_the_sorted_header_with_aria_sort_and_an_arrow(client, home, desk):
    sign_in(client, home, desk)
    make_rows(desk, home)
    html = client.get(reverse(desk.url), {"sort": "-need_by"}).content.decode()
    assert 'aria-sort="descending" data-column="need_by"' in html
    assert 'Needed by <span aria-hidden="true">▼</span>' in html


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_without_a_sort_the_updated_header_shows_the_latest_activity_first(client, home, desk):
    sign_in(client, home, desk)
    make_rows(desk, home)
    headers = {h.column.key: h for h in client.get(reverse(desk.url)).context["headers"]}
    assert headers["updated"].aria_sort == "descending"
    assert [h.aria_sort for k, h in headers.items() if k != "updated"] == [""] * (len(headers) - 1)


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_a_header_link_keeps_the_filters_and_the_action_list_but_not_the_page(client, home, desk):
    sign_in(client, home, desk)
    make_rows(desk, home)
    response = client.get(reverse(desk.url), {"q": "Title", "needs": "unread", "cursor": "x", "sort": "title"})
    url = {h.column.key: h for h in response.context["headers"]}["need_by"].url
    assert "q=Title" in url and "needs=unread" in url and "sort=need_by" in url
    assert "cursor" not in url


@pytest.mark.parametrize("desk", DESKS, ids=str)
@pytest.mark.parametrize("sort", ["bogus", "--title", "title,due", "-", "patron__password"])
def test_an_unknown_sort_shows_the_latest_activity_first_with_the_filters_kept(client, home, desk, sort):
    sign_in(client, home, desk)
    made = make_rows(desk, home)
    desk.factory(library=home, title="Something else")
    response = client.get(reverse(desk.url), {"sort": sort, "q": "Title"})
    assert response.status_code == 200
    latest_first = sorted(made, key=lambda r: PLACES[made.index(r)], reverse=True)
    assert [r.number for r in response.context["page"]] == [r.number for r in latest_first]


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_age_column_counts_days_since_the_request_was_made(client, home, desk):
    sign_in(client, home, desk)
    row = desk.factory(library=home)
    IllRequest.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    html = client.get(reverse(desk.url)).content.decode()
    assert "<td>3 days</td>" in html


@pytest.mark.parametrize("desk", DESKS, ids=str)
@pytest.mark.parametrize("sort", ["-created", "due", "-need_by", "lender_due", "borrower"])
def test_a_sorted_queue_runs_the_same_number_of_queries_for_one_row_as_for_twenty(client, home, desk, sort):
    sign_in(client, home, desk)
    status = {"status": BorrowingStatus.SENT} if desk is BORROWING else {}
    desk.factory(library=home, **status)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(desk.url), {"sort": sort}).status_code == 200
    desk.factory.create_batch(19, library=home, **status)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(reverse(desk.url), {"sort": sort})
    assert len(response.context["page"]) == 20
    assert len(twenty) == len(one)
