"""GET /api/v1/libraries/: the directory entries and lending policies of our member libraries."""

from decimal import Decimal

import pytest

from tests.factories import LibraryFactory, MemberLibraryFactory

from .contracts import AuthenticationContract, ConstantQueriesContract, assert_json_error

pytestmark = pytest.mark.django_db


class TestLibraryList(AuthenticationContract, ConstantQueriesContract):
    def url(self, world):
        return "/api/v1/libraries/"

    def add_rows(self, world, n):
        MemberLibraryFactory.create_batch(n)

    def test_it_lists_only_our_active_member_libraries(self, world):
        MemberLibraryFactory(symbol="GONE", active=False)
        response = world.partner_a_client().get(self.url(world))
        assert [row["symbol"] for row in response.json()["results"]] == ["OURS"]

    def test_staff_read_the_directory_too(self, world):
        response = world.staff_client().get(self.url(world))
        assert response.status_code == 200
        assert [row["symbol"] for row in response.json()["results"]] == ["OURS"]


class TestLibraryDetail(AuthenticationContract):
    def url(self, world):
        return f"/api/v1/libraries/{world.ours.symbol}/"

    def test_it_gives_the_lending_policy_with_fees_as_strings(self, world):
        world.ours.loan_fee, world.ours.copy_fee = Decimal("12.5"), Decimal("0")
        world.ours.reciprocal_groups = "rapid  ivyplus"
        world.ours.save()
        body = world.partner_a_client().get(self.url(world)).json()
        assert body["loan_fee"] == "12.50"
        assert body["copy_fee"] == "0.00"
        assert body["reciprocal_groups"] == ["IVYPLUS", "RAPID"]
        assert body["loan_period_days"] == 28
        assert body["lends_loans"] is True
        assert body["agency_id_value"] == "OURS"

    def test_it_says_which_ill_system_it_runs_and_whether_its_messages_are_read_leniently(self, world):
        world.ours.ill_system = "reshare"
        world.ours.save()
        body = world.partner_a_client().get(self.url(world)).json()
        assert (body["ill_system"], body["lenient_intake"]) == ("reshare", True)

    def test_it_never_shows_the_librarys_secrets(self, world):
        from requests_app.partners import authentication

        authentication.set_outgoing_credential(library=world.ours, actor=None, secret="secret-we-were-given")
        world.ours.refresh_from_db()
        world.ours.ip_allowlist = "10.0.0.0/8"
        world.ours.outgoing_username = "user-we-were-given"
        world.ours.save()
        response = world.partner_a_client().get(self.url(world))
        assert not {"outgoing_secret", "outgoing_username", "outgoing_auth_scheme", "ip_allowlist",
                    "open_without_credential", "refused_messages"} & set(response.json())
        assert b"secret-we-were-given" not in response.content
        assert b"user-we-were-given" not in response.content
        assert world.ours.outgoing_secret.encode() not in response.content
        assert b"10.0.0.0" not in response.content

    def test_a_partner_library_is_not_in_our_directory(self, world):
        LibraryFactory(symbol="ELSEWHERE")
        assert_json_error(world.partner_a_client().get("/api/v1/libraries/ELSEWHERE/"), 404, "not_found")

    def test_an_inactive_member_library_is_not_found(self, world):
        MemberLibraryFactory(symbol="GONE", active=False)
        assert_json_error(world.partner_a_client().get("/api/v1/libraries/GONE/"), 404, "not_found")
