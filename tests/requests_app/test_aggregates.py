"""Percentiles computed in the database: exact, interpolated like percentile_cont, per group."""

import datetime as dt

import pytest
from django.db.models import DurationField, ExpressionWrapper, F

from requests_app.models import IllRequest
from requests_app.utilities.aggregates import percentile_groups, percentiles
from tests.factories import IllRequestFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db


def requests_with_renewals(library, counts):
    for count in counts:
        IllRequestFactory(library=library, renewal_count=count)


def test_the_median_of_an_even_number_of_values_is_halfway_between_the_middle_two():
    library = MemberLibraryFactory()
    requests_with_renewals(library, [4, 1, 3, 2])
    assert percentiles(IllRequest.objects.all(), value="renewal_count") == {None: {0.5: 2.5}}


def test_the_90th_percentile_interpolates_between_the_closest_ranks():
    library = MemberLibraryFactory()
    requests_with_renewals(library, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110])
    result = percentiles(IllRequest.objects.all(), value="renewal_count", fractions=(0.5, 0.9))
    assert result[None] == {0.5: 60.0, 0.9: 100.0}
    requests_with_renewals(library, [120])  # 12 values: p90 sits at rank 10.9
    result = percentiles(IllRequest.objects.all(), value="renewal_count", fractions=(0.9,))
    assert result[None][0.9] == pytest.approx(109.0)


def test_each_group_has_its_own_percentiles():
    first, second = MemberLibraryFactory(), MemberLibraryFactory()
    requests_with_renewals(first, [1, 2, 3])
    requests_with_renewals(second, [7])
    result = percentiles(IllRequest.objects.all(), value="renewal_count", by="library")
    assert result == {first.pk: {0.5: 2.0}, second.pk: {0.5: 7.0}}


def test_a_group_without_rows_is_absent():
    assert percentiles(IllRequest.objects.all(), value="renewal_count", by="library") == {}


def test_durations_come_back_as_durations():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for hours in (1, 3):
        request = IllRequestFactory()
        IllRequest.objects.filter(pk=request.pk).update(
            created_at=start, status_changed_at=start + dt.timedelta(hours=hours))
    took = ExpressionWrapper(F("status_changed_at") - F("created_at"), output_field=DurationField())
    result = percentiles(IllRequest.objects.annotate(took=took), value="took")
    assert result[None][0.5] == dt.timedelta(hours=2)


def test_a_fraction_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentiles(IllRequest.objects.all(), value="renewal_count", fractions=(90,))


def test_each_group_reports_how_many_values_its_percentiles_come_from():
    first, second = MemberLibraryFactory(), MemberLibraryFactory()
    requests_with_renewals(first, [1, 2, 3, 4])
    requests_with_renewals(second, [7])
    result = percentile_groups(IllRequest.objects.all(), value="renewal_count", by="library", fractions=(0.5, 0.9))
    assert result[first.pk].size == 4
    assert result[first.pk].values == {0.5: 2.5, 0.9: pytest.approx(3.7)}
    assert result[second.pk].size == 1
    assert result[second.pk].values == {0.5: 7.0, 0.9: 7.0}
