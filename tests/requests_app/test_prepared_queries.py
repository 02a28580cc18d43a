"""A values() query prepared once per shape (utilities.prepared_queries) reads exactly the ORM's rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.models import IllRequest
from requests_app.partners.api.rows_from_values import row_representation
from requests_app.partners.api.serializers import PartnerRequestSerializer
from requests_app.utilities.prepared_queries import PreparedValues, Shapes, _Compiled
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory

pytestmark = pytest.mark.django_db
ORDERING = ("-updated_at", "-pk")


@pytest.fixture
def partner():
    partner = LibraryFactory(is_member=False)
    start = timezone.now() - dt.timedelta(days=3)
    made = [*LendingRequestFactory.create_batch(4, partner=partner, format="article"),
            *IllRequestFactory.create_batch(4, partner=partner, format="book")]
    for n, request in enumerate(made):  # two requests per moment: the cursor's position is shared
        IllRequest.objects.filter(pk=request.pk).update(updated_at=start + dt.timedelta(hours=n // 2))
    IllRequestFactory.create_batch(2)  # another partner's
    return partner


class Family:
    """A prepared family of the partner's rows, counting how often its query is built."""

    def __init__(self) -> None:
        self.shapes = Shapes()
        self.built = 0
        self.representation = row_representation(PartnerRequestSerializer)

    def rows(self, partner, **filters) -> PreparedValues:
        def build(values):
            self.built += 1
            queryset = IllRequest.objects.filter(partner_id=values["partner"])
            for name in filters:
                queryset = queryset.filter(**{name: values[name]})
            return self.representation.values(queryset)

        return PreparedValues(model=IllRequest, shapes=self.shapes, shape=tuple(sorted(filters)), build=build,
                              values={"partner": partner.pk, **filters})


def orm_rows(partner, *, filters=None, where=None, ordering=ORDERING, bounds=(None, None)) -> list[dict]:
    queryset = IllRequest.objects.filter(partner_id=partner.pk, **(filters or {}))
    queryset = row_representation(PartnerRequestSerializer).values(queryset).order_by(*ordering)
    return list(queryset.filter(**(where or {}))[bounds[0]:bounds[1]])


def prepared(family: Family) -> list[_Compiled]:
    return [c for c in family.shapes._compiled.values() if isinstance(c, _Compiled)]


def test_a_page_reads_the_same_rows_as_the_orm(partner):
    rows = Family().rows(partner).order_by(*ORDERING)[0:5]

    assert list(rows) == orm_rows(partner, bounds=(0, 5))


@pytest.mark.parametrize("filters", [{"format": "book"}, {"role": "lending", "format": "article"}, {"status": "x"}])
def test_a_filtered_page_reads_the_same_rows_as_the_orm(partner, filters):
    rows = Family().rows(partner, **filters).order_by(*ORDERING)[0:10]

    assert list(rows) == orm_rows(partner, filters=filters, bounds=(0, 10))


@pytest.mark.parametrize("lookup", ["updated_at__lt", "updated_at__gt"])
def test_a_cursors_position_given_as_text_selects_what_the_orm_selects(partner, lookup):
    middle = str(IllRequest.objects.filter(partner=partner).order_by("updated_at")[3].updated_at)

    rows = Family().rows(partner).order_by(*ORDERING).filter(**{lookup: middle})[1:4]

    assert list(rows) == orm_rows(partner, where={lookup: middle}, bounds=(1, 4))


def test_the_reversed_ordering_reads_the_same_rows_as_the_orm(partner):
    reverse = ("updated_at", "pk")

    rows = Family().rows(partner).order_by(*reverse)[0:6]

    assert list(rows) == orm_rows(partner, ordering=reverse, bounds=(0, 6))


def test_the_second_call_of_a_shape_builds_no_query_and_runs_one_statement(partner):
    family = Family()
    list(family.rows(partner, format="book").order_by(*ORDERING)[0:3])
    built = family.built

    with CaptureQueriesContext(connection) as queries:
        second = list(family.rows(partner, format="article").order_by(*ORDERING)[0:3])

    assert second == orm_rows(partner, filters={"format": "article"}, bounds=(0, 3))
    assert len(queries) == 1
    assert family.built == built


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite takes date-times as text: it falls back")
def test_on_postgresql_a_date_time_position_is_prepared_as_a_parameter(partner):
    family = Family()
    moment = IllRequest.objects.filter(partner=partner).order_by("updated_at")[5].updated_at

    rows = family.rows(partner).order_by(*ORDERING).filter(updated_at__lt=moment)[0:50]

    assert list(rows) == orm_rows(partner, where={"updated_at__lt": moment}, bounds=(0, 50))
    compiled, = prepared(family)
    assert set(compiled.slots) - {None} == {"partner", "where:updated_at__lt"}


def test_a_position_the_field_refuses_raises_the_orms_validation_error(partner):
    with pytest.raises(ValidationError):
        Family().rows(partner).order_by(*ORDERING).filter(updated_at__lt="not a moment")


def test_a_value_that_is_none_is_read_through_the_orm(partner):
    family = Family()

    rows = list(family.rows(partner, supplying_agency_request_id=None).order_by(*ORDERING)[0:20])

    assert rows == orm_rows(partner, filters={"supplying_agency_request_id": None}, bounds=(0, 20))
    assert prepared(family) == []


def test_a_lookup_that_rewrites_its_value_is_read_through_the_orm(partner):
    family = Family()
    IllRequest.objects.filter(partner=partner, format="book").update(title="The Art of Lending")

    rows = list(family.rows(partner, title__icontains="art of").order_by(*ORDERING)[0:20])

    assert rows == orm_rows(partner, filters={"title__icontains": "art of"}, bounds=(0, 20))
    assert len(rows) == 4
    assert prepared(family) == []


def test_a_shape_marked_not_to_prepare_is_read_through_the_orm(partner):
    shapes = Shapes()
    rows = PreparedValues(model=IllRequest, shapes=shapes, shape="x", prepare=False,
                          build=lambda values: row_representation(PartnerRequestSerializer).values(
                              IllRequest.objects.filter(partner_id=values["partner"])),
                          values={"partner": partner.pk}).order_by(*ORDERING)[0:3]

    assert list(rows) == orm_rows(partner, bounds=(0, 3))
    assert shapes._compiled == {}


def test_a_shape_cache_that_is_full_starts_again_rather_than_grow():
    shapes = Shapes(most=2)
    for n in range(3):
        shapes.put(n, object())

    assert list(shapes._compiled) == [2]


def test_a_call_with_a_none_value_leaves_the_shape_to_be_prepared_by_the_next_call(partner):
    family = Family()
    list(family.rows(partner, supplying_agency_request_id=None).order_by(*ORDERING)[0:20])

    rows = list(family.rows(partner, supplying_agency_request_id="THEM-1").order_by(*ORDERING)[0:20])

    assert rows == orm_rows(partner, filters={"supplying_agency_request_id": "THEM-1"}, bounds=(0, 20))
    assert len(prepared(family)) == 1
