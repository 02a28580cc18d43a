"""Keyset pagination: every row exactly once, forwards and back, whatever the sort and ties."""

import datetime as dt

import pytest
from django.utils import timezone

from requests_app.models import IllRequest
from requests_app.utilities.pagination import keyset_page
from tests.factories import IllRequestFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library():
    return MemberLibraryFactory()


def walk_forward(queryset, ordering, size):
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, ordering=ordering, cursor=cursor, size=size)
        pages.append([r.pk for r in page])
        if not page.has_next:
            return pages, page
        cursor = page.next_cursor


def walk_back(queryset, ordering, size, page):
    pages = [[r.pk for r in page]]
    while page.has_previous:
        page = keyset_page(queryset, ordering=ordering, cursor=page.previous_cursor, size=size)
        pages.insert(0, [r.pk for r in page])
    return pages


def expected(queryset, ordering):
    return [r.pk for r in queryset.order_by(*ordering, "-pk" if ordering[0].startswith("-") else "pk")]


def test_walking_forward_gives_every_row_once_in_order_even_with_equal_timestamps(library):
    same = timezone.now()
    for _ in range(13):
        IllRequestFactory(library=library)
    IllRequest.objects.filter(pk__in=list(IllRequest.objects.values_list("pk", flat=True)[:7])).update(
        updated_at=same)
    queryset = IllRequest.objects.all()
    pages, _ = walk_forward(queryset, ["-updated_at"], 5)
    assert [len(p) for p in pages] == [5, 5, 3]
    assert sum(pages, []) == expected(queryset, ["-updated_at"])


def test_walking_back_from_the_last_page_gives_the_same_pages(library):
    for _ in range(12):
        IllRequestFactory(library=library)
    queryset = IllRequest.objects.all()
    forward, last = walk_forward(queryset, ["-created_at"], 5)
    assert walk_back(queryset, ["-created_at"], 5, last) == forward


def test_a_nullable_sort_field_puts_rows_without_a_value_last_in_both_directions(library):
    for days in (3, None, 1, None, 2):
        IllRequestFactory(library=library, need_by=dt.date(2027, 1, 1) + dt.timedelta(days=days) if days else None)
    queryset = IllRequest.objects.all()
    ascending, _ = walk_forward(queryset, ["need_by"], 2)
    descending, _ = walk_forward(queryset, ["-need_by"], 2)
    dates = {r.pk: r.need_by for r in queryset}
    assert [dates[pk] for pk in sum(ascending, [])][-2:] == [None, None]
    assert [dates[pk] for pk in sum(descending, [])][-2:] == [None, None]
    assert len(set(sum(ascending, []))) == len(set(sum(descending, []))) == 5


def test_sorting_by_a_related_field_that_may_be_missing_pages_through_every_row(library):
    for _ in range(4):
        IllRequestFactory(library=library)
    for _ in range(3):
        IllRequestFactory(library=library, partner=None)
    pages, _ = walk_forward(IllRequest.objects.all(), ["partner__symbol"], 3)
    assert sorted(sum(pages, [])) == sorted(IllRequest.objects.values_list("pk", flat=True))


def test_the_first_page_has_no_previous_page(library):
    for _ in range(3):
        IllRequestFactory(library=library)
    page = keyset_page(IllRequest.objects.all(), ordering=["-updated_at"], cursor=None, size=2)
    assert page.has_next and not page.has_previous


def test_a_tampered_cursor_shows_the_first_page(library):
    for _ in range(3):
        IllRequestFactory(library=library)
    first = keyset_page(IllRequest.objects.all(), ordering=["-updated_at"], cursor=None, size=2)
    page = keyset_page(IllRequest.objects.all(), ordering=["-updated_at"], cursor=first.next_cursor[:-3] + "abc",
                       size=2)
    assert [r.pk for r in page] == [r.pk for r in first]


def test_a_deep_page_takes_one_query(library, django_assert_num_queries):
    for _ in range(9):
        IllRequestFactory(library=library)
    _, last = walk_forward(IllRequest.objects.all(), ["-updated_at"], 2)
    with django_assert_num_queries(1):
        keyset_page(IllRequest.objects.all(), ordering=["-updated_at"], cursor=last.previous_cursor, size=2)
