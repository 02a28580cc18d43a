"""The statistics pages: who may see them, the filters, the charts and the CSV downloads."""

import csv
import io

import pytest
from django.urls import reverse

from requests_app import roles
from requests_app.statistics import tables
from tests.factories import MemberLibraryFactory, StaffFactory, UserFactory

from . import scenario

pytestmark = pytest.mark.django_db

PAGE = reverse("statistics:index")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def csv_url(name):
    return reverse("statistics:csv", args=[name])


@pytest.fixture
def month():
    return scenario.build()


@pytest.fixture
def reporter(client, month):
    user = StaffFactory(library=month.own, groups=[roles.REPORTING])
    client.force_login(user)
    return user


def read_csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def table_of(response, name):
    return next(s["table"] for s in response.context["sections"] if s["table"].name == name)


def section_of(table: str) -> str:
    return next(section.name for section in tables.SECTIONS.values() if table in section.tables)


def page_with(client, table: str, params):
    """The page showing the section that holds ``table``."""
    return client.get(PAGE, {**params, "section": section_of(table)})


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (PAGE, csv_url("fill-rate")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_staff_without_the_statistics_permission_are_refused(client, month):
    client.force_login(StaffFactory(library=month.own))  # borrowing and lending desks only
    assert client.get(PAGE).status_code == 403
    assert client.get(csv_url("fill-rate"), MARCH).status_code == 403


def test_an_account_with_the_permission_but_no_member_library_is_refused(client, month):
    user = UserFactory()
    user.groups.add(roles.sync_roles()[roles.REPORTING])
    client.force_login(user)
    assert client.get(PAGE).status_code == 403


def test_an_ill_administrator_sees_the_statistics(client, month):
    client.force_login(StaffFactory(library=month.own, groups=[roles.ILL_ADMINISTRATOR]))
    assert client.get(PAGE, MARCH).status_code == 200


def test_the_page_shows_the_hand_worked_figures_with_charts(client, reporter):
    response = page_with(client, "fill-rate", MARCH)
    assert response.status_code == 200
    rates = table_of(response, "fill-rate").rows
    assert ("Lending", "All partners", "", 3, 2, 5, "60.0") in rates
    assert ("Borrowing", "AAA", "Alpha Library", 2, 1, 3, "66.7") in rates
    turnaround = table_of(page_with(client, "turnaround", MARCH), "turnaround").rows
    assert ("Borrowing: submitted → available to the patron", "All partners", 3, "6.0", "7.6") in turnaround
    html = response.content.decode()
    assert '<svg class="statistics-chart' in html
    assert "<title>Lending · All partners: 60.0 %</title>" in html
    assert "<th scope=\"col\">Fill rate (%)</th>" in html


def test_the_statistics_link_is_in_the_navigation_only_for_those_who_may_see_them(client, month, reporter):
    assert f'href="{PAGE}"' in client.get(PAGE).content.decode()
    client.force_login(StaffFactory(library=month.own))
    assert f'href="{PAGE}"' not in client.get(reverse("home")).content.decode()


def test_a_reversed_period_is_a_form_error_not_a_crash(client, reporter):
    response = client.get(PAGE, {"start": "2026-03-31", "end": "2026-03-01"})
    assert response.status_code == 200
    assert "The period starts after it ends" in response.content.decode()
    assert response.context["sections"] == []


def test_a_date_that_is_no_date_is_a_form_error(client, reporter):
    response = client.get(PAGE, {"start": "2026-02-30"})
    assert response.status_code == 200
    assert response.context["form"].errors["start"]
    assert client.get(csv_url("fill-rate"), {"start": "yesterday"}).status_code == 400


def test_an_unknown_partner_symbol_is_a_form_error(client, reporter):
    response = client.get(PAGE, {**MARCH, "partner": "NOPE"})
    assert "No library in the directory has the symbol NOPE." in response.content.decode()


def test_every_bad_filter_is_reported_at_once(client, reporter):
    form = client.get(PAGE, {"start": "2026-03-31", "end": "2026-03-01", "partner": "NOPE"}).context["form"]
    assert form.errors["partner"] and form.non_field_errors()


def test_a_superuser_without_a_staff_profile_starts_at_the_first_member_library(client, month):
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(PAGE, MARCH).context["scope"].library == month.own


def test_the_partner_filter_narrows_every_table(client, reporter):
    rates = table_of(page_with(client, "fill-rate", {**MARCH, "partner": "aaa"}), "fill-rate").rows
    assert ("Borrowing", "All partners", "", 2, 1, 3, "66.7") in rates
    assert ("Lending", "All partners", "", 2, 0, 2, "100.0") in rates
    response = page_with(client, "requests-by-role", {**MARCH, "partner": "aaa"})
    assert table_of(response, "requests-by-role").rows == [("Borrowing", 3), ("Lending", 3)]


def test_staff_of_another_library_see_their_own_numbers_not_ours(client, month):
    other = MemberLibraryFactory(symbol="OTH")
    client.force_login(StaffFactory(library=other, groups=[roles.REPORTING]))
    response = page_with(client, "requests-by-role", {**MARCH, "library": month.own.pk})
    assert response.context["scope"].library == other
    assert table_of(response, "requests-by-role").rows == [("Borrowing", 0), ("Lending", 0)]
    rows = read_csv(client.get(csv_url("requests-by-role"), {**MARCH, "library": month.own.pk}))
    assert rows == [["Role", "Requests"], ["Borrowing", "0"], ["Lending", "0"]]


def test_a_superuser_may_choose_any_member_library(client, month):
    client.force_login(UserFactory(is_superuser=True))
    MemberLibraryFactory(symbol="AAB")  # first in symbol order: the default
    response = page_with(client, "requests-by-role", {**MARCH, "library": month.own.pk})
    assert response.context["scope"].library == month.own
    assert table_of(response, "requests-by-role").rows == [("Borrowing", 4), ("Lending", 6)]
    assert f"library={month.own.pk}" in response.context["query"]


def test_each_csv_holds_the_numbers_of_its_table_on_the_page(client, reporter):
    page = client.get(PAGE, {**MARCH, "role": "borrowing"})
    shown = [item["table"] for name in tables.SECTIONS
             for item in client.get(PAGE, {**MARCH, "role": "borrowing", "section": name}).context["sections"]]
    assert [table.name for table in shown] == list(tables.TABLES)
    for table in shown:
        response = client.get(csv_url(table.name) + "?" + page.context["query"])
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert read_csv(response) == [list(table.headers)] + [[str(cell) for cell in row] for row in table.rows]
    assert "OWN-fill-rate-2026-03-01-2026-03-31.csv" in client.get(
        csv_url("fill-rate") + "?" + page.context["query"])["Content-Disposition"]


def test_the_page_links_each_table_to_its_csv_with_the_same_filters(client, reporter):
    html = page_with(client, "fill-rate", {**MARCH, "partner": "AAA", "role": "lending"}).content.decode()
    assert f'href="{csv_url("fill-rate")}?start=2026-03-01&amp;end=2026-03-31&amp;partner=AAA&amp;role=lending"' in html


def test_an_unknown_csv_table_is_not_found(client, reporter):
    assert client.get(csv_url("patron-names"), MARCH).status_code == 404


def test_a_title_that_looks_like_a_formula_cannot_run_in_a_spreadsheet(client, reporter, month):
    from tests.factories import IllRequestFactory

    IllRequestFactory(library=month.own, title="=HYPERLINK(\"http://x\")", created_at=scenario.T0)
    rows = read_csv(client.get(csv_url("top-books"), MARCH))
    assert ["'=HYPERLINK(\"http://x\")", "Smith, Jane", "", "1"] in rows


@pytest.mark.parametrize("size", [1, 10])
def test_the_page_takes_the_same_number_of_queries_whatever_the_volume(client, reporter, month, size,
                                                                       django_assert_max_num_queries):
    scenario.more_traffic(month.own, month.bbb, size)
    with django_assert_max_num_queries(23):
        assert client.get(PAGE, MARCH).status_code == 200


def test_a_title_with_markup_is_shown_as_text_in_the_chart_and_the_table(client, reporter, month):
    from tests.factories import IllRequestFactory

    IllRequestFactory(library=month.own, title="<script>alert(1)</script>", created_at=scenario.T0)
    html = page_with(client, "top-books", MARCH).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_superuser_of_an_installation_without_member_libraries_is_told_so(client):
    client.force_login(UserFactory(is_superuser=True))
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "There is no member library yet" in response.content.decode()
    assert client.get(csv_url("fill-rate")).status_code == 404


def test_the_page_lists_the_busiest_partners_and_leaves_the_others_to_the_csv(client, reporter, month,
                                                                               monkeypatch):
    monkeypatch.setattr(tables, "PAGE_PARTNERS", 1)
    scenario.more_traffic(month.own, month.aaa, 3)
    response = page_with(client, "fill-rate", {**MARCH, "role": "lending"})
    fill_rate = table_of(response, "fill-rate")
    assert [row[1] for row in fill_rate.shown_rows] == ["All partners", "AAA"]
    assert "BBB" in [row[1] for row in fill_rate.rows]
    assert [bar.label for bar in fill_rate.bars] == ["Lending · All partners", "Lending · AAA"]
    turnaround = table_of(page_with(client, "turnaround", {**MARCH, "role": "lending"}), "turnaround")
    assert [row[1] for row in turnaround.shown_rows] == ["All partners", "AAA"]
    assert "The busiest partners are shown; 1 more row is in the" in response.content.decode()
    assert "BBB" in [row[1] for row in read_csv(client.get(csv_url("fill-rate") + "?" + response.context["query"]))]


def test_the_page_lists_every_partner_when_they_are_few(client, reporter):
    response = page_with(client, "fill-rate", {**MARCH, "role": "lending"})
    fill_rate = table_of(response, "fill-rate")
    assert fill_rate.shown_rows == fill_rate.rows
    assert "The busiest partners are shown" not in response.content.decode()


def test_the_page_names_no_file_of_the_documentation(client, reporter):
    text = client.get(PAGE, MARCH).content.decode()
    assert "docs/" not in text and ".md" not in text


def test_the_page_shows_each_month_of_this_year_beside_last_year_with_a_chart(client, reporter):
    response = client.get(PAGE, MARCH)
    trend = table_of(response, "requests-by-month")
    assert trend.headers == ["Month", "2025", "2026", "Change (%)"]
    assert ("Mar", 0, 10, "") in trend.rows and ("Feb", 0, 1, "") in trend.rows and len(trend.rows) == 12
    assert "<title>Mar 2026: 10</title>" in response.content.decode()


def test_the_turnaround_page_counts_the_rows_it_leaves_to_the_csv(client, reporter, month, monkeypatch):
    monkeypatch.setattr(tables, "PAGE_PARTNERS", 1)
    response = page_with(client, "turnaround", MARCH)
    turnaround = table_of(response, "turnaround")
    csv_rows = read_csv(client.get(csv_url("turnaround") + "?" + response.context["query"]))[1:]
    assert 0 < turnaround.rows_not_shown == len(csv_rows) - len(turnaround.shown_rows)


def test_the_fill_rate_page_looks_up_the_names_of_the_partners_it_shows_only(client, reporter, month, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(tables, "PAGE_PARTNERS", 1)
    scenario.more_traffic(month.own, month.aaa, 3)
    with CaptureQueriesContext(connection) as queries:
        response = page_with(client, "fill-rate", {**MARCH, "role": "lending"})
    names = [q["sql"] for q in queries.captured_queries if '"requests_app_library"."name"' in q["sql"]
             and "IN (" in q["sql"]]
    assert len(names) == 1 and "'AAA'" in names[0] and "'BBB'" not in names[0]
    assert ("Lending", "AAA", "Alpha Library", 5, 0, 5, "100.0") in table_of(response, "fill-rate").shown_rows
