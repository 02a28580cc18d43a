"""The monthly statistics rollup: the page reads closed months from it and gives the live figures."""

import datetime as dt
import math
import random
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lending.states import LendingStatus
from requests_app import figure_cells, roles, rollups
from requests_app.models import Event, FigureKind, IllRequest, MonthlyFigure, RollupState
from requests_app.statistics import monthly, queries, tables
from requests_app.statistics.queries import Scope
from tests.factories import LendingRequestFactory, LibraryFactory, StaffFactory

from . import scenario

pytestmark = pytest.mark.django_db

HALF_HOUR = dt.timedelta(minutes=30)
FIRST_QUARTER = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@pytest.fixture
def month():
    return scenario.build()


def march(month, **kwargs) -> Scope:
    return Scope(library=month.own, start=scenario.MARCH[0], end=scenario.MARCH[1], **kwargs)


def figures_of(scope: Scope) -> tables.Figures:
    return tables.Figures(scope)


def assert_same_turnaround(rolled: list[queries.Turnaround], live: list[queries.Turnaround]) -> None:
    assert [(t.measure.key, t.partner, t.count) for t in rolled] == [(t.measure.key, t.partner, t.count) for t in live]
    for mine, exact in zip(rolled, live, strict=True):
        assert abs(mine.median - exact.median) <= HALF_HOUR
        assert abs(mine.p90 - exact.p90) <= HALF_HOUR


def test_a_closed_month_is_read_from_the_rollup_once_it_ran(month):
    rollups.refresh()
    part = monthly.period_split(march(month), monthly.covered_until())
    assert part == monthly.Split((dt.date(2026, 3, 1), dt.date(2026, 3, 1)), ())


def test_before_the_rollup_ever_ran_the_whole_period_is_live(month):
    part = monthly.period_split(march(month), monthly.covered_until())
    assert part.months is None and len(part.live) == 1


def test_a_period_of_part_months_reads_its_whole_months_from_the_rollup_and_its_ends_live():
    utc = dt.UTC
    part = monthly.split(utc, dt.date(2026, 1, 15), dt.date(2026, 4, 10), dt.datetime(2026, 5, 1, tzinfo=utc))
    assert part.months == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert part.live == ((dt.datetime(2026, 1, 15, tzinfo=utc), dt.datetime(2026, 2, 1, tzinfo=utc)),
                         (dt.datetime(2026, 4, 1, tzinfo=utc), dt.datetime(2026, 4, 11, tzinfo=utc)))


def test_months_the_rollup_has_not_covered_yet_are_live():
    utc = dt.UTC
    part = monthly.split(utc, dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.datetime(2026, 3, 5, tzinfo=utc))
    assert part.months == (dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert part.live == ((dt.datetime(2026, 3, 1, tzinfo=utc), dt.datetime(2026, 7, 1, tzinfo=utc)),)


def test_volumes_from_the_rollup_equal_the_live_volumes(month):
    rollups.refresh()
    assert figures_of(march(month)).volume == queries.request_volume(march(month))


def test_the_monthly_trend_from_the_rollup_equals_the_live_trend(month):
    rollups.refresh()
    assert figures_of(march(month)).months == queries.monthly_volume(march(month))


def test_patron_volumes_from_the_rollup_equal_the_live_ones(month):
    rollups.refresh()
    assert figures_of(march(month)).patrons == queries.patron_volume(march(month))


def test_fill_rates_from_the_rollup_equal_the_live_fill_rates(month):
    rollups.refresh()
    assert figures_of(march(month)).fill_rates == queries.fill_rates(march(month))


def test_unfilled_reasons_from_the_rollup_equal_the_live_ones(month):
    rollups.refresh()
    assert figures_of(march(month)).unfilled_reasons == queries.unfilled_reasons(march(month))


def test_turnaround_percentiles_from_the_rollup_are_within_half_an_hour_of_the_exact_ones(month):
    rollups.refresh()
    figures = figures_of(march(month))
    assert_same_turnaround(figures.turnaround, queries.turnaround(march(month)))
    assert_same_turnaround(figures.turnaround_by_partner, queries.turnaround_by_partner(march(month)))


def test_figures_for_one_partner_and_role_from_the_rollup_equal_the_live_ones(month):
    rollups.refresh()
    scope = march(month, partner=month.aaa, role="lending")
    figures = figures_of(scope)
    assert (figures.volume, figures.fill_rates) == (queries.request_volume(scope), queries.fill_rates(scope))
    assert_same_turnaround(figures.turnaround, queries.turnaround(scope))


def test_with_a_partner_chosen_requests_made_are_read_live_and_equal_the_live_figures(month):
    rollups.refresh()
    scope = march(month, partner=month.bbb)
    figures = figures_of(scope)
    assert monthly.for_kind(scope, figures.split, FigureKind.MADE).months is None
    assert (figures.volume, figures.patrons, figures.months) == (
        queries.request_volume(scope), queries.patron_volume(scope), queries.monthly_volume(scope))


def test_requests_made_are_rolled_up_for_all_partners_together(month):
    rollups.refresh()
    assert set(MonthlyFigure.objects.filter(kind__in=[FigureKind.MADE, FigureKind.PATRON])
               .values_list("partner", flat=True)) == {""}


def test_a_quarter_adds_the_rollups_months_up(month):
    rollups.refresh()
    scope = Scope(library=month.own, start=FIRST_QUARTER[0], end=FIRST_QUARTER[1])
    figures = figures_of(scope)
    assert figures.split.months == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    assert figures.volume == queries.request_volume(scope)
    assert figures.fill_rates == queries.fill_rates(scope)


def test_a_closed_month_reads_the_same_after_its_requests_are_gone(month):
    rollups.refresh()
    before = figures_of(march(month)).fill_rates
    IllRequest.objects.filter(library=month.own).delete()
    assert figures_of(march(month)).fill_rates == before


def test_the_current_month_is_computed_live(month):
    rollups.refresh()
    today = timezone.localdate()
    scenario.made(LendingRequestFactory, library=month.own, partner=month.aaa, status=LendingStatus.NEW,
                  when=timezone.now())
    scope = Scope(library=month.own, start=today.replace(day=1), end=today)
    assert figures_of(scope).volume.total == 1


def test_a_second_run_writes_the_same_cells(month):
    rollups.refresh()
    first = sorted(MonthlyFigure.objects.values_list("month", "kind", "role", "partner", "status", "reason", "measure",
                                                     "hour", "count"))
    rollups.refresh(full=True)
    assert sorted(MonthlyFigure.objects.values_list("month", "kind", "role", "partner", "status", "reason", "measure",
                                                    "hour", "count")) == first


def test_the_hourly_run_recomputes_only_the_months_touched_since_the_last_run(month):
    rollups.refresh()
    february_request = month.requests["L7"]
    scenario.event(february_request, "check_in", timezone.now(), LendingStatus.COMPLETED)
    result = rollups.refresh()
    # February (the request's month) and this month (the event's), nothing else.
    assert result["months"] == 2


def test_a_state_change_moves_a_closed_months_request_to_its_new_state(month):
    rollups.refresh()
    lent = month.requests["L1"]
    IllRequest.objects.filter(pk=lent.pk).update(status=LendingStatus.COMPLETED)
    scenario.event(lent, "check_in", timezone.now(), LendingStatus.COMPLETED)
    rollups.refresh()
    assert figures_of(march(month)).volume == queries.request_volume(march(month))
    assert not MonthlyFigure.objects.filter(kind=FigureKind.MADE, month=dt.date(2026, 3, 1), role="lending",
                                            partner="AAA", format="book", status=LendingStatus.SHIPPED).exists()


def test_an_event_written_late_with_an_earlier_time_is_seen_by_the_next_run(month):
    rollups.refresh()
    lent = scenario.made(LendingRequestFactory, library=month.own, partner=month.bbb, status=LendingStatus.SHIPPED,
                         when=scenario.at(3))
    scenario.event(lent, "ship", scenario.at(4), LendingStatus.SHIPPED)
    rollups.refresh()
    assert figures_of(march(month)).fill_rates == queries.fill_rates(march(month))


def test_the_rollup_reads_months_in_the_librarys_time_zone():
    own = LibraryFactory(symbol="OWN", is_member=True, timezone="America/New_York")
    partner = LibraryFactory(symbol="AAA")
    # 1 April 02:00 UTC is still 31 March in New York.
    scenario.made(LendingRequestFactory, library=own, partner=partner, status=LendingStatus.NEW,
                  when=dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC))
    rollups.refresh()
    assert list(MonthlyFigure.objects.filter(kind=FigureKind.MADE).values_list("month", flat=True)) == [
        dt.date(2026, 3, 1)]


def test_the_rollup_covers_up_to_the_settling_time_before_its_run(month):
    now = timezone.now()
    rollups.refresh(now=now)
    assert RollupState.objects.get().covered_until == now - rollups.SETTLE


def test_a_histograms_percentile_interpolates_between_ranks_at_the_middle_of_their_hours():
    # 1 h, 2 h and 4 h spans: the median is 2.5 h, the 90th percentile 2.5 + 0.8 × 2 = 4.1 h.
    histogram = {1: 1, 2: 1, 4: 1}
    assert figure_cells.percentile(histogram, 0.5) == dt.timedelta(hours=2.5)
    assert figure_cells.percentile(histogram, 0.9) == dt.timedelta(hours=4.1)


def test_an_empty_histogram_has_no_percentile():
    assert figure_cells.percentile({}, 0.5) is None


def _interpolated(histogram: dict[int, int], fraction: float) -> dt.timedelta:
    """The percentile of the histogram's values written out one by one (each at its hour's middle)."""
    values = sorted(hour + 0.5 for hour, count in histogram.items() for _ in range(count))
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return dt.timedelta(hours=values[low] + (values[high] - values[low]) * (position - low))


def test_several_percentiles_read_in_one_walk_are_those_of_the_values_written_out():
    rnd = random.Random(18626)
    fractions = (0.0, 0.1, 0.5, 0.9, 0.99, 1.0)
    for _ in range(200):
        histogram = {rnd.randint(0, 2000): rnd.randint(0, 5) for _ in range(rnd.randint(1, 30))}
        if not any(histogram.values()):
            continue
        found = figure_cells.percentiles(histogram, fractions)
        for fraction, value in zip(fractions, found, strict=True):
            assert abs(value - _interpolated(histogram, fraction)) < dt.timedelta(microseconds=1)


def test_a_fraction_outside_zero_to_one_is_refused_whatever_the_others():
    with pytest.raises(ValueError):
        figure_cells.percentiles({1: 1}, (0.5, 1.5))


def test_the_rebuild_command_recomputes_every_month(month, capsys):
    call_command("rebuild_statistics")
    assert "library-month(s) recomputed" in capsys.readouterr().out
    assert set(MonthlyFigure.objects.values_list("month", flat=True)) == {dt.date(2026, 2, 1), dt.date(2026, 3, 1)}


def test_the_hourly_job_is_scheduled():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["requests-refresh-statistics"]["task"] == (
        "requests_app.tasks.refresh_statistics")


def test_the_hourly_task_refreshes_the_rollup(month):
    from requests_app.tasks import refresh_statistics

    refresh_statistics()
    assert RollupState.objects.get().covered_until is not None


@pytest.mark.django_db(transaction=True)
def test_a_run_that_finds_another_run_holding_the_lock_does_nothing():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (it runs one writer at a time anyway).")
    RollupState.objects.get_or_create(pk=1)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            RollupState.objects.select_for_update().get(pk=1)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert rollups.refresh() == {"skipped": 1}
    finally:
        release.set()
        holder.join()


def test_reading_a_closed_period_runs_one_query_per_figure_on_the_rollup(month, django_assert_num_queries):
    scenario.more_traffic(month.own, month.bbb, 5)
    rollups.refresh()
    figures = figures_of(march(month))
    with django_assert_num_queries(1 + 1):  # how far the rollup covers, its answers
        assert figures.fill_rates


def test_the_events_of_the_rollup_run_are_not_read_again_by_the_next_run(month):
    rollups.refresh()
    assert RollupState.objects.get().last_event_id == Event.objects.latest("pk").pk
    assert rollups.refresh()["months"] == 0


def queries_of(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", list(tables.SECTIONS))
def test_each_section_read_from_the_rollup_runs_as_many_queries_with_more_traffic(client, month, name):
    client.force_login(StaffFactory(library=month.own, groups=[roles.REPORTING]))
    url, filters = reverse("statistics:section", args=[name]), {"start": "2026-03-01", "end": "2026-03-31"}
    rollups.refresh()
    before = queries_of(client, url, filters)
    scenario.more_traffic(month.own, month.bbb, 5)
    rollups.refresh(full=True)
    assert queries_of(client, url, filters) == before <= 12
