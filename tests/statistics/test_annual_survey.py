"""The annual-survey export: ACRL/IPEDS interlibrary loan lines of a fiscal year, from the rollup."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import roles, rollups
from requests_app.statistics import survey
from tests.factories import MemberLibraryFactory, StaffFactory

from . import scenario

pytestmark = pytest.mark.django_db

EXPORT = reverse("statistics:annual_survey")
FY2026 = 2026  # 1 July 2025 to 30 June 2026: the scenario's February and March


@pytest.fixture
def month():
    return scenario.build()


@pytest.fixture
def reporter(client, month):
    user = StaffFactory(library=month.own, groups=[roles.REPORTING])
    client.force_login(user)
    return user


def lines(result: survey.Survey) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(line.question, line.partners): (line.returnables, line.non_returnables, line.total)
            for line in result.lines}


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_fiscal_year_is_named_by_the_year_it_ends_in():
    assert survey.fiscal_year_period(2026, 7) == (dt.date(2025, 7, 1), dt.date(2026, 6, 30))


def test_a_fiscal_year_starting_in_january_is_the_calendar_year():
    assert survey.fiscal_year_period(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_the_last_closed_fiscal_year_is_the_latest_that_has_ended(settings):
    settings.ILLMS_FISCAL_YEAR_START_MONTH = 7
    assert survey.last_closed_fiscal_year(dt.date(2026, 12, 4)) == 2026
    assert survey.last_closed_fiscal_year(dt.date(2026, 6, 30)) == 2025


def test_loans_we_shipped_are_returnables_and_copies_we_sent_non_returnables_provided(month):
    provided = lines(survey.annual_survey(month.own, FY2026))[(survey.PROVIDED, survey.ALL_PARTNERS)]
    assert provided == (3, 1, 4)  # L1, L3 and February's L7 shipped; L2's copy delivered


def test_loans_received_at_the_desk_and_copies_delivered_to_us_are_received(month):
    received = lines(survey.annual_survey(month.own, FY2026))[(survey.RECEIVED, survey.ALL_PARTNERS)]
    assert received == (2, 1, 3)  # B1 and B3 received; B2's copy delivered


def test_the_survey_from_the_rollup_equals_the_live_survey(month):
    live = lines(survey.annual_survey(month.own, FY2026))
    rollups.refresh()
    assert lines(survey.annual_survey(month.own, FY2026)) == live


def test_loans_with_member_libraries_of_the_installation_are_given_apart(month):
    month.aaa.is_member = True
    month.aaa.save()
    result = lines(survey.annual_survey(month.own, FY2026))
    assert result[(survey.PROVIDED, survey.MEMBER_PARTNERS)] == (2, 1, 3)  # L1, L7 and L2's copy to AAA
    assert result[(survey.RECEIVED, survey.MEMBER_PARTNERS)] == (1, 1, 2)  # B3 from AAA, B2's copy from AAA


def test_another_fiscal_year_counts_nothing_of_this_one(month):
    assert all(line.total == 0 for line in survey.annual_survey(month.own, 2025).lines)


def test_the_export_is_a_csv_of_the_survey_lines(client, reporter):
    response = client.get(EXPORT, {"fiscal_year": FY2026})
    assert response.status_code == 200
    assert "OWN-annual-survey-FY2026.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == survey.HEADERS
    assert rows[1] == ["OWN", "2026", "2025-07-01", "2026-06-30", survey.PROVIDED, survey.ALL_PARTNERS, "3", "1", "4"]


def test_the_statistics_page_links_to_the_last_closed_fiscal_years_export(client, reporter):
    html = client.get(reverse("statistics:index")).content.decode()
    assert f'href="{EXPORT}?fiscal_year={survey.last_closed_fiscal_year()}"' in html


def test_a_fiscal_year_that_is_no_number_is_refused_with_the_reason(client, reporter):
    response = client.get(EXPORT, {"fiscal_year": "last"})
    assert response.status_code == 400
    assert "Enter a whole number" in response.content.decode()


def test_a_fiscal_year_that_has_not_started_is_refused(client, reporter):
    response = client.get(EXPORT, {"fiscal_year": dt.date.today().year + 5})
    assert response.status_code == 400
    assert "has not started yet" in response.content.decode()


def test_staff_get_their_own_librarys_survey_whatever_library_they_ask_for(client, reporter):
    other = MemberLibraryFactory(symbol="OTHER")
    response = client.get(EXPORT, {"fiscal_year": FY2026, "library": other.pk})
    assert read_csv(response)[1][0] == "OWN"


def test_the_export_is_refused_to_staff_without_the_statistics_permission(client, month):
    client.force_login(StaffFactory(library=month.own))
    assert client.get(EXPORT, {"fiscal_year": FY2026}).status_code == 403


def test_a_closed_fiscal_year_runs_as_many_queries_with_more_traffic(client, reporter, month):
    rollups.refresh()

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            read_csv(client.get(EXPORT, {"fiscal_year": FY2026}))
        return len(captured)

    before = count()
    scenario.more_traffic(month.own, month.bbb, 5)
    rollups.refresh(full=True)
    assert count() == before
