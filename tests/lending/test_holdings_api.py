"""``GET /api/v1/holdings/``: partners look up what our member libraries would lend."""

import pytest
from rest_framework.test import APIClient

from requests_app.partners.keys import issue_api_key
from tests.factories import LibraryFactory, MemberLibraryFactory, PatronFactory
from tests.lending.factories import HoldingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_client():
    client = APIClient()
    _, key = issue_api_key(library=LibraryFactory(), name="ILL system")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_partner_finds_a_lendable_holding_by_isbn_in_any_form(partner_client):
    library = MemberLibraryFactory(lends_copies=False)
    HoldingFactory(library=library, isbn="9780226458083", call_number="Q175 .K95 2012", barcode="3900012")
    response = partner_client.get("/api/v1/holdings/", {"isbn": "0-226-45808-3"})
    assert response.status_code == 200
    [holding] = response.json()
    assert (holding["library"], holding["call_number"], holding["supplied_as"]) == (library.symbol, "Q175 .K95 2012",
                                                                                     ["Loan"])
    assert "barcode" not in holding


def test_holdings_not_offered_to_partners_or_of_other_libraries_are_not_listed(partner_client):
    HoldingFactory(library=MemberLibraryFactory(), issn="0028-0836", lendable=False)
    HoldingFactory(library=LibraryFactory(), issn="0028-0836")
    HoldingFactory(library=MemberLibraryFactory(active=False), issn="0028-0836")
    assert partner_client.get("/api/v1/holdings/", {"issn": "00280836"}).json() == []


def test_a_look_up_with_a_bad_identifier_is_a_clear_error(partner_client):
    response = partner_client.get("/api/v1/holdings/", {"isbn": "9780226458084"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["isbn"]


def test_a_look_up_without_an_identifier_finds_nothing(partner_client):
    response = partner_client.get("/api/v1/holdings/", {"isbn": "", "issn": ""})
    assert (response.status_code, response.json()) == (200, [])


def test_anonymous_callers_and_patrons_cannot_look_up_holdings():
    client = APIClient()
    assert client.get("/api/v1/holdings/", {"isbn": "9780226458083"}).status_code == 401
    client.force_login(PatronFactory())
    assert client.get("/api/v1/holdings/", {"isbn": "9780226458083"}).status_code == 403


def test_the_look_up_runs_the_same_queries_for_one_holding_as_for_twenty(partner_client, django_assert_max_num_queries):
    HoldingFactory(library=MemberLibraryFactory(), oclc_number="12345")
    with django_assert_max_num_queries(3):
        partner_client.get("/api/v1/holdings/", {"oclc": "12345"})
    for _ in range(19):
        HoldingFactory(library=MemberLibraryFactory(), oclc_number="12345")
    with django_assert_max_num_queries(3):
        assert len(partner_client.get("/api/v1/holdings/", {"oclc": "(OCoLC)12345"}).json()) == 20
