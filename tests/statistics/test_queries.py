"""Statistics against a month worked out by hand (tests/statistics/scenario.py)."""

import datetime as dt

import pytest

from borrowing.services.rota import FILLED_ACTIONS, UNFILLED_ACTIONS
from requests_app.models import IllRequest, Role
from requests_app.statistics import queries
from requests_app.statistics.queries import Scope
from tests.factories import LendingRequestFactory, MemberLibraryFactory

from . import scenario

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def month():
    return scenario.build()


def march(month, **kwargs):
    return Scope(library=month.own, start=scenario.MARCH[0], end=scenario.MARCH[1], **kwargs)


def by_role(results):
    return {result.role: result for result in results}


def test_filled_and_unfilled_borrowing_answers_are_the_ones_the_rota_ranks_lenders_by():
    assert set(queries.actions_for(Role.BORROWING, queries.FILLED_CODES)) == set(FILLED_ACTIONS)
    assert set(queries.actions_for(Role.BORROWING, queries.UNFILLED_CODES)) == set(UNFILLED_ACTIONS)


def test_lending_fills_by_shipping_or_delivering_a_copy_and_answers_unfilled_by_unfill():
    assert queries.actions_for(Role.LENDING, queries.FILLED_CODES) == ("deliver_copy", "ship")
    assert queries.actions_for(Role.LENDING, queries.UNFILLED_CODES) == ("unfill",)


def test_the_states_available_to_the_patron_are_borrowing_states():
    from requests_app.workflow import registry

    assert set(queries.AVAILABLE_TO_PATRON) <= set(registry.get(Role.BORROWING).states)


def test_a_lenders_silence_is_recognised_by_the_outcome_the_rota_records():
    from borrowing.models import RotaStatus

    assert queries.NO_ANSWER_OUTCOME == RotaStatus.NO_ANSWER


def test_fill_rate_counts_filled_over_answered_and_leaves_cancelled_requests_out(month):
    rates = by_role(queries.fill_rates(march(month)))
    assert (rates["lending"].overall.filled, rates["lending"].overall.unfilled) == (3, 2)
    assert rates["lending"].overall.rate == pytest.approx(0.6)
    assert (rates["borrowing"].overall.filled, rates["borrowing"].overall.unfilled) == (3, 2)
    assert rates["borrowing"].overall.rate == pytest.approx(0.6)


def test_fill_rate_by_partner_credits_a_silent_lender_with_the_request_it_was_sent(month):
    rates = by_role(queries.fill_rates(march(month)))
    borrowing = {row.partner: (row.filled, row.unfilled) for row in rates["borrowing"].by_partner}
    assert borrowing == {"AAA": (2, 1), "BBB": (1, 1)}
    lending = {row.partner: (row.filled, row.unfilled) for row in rates["lending"].by_partner}
    assert lending == {"AAA": (2, 0), "BBB": (1, 2)}


def test_turnaround_gives_the_median_and_the_interpolated_90th_percentile(month):
    results = {t.measure.key: t for t in queries.turnaround(march(month))}
    lending = results["lending_shipped"]  # 1, 2 and 4 days
    assert (lending.count, lending.median, lending.p90) == (3, 2 * DAY, 3.6 * DAY)
    received = results["borrowing_received"]  # 4 (from the second lender's send), 1 and 3 days
    assert (received.count, received.median, received.p90) == (3, 3 * DAY, 3.8 * DAY)
    available = results["borrowing_available"]  # 8 (notified, not checked out), 6 (copy) and 6 days
    assert (available.count, available.median, available.p90) == (3, 6 * DAY, 7.6 * DAY)
    assert available.median_days == pytest.approx(6.0)


def test_turnaround_by_partner_measures_each_partners_requests(month):
    rows = {(t.measure.key, t.partner): (t.count, t.median, t.p90) for t in queries.turnaround_by_partner(march(month))}
    assert rows[("lending_shipped", "AAA")] == (2, 1.5 * DAY, 1.9 * DAY)
    assert rows[("lending_shipped", "BBB")] == (1, 4 * DAY, 4 * DAY)
    assert rows[("borrowing_received", "AAA")] == (2, 2 * DAY, 2.8 * DAY)


def test_the_partner_filter_keeps_only_that_partners_requests_and_answers(month):
    scope = march(month, partner=month.aaa)
    rates = by_role(queries.fill_rates(scope))
    assert (rates["lending"].overall.filled, rates["lending"].overall.unfilled) == (2, 0)
    assert (rates["borrowing"].overall.filled, rates["borrowing"].overall.unfilled) == (2, 1)
    received = {t.measure.key: t for t in queries.turnaround(scope)}["borrowing_received"]
    assert (received.count, received.median, received.p90) == (2, 2 * DAY, 2.8 * DAY)
    assert queries.request_volume(scope).total == 6  # L1, L2, L5, B2, B3, B4


def test_the_period_filter_counts_only_what_happened_in_those_days(month):
    february = Scope(library=month.own, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    rates = by_role(queries.fill_rates(february))
    assert (rates["lending"].overall.filled, rates["lending"].overall.unfilled) == (1, 0)
    assert (rates["borrowing"].overall.filled, rates["borrowing"].overall.unfilled) == (0, 0)
    assert rates["borrowing"].overall.rate is None
    lending = {t.measure.key: t for t in queries.turnaround(february)}["lending_shipped"]
    assert (lending.count, lending.median) == (1, DAY)
    assert queries.request_volume(february).total == 1


def test_the_last_day_of_the_period_is_included_and_the_next_is_not(month):
    one_day = Scope(library=month.own, start=dt.date(2026, 3, 3), end=dt.date(2026, 3, 3))
    rates = by_role(queries.fill_rates(one_day))  # T0 + 1 day: L1 shipped, L4 unfilled, B1 nothing yet
    assert (rates["lending"].overall.filled, rates["lending"].overall.unfilled) == (1, 1)


def test_the_role_filter_leaves_the_other_side_out(month):
    scope = march(month, role=Role.LENDING)
    assert [r.role for r in queries.fill_rates(scope)] == ["lending"]
    assert [t.measure.key for t in queries.turnaround(scope)] == ["lending_shipped"]
    assert queries.request_volume(scope).total == 6
    assert queries.patron_volume(scope).by_category == []


def test_volume_counts_requests_made_in_the_period_by_role_format_service_and_state(month):
    volume = queries.request_volume(march(month))
    assert [(row.key, row.count) for row in volume.by_role] == [("borrowing", 4), ("lending", 6)]
    assert {(row.role, row.key): row.count for row in volume.by_format} == {
        ("borrowing", "book"): 3, ("borrowing", "article"): 1, ("lending", "book"): 5, ("lending", "article"): 1}
    assert {(row.role, row.key): row.count for row in volume.by_service_type} == {
        ("borrowing", "Loan"): 4, ("lending", "Loan"): 6}
    states = {(row.role, row.key): (row.count, row.label) for row in volume.by_state}
    assert states[("borrowing", "checked_out")] == (2, "Checked out to patron")
    assert states[("lending", "unfilled")] == (2, "Unfilled")


def test_volume_by_patron_category_and_department(month):
    patrons = queries.patron_volume(march(month))
    assert [(row.label, row.count) for row in patrons.by_category] == [
        ("Faculty", 2), ("Graduate student", 1), ("Undergraduate student", 1)]
    assert [(row.label, row.count) for row in patrons.by_department] == [
        ("History", 2), ("Not recorded", 1), ("Physics", 1)]


def test_figures_do_not_change_when_patron_identity_is_purged(month):
    before = (queries.patron_volume(march(month)), queries.fill_rates(march(month)), queries.turnaround(march(month)))
    IllRequest.objects.filter(role=Role.BORROWING).update(patron=None, patron_purged_at=scenario.T0 + 90 * DAY)
    after = (queries.patron_volume(march(month)), queries.fill_rates(march(month)), queries.turnaround(march(month)))
    assert after == before


def test_most_requested_books_group_by_isbn_and_journals_by_issn(month):
    books = queries.top_books(march(month))
    assert [(b.identifier, b.count) for b in books] == [(scenario.ISBN, 2), ("", 1)]
    assert books[1].title == "Cataloguing basics"
    journals = queries.top_journals(march(month))
    assert [(j.title, j.identifier, j.count) for j in journals] == [("Journal of ILL", scenario.ISSN, 1)]


def test_journals_without_issn_are_grouped_by_their_title_whatever_the_case_and_spaces(month):
    from tests.factories import IllRequestFactory

    for title in ("Library Trends", " library trends ", "LIBRARY TRENDS"):
        IllRequestFactory(library=month.own, format="article", container_title=title, created_at=scenario.T0)
    journals = queries.top_journals(march(month))
    assert (journals[0].count, journals[0].identifier) == (3, "")


def test_top_titles_are_the_lending_ones_when_lending_alone_is_chosen(month):
    journals = queries.top_journals(march(month, role=Role.LENDING))
    assert [(j.title, j.identifier, j.count) for j in journals] == [("Journal of ILL", "", 1)]


def test_unfilled_reasons_come_from_the_iso18626_codes_in_the_events(month):
    reasons = [(r.role, r.code, r.count, r.label) for r in queries.unfilled_reasons(march(month))]
    assert reasons == [
        ("borrowing", "NoAnswer", 1, "No answer in time"),
        ("borrowing", "NotHeld", 1, "Not held"),
        ("lending", "NotHeld", 1, "Not held"),
        ("lending", "NotOnShelf", 1, "Not on shelf"),
    ]


def test_another_librarys_requests_never_count(month):
    other = MemberLibraryFactory()
    scenario.more_traffic(other, month.aaa, 3)
    rates = by_role(queries.fill_rates(march(month)))
    assert rates["lending"].overall.answered == 5
    assert queries.request_volume(march(month)).total == 10


@pytest.mark.parametrize("size", [2, 12])
def test_the_statistics_take_the_same_number_of_queries_whatever_the_volume(month, size,
                                                                             django_assert_max_num_queries):
    scenario.more_traffic(month.own, month.aaa, size)
    scope = march(month)
    with django_assert_max_num_queries(15):
        queries.request_volume(scope)
        queries.patron_volume(scope)
        queries.fill_rates(scope)
        queries.turnaround(scope)
        queries.turnaround_by_partner(scope)
        queries.top_books(scope)
        queries.top_journals(scope)
        queries.unfilled_reasons(scope)


def test_days_run_from_midnight_to_midnight_in_the_librarys_time_zone(month):
    month.own.timezone = "America/New_York"
    month.own.save()
    # L1 was shipped on 3 March at 09:00 UTC, which is 04:00 in New York: still 3 March there.
    evening = scenario.event(month.requests["L5"], "ship", dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.UTC))
    one_day = Scope(library=month.own, start=dt.date(2026, 3, 3), end=dt.date(2026, 3, 3), role=Role.LENDING)
    (rates,) = queries.fill_rates(one_day)
    # 02:00 UTC on 4 March is 21:00 on 3 March in New York: it counts on the 3rd.
    assert evening.created_at.date() == dt.date(2026, 3, 4)
    assert (rates.overall.filled, rates.overall.unfilled) == (2, 1)


def test_the_monthly_trend_counts_each_month_of_this_year_beside_last_year(month):
    scenario.made(LendingRequestFactory, library=month.own, partner=month.aaa,
                  when=dt.datetime(2025, 3, 15, 12, tzinfo=dt.UTC))
    trend = {m.month: m for m in queries.monthly_volume(march(month))}
    assert sorted(trend) == list(range(1, 13))
    assert (trend[3].this_year, trend[3].last_year) == (10, 1)
    assert (trend[2].this_year, trend[2].last_year) == (1, 0)
    assert trend[3].change == 9.0 and trend[2].change is None


def test_the_monthly_trend_is_one_query(month, django_assert_num_queries):
    with django_assert_num_queries(1):
        queries.monthly_volume(march(month))
