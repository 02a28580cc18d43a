"""Reusable API test mixins (in the manner of NetBox's ``utilities/testing/api.py``).

A test class for an endpoint says how to call it (``method``, ``url``, ``body``) and
mixes in the contracts every endpoint keeps:

- ``AuthenticationContract``: no credentials, an unknown key, a revoked key, a
  malformed header and HTTP Basic with a wrong password or user answer 401 JSON (a refused key
  is counted for its partner); a key from outside its partner's allow-list and a patron's
  session answer 403 JSON.
- ``PartnerIsolationContract`` (endpoints of one request): partner B calling about
  partner A's request gets 404 JSON and nothing changes.
- ``ListIsolationContract`` (list endpoints): partner B's list never shows A's requests.
- ``ConstantQueriesContract`` (list endpoints): as many queries for 20 rows as for 3.
"""

from __future__ import annotations

import base64
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from requests_app.models import Event, IllRequest, Library, Note

from .conftest import World


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("message"), str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


class ApiEndpoint:
    """How to call the endpoint under test; subclasses override ``url`` (and ``method``, ``body``)."""

    method = "get"

    def url(self, world: World) -> str:
        raise NotImplementedError

    def body(self, world: World) -> dict[str, Any] | None:
        return None

    def call(self, client: APIClient, world: World, url: str | None = None):
        return getattr(client, self.method)(url or self.url(world), self.body(world), format="json")


def snapshot(request: IllRequest) -> tuple:
    """What must not change when a call is refused."""
    request.refresh_from_db()
    return (request.status, request.due_date, request.updated_at,
            Event.objects.filter(request=request).count(), Note.objects.filter(request=request).count())


class AuthenticationContract(ApiEndpoint):
    def test_an_anonymous_caller_gets_401_json(self, world):
        response = self.call(world.client(), world)
        assert_json_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_an_unknown_key_gets_401_json(self, world):
        response = self.call(world.client("illms_000000000000_not-a-real-key"), world)
        assert_json_error(response, 401, "authentication_failed")

    def test_a_revoked_key_gets_401_json(self, world):
        response = self.call(world.client(world.revoked_key_a), world)
        assert_json_error(response, 401, "authentication_failed")

    def test_a_malformed_authorization_header_gets_401_json(self, world):
        response = self.call(world.client(authorization=f"Bearer {world.key_a} extra"), world)
        assert_json_error(response, 401, "authentication_failed")

    def test_a_patron_gets_403_json(self, world):
        response = self.call(world.patron_client(), world)
        assert_json_error(response, 403, "permission_denied")

    def test_http_basic_with_a_wrong_password_gets_401_json(self, world):
        response = self.call(world.client(authorization=basic(world.partner_a.symbol, world.key_a[:-4] + "AAAA")),
                             world)
        assert_json_error(response, 401, "authentication_failed")

    def test_http_basic_with_another_librarys_symbol_gets_401_json(self, world):
        response = self.call(world.client(authorization=basic(world.partner_b.symbol, world.key_a)), world)
        assert_json_error(response, 401, "authentication_failed")

    def test_a_key_from_outside_its_partners_allow_list_gets_403_json(self, world):
        Library.objects.filter(pk=world.partner_a.pk).update(ip_allowlist="192.0.2.0/24")
        response = self.call(world.partner_a_client(), world)
        assert_json_error(response, 403, "permission_denied")

    def test_a_refused_key_is_counted_for_its_partner(self, world):
        self.call(world.client(world.revoked_key_a), world)
        world.partner_a.refresh_from_db()
        assert world.partner_a.refused_messages == 1
        assert world.partner_a.last_refused_reason.startswith("revoked key")


class PartnerIsolationContract(ApiEndpoint):
    """``url`` must name partner A's request ``world.lending_a`` (or ``isolation_target``)."""

    def isolation_target(self, world: World) -> IllRequest:
        return world.lending_a

    def test_another_partner_gets_404_json_and_nothing_changes(self, world):
        target = self.isolation_target(world)
        before = snapshot(target)
        response = self.call(world.partner_b_client(), world)
        assert_json_error(response, 404, "not_found")
        assert snapshot(target) == before

    def test_another_partner_gets_404_for_our_borrowing_request_with_that_partner_too(self, world):
        url = self.url(world).replace(f"/{world.lending_a.pk}/", f"/{world.borrowing_a.pk}/")
        before = snapshot(world.borrowing_a)
        response = self.call(world.partner_b_client(), world, url)
        assert_json_error(response, 404, "not_found")
        assert snapshot(world.borrowing_a) == before

    def test_a_request_that_does_not_exist_gets_404_json(self, world):
        url = self.url(world).replace(f"/{world.lending_a.pk}/", "/987654/")
        assert_json_error(self.call(world.partner_a_client(), world, url), 404, "not_found")


class ListIsolationContract(ApiEndpoint):
    def listed_ids(self, response) -> set[int]:
        assert response.status_code == 200, response.content[:500]
        return {row["id"] for row in response.json()["results"]}

    def test_a_partner_lists_only_the_requests_between_it_and_us(self, world):
        ids = self.listed_ids(self.call(world.partner_b_client(), world))
        assert ids == {world.lending_b.pk, world.borrowing_b.pk}

    def test_another_partners_requests_never_appear_on_any_page(self, world):
        seen: set[int] = set()
        url = f"{self.url(world)}?page_size=1"
        client = world.partner_b_client()
        while url:
            response = client.get(url)
            seen |= self.listed_ids(response)
            url = response.json()["next"]
        assert not seen & {world.lending_a.pk, world.borrowing_a.pk}


class ConstantQueriesContract(ApiEndpoint):
    """``add_rows(world, n)`` adds ``n`` rows partner A's list shows."""

    def add_rows(self, world: World, n: int) -> None:
        raise NotImplementedError

    def count_queries(self, client: APIClient, world: World, expected_rows: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = self.call(client, world)
        assert response.status_code == 200
        assert len(response.json()["results"]) == expected_rows
        return len(queries)

    def test_the_list_runs_as_many_queries_for_twenty_rows_as_for_three(self, world):
        client = world.partner_a_client()
        self.call(client, world)  # the first call records when the key was last used
        baseline = len(self.call(client, world).json()["results"])
        self.add_rows(world, 3)
        few = self.count_queries(client, world, baseline + 3)
        self.add_rows(world, 17)
        many = self.count_queries(client, world, baseline + 20)
        assert many == few
