"""Site-wide middleware: a query string with a NUL character is refused before any view reads it."""

from __future__ import annotations

import pytest

from requests_app import roles
from tests.factories import MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = StaffFactory(library=MemberLibraryFactory(), groups=[roles.LENDING_STAFF, roles.ILL_ADMINISTRATOR])
    client.force_login(staff)
    return client


@pytest.mark.parametrize("url", ["/lending/?q=a%00b", "/lending/?partner=a%00b", "/lending/holdings/?q=a%00b",
                                 "/staff/privacy/access-log/?patron=a%00b", "/lending/?a%00b=1"])
def test_a_nul_character_in_the_query_string_is_a_bad_request_with_its_reason(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_an_api_call_with_a_nul_character_gets_the_apis_json_error(staff_client):
    response = staff_client.get("/api/v1/requests/?status=a%00b")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("url, status", [("/lending/?q=ab", 200), ("/lending/?partner=ab", 200),
                                         ("/lending/holdings/?q=ab", 200),
                                         ("/staff/privacy/access-log/?patron=ab", 404)])  # no such patron
def test_the_same_searches_without_a_nul_character_are_answered_by_their_views(staff_client, url, status):
    assert staff_client.get(url).status_code == status
