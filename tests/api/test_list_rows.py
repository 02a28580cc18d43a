"""The request lists are read from ``values()`` (``rows_from_values``): the JSON must be exactly the serializer's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import serializers

from requests_app.models import IllRequest
from requests_app.partners.api.rows_from_values import RowRepresentation, row_representation
from requests_app.partners.api.serializers import PartnerRequestSerializer, StaffRequestSerializer
from tests.factories import IllRequestFactory, LendingRequestFactory, PatronFactory

pytestmark = pytest.mark.django_db


def _full_article(**extra) -> IllRequest:
    return IllRequestFactory(
        format="article", service_type="Copy", title="On lending", author="Lovelace, Ada",
        container_title="Journal of Library Networks", volume="12", issue="3", pages="1-20", publication_date="2021",
        issn="0378-5955", doi="10.1000/xyz123", pmid="123456", need_by=dt.date(2026, 12, 24),
        max_cost=Decimal("12.5"), max_cost_currency="EUR", due_date=dt.date(2027, 1, 15), renewal_count=1,
        patron_due_date=dt.date(2027, 1, 12), supplying_agency_request_id="THEM-77", **extra)


def _as_drf(serializer_class, requests) -> list[dict]:
    return [dict(item) for item in serializer_class(requests, many=True).data]


def _as_rows(serializer_class, requests) -> list[dict]:
    representation = row_representation(serializer_class)
    rows = representation.values(IllRequest.objects.filter(pk__in=[r.pk for r in requests]).order_by("pk"))
    return representation(rows)


def _requests() -> list[IllRequest]:
    patron = PatronFactory(first_name="Grace", last_name="Hopper")
    nameless = PatronFactory(first_name="", last_name="", username="reader42")
    made = [
        _full_article(patron=patron),
        IllRequestFactory(patron=nameless, max_cost=None, need_by=None),
        IllRequestFactory(patron=None),
        LendingRequestFactory(),
        IllRequestFactory(status="a_status_no_workflow_knows"),
    ]
    return list(IllRequest.objects.filter(pk__in=[r.pk for r in made]).order_by("pk")
                .select_related("library", "partner", "patron"))


@pytest.mark.parametrize("serializer_class", [PartnerRequestSerializer, StaffRequestSerializer])
def test_the_rows_are_exactly_what_the_serializer_makes_of_the_same_requests(serializer_class):
    requests = _requests()

    assert _as_rows(serializer_class, requests) == _as_drf(serializer_class, requests)


def test_the_rows_show_date_times_in_the_current_time_zone_as_the_serializer_does():
    requests = _requests()
    IllRequest.objects.filter(pk=requests[0].pk).update(need_by=None, status_changed_at=dt.datetime(
        2026, 6, 1, 23, 30, tzinfo=dt.UTC))
    requests = list(IllRequest.objects.filter(pk__in=[r.pk for r in requests]).order_by("pk")
                    .select_related("library", "partner"))

    with timezone.override("America/Chicago"):
        rows = _as_rows(PartnerRequestSerializer, requests)
        assert rows == _as_drf(PartnerRequestSerializer, requests)
    assert rows[0]["status_changed_at"] == "2026-06-01T18:30:00-05:00"


def test_the_partner_rows_read_no_patron_column():
    assert not [c for c in row_representation(PartnerRequestSerializer).columns if c.startswith("patron")]


def test_a_field_that_is_not_a_column_and_not_declared_is_refused_when_the_plan_is_built():
    class Undeclared(serializers.ModelSerializer):
        is_final = serializers.BooleanField()

        class Meta:
            model = IllRequest
            fields = ["id", "is_final"]

    with pytest.raises(ImproperlyConfigured, match="is_final"):
        RowRepresentation(Undeclared)
