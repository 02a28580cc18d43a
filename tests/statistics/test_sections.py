"""The statistics page in sections: the first one with the page, each one alone as a fragment, or as a page
without JavaScript (?section=NAME)."""

import pytest
from django.urls import reverse

from requests_app import roles
from requests_app.statistics import tables
from tests.factories import StaffFactory

from . import scenario

pytestmark = pytest.mark.django_db

PAGE = reverse("statistics:index")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def month():
    return scenario.build()


@pytest.fixture
def reporter(client, month):
    user = StaffFactory(library=month.own, groups=[roles.REPORTING])
    client.force_login(user)
    return user


def fragment(name: str) -> str:
    return reverse("statistics:section", args=[name])


def shown_tables(response) -> list[str]:
    return [item["table"].name for item in response.context["sections"]]


def test_every_table_is_in_exactly_one_section_in_page_order():
    assert [name for section in tables.SECTIONS.values() for name in section.tables] == list(tables.TABLES)


def test_the_page_opens_on_the_monthly_trend_alone(client, reporter):
    response = client.get(PAGE, MARCH)
    assert tables.FIRST_SECTION == "trend"
    assert shown_tables(response) == ["requests-by-month"]


def test_each_tab_is_a_link_to_the_page_showing_its_section_with_the_filters(client, reporter):
    html = client.get(PAGE, {**MARCH, "partner": "AAA"}).content.decode()
    for name in tables.SECTIONS:
        assert f'href="?start=2026-03-01&amp;end=2026-03-31&amp;partner=AAA&amp;section={name}"' in html
        assert f'data-fragment="{fragment(name)}?start=2026-03-01&amp;end=2026-03-31&amp;partner=AAA"' in html


def test_without_javascript_a_section_link_shows_that_section_with_its_tab_current(client, reporter):
    response = client.get(PAGE, {**MARCH, "section": "fill-rate"})
    assert shown_tables(response) == ["fill-rate"]
    html = response.content.decode()
    assert 'aria-current="page" href="?start=2026-03-01&amp;end=2026-03-31&amp;section=fill-rate"' in html
    assert '<input type="hidden" name="section" value="fill-rate"' in html  # “Show” keeps the section


def test_an_unknown_section_is_not_found(client, reporter):
    assert client.get(PAGE, {**MARCH, "section": "patron-names"}).status_code == 404
    assert client.get(fragment("patron-names"), MARCH).status_code == 404


@pytest.mark.parametrize("name", list(tables.SECTIONS))
def test_each_sections_fragment_renders_only_its_tables_in_a_bounded_number_of_queries(
        client, reporter, month, name, django_assert_max_num_queries):
    scenario.more_traffic(month.own, month.bbb, 5)
    with django_assert_max_num_queries(12):
        response = client.get(fragment(name), MARCH)
    assert response.status_code == 200
    assert shown_tables(response) == list(tables.SECTIONS[name].tables)
    html = response.content.decode()
    assert "<html" not in html and "<nav" not in html
    assert all(f'id="{table}-heading"' in html for table in tables.SECTIONS[name].tables)


def test_a_fragment_with_bad_filters_answers_400_saying_why(client, reporter):
    response = client.get(fragment("fill-rate"), {"start": "2026-03-31", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "The period starts after it ends" in response.content.decode()


def test_a_fragment_is_refused_to_staff_without_the_statistics_permission(client, month):
    client.force_login(StaffFactory(library=month.own))
    assert client.get(fragment("fill-rate"), MARCH).status_code == 403
