"""The REST API takes the partner's credential in each form the protocol doors take: Bearer, Api-Key, HTTP Basic."""

import pytest

from .contracts import basic

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("form", ["Bearer {key}", "Api-Key {key}", "api-key {key}", "bearer {key}"])
def test_a_key_in_each_scheme_reads_its_partners_requests(world, form):
    response = world.client(authorization=form.format(key=world.key_a)).get(URL)
    assert response.status_code == 200
    assert ids(response) == {world.lending_a.pk, world.borrowing_a.pk}


def test_http_basic_with_the_partners_symbol_and_key_reads_its_requests(world):
    response = world.client(authorization=basic(world.partner_a.symbol.lower(), world.key_a)).get(URL)
    assert response.status_code == 200
    assert ids(response) == {world.lending_a.pk, world.borrowing_a.pk}


def test_a_key_from_inside_its_allow_list_is_accepted(world):
    world.partner_a.ip_allowlist = "192.0.2.0/24 2001:db8::/32"
    world.partner_a.save()
    assert world.partner_a_client().get(URL, REMOTE_ADDR="2001:db8::7").status_code == 200


def test_an_open_partner_still_needs_a_key_for_the_rest_api(world):
    from requests_app.partners import authentication

    authentication.open_without_credential(library=world.partner_a, actor=None, reason="legacy ISO 18626 peer")
    assert world.client().get(URL).status_code == 401
