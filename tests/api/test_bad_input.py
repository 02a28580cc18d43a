"""Bad input never crashes the API: every refusal is a JSON error with a code."""

import pytest

from lending.states import LendingStatus
from requests_app.models import IllRequest

from .contracts import assert_json_error

pytestmark = pytest.mark.django_db


def test_a_body_that_is_not_json_answers_400_json(world):
    response = world.partner_a_client().post("/api/v1/requests/", "{not json", content_type="application/json")
    assert_json_error(response, 400, "parse_error")


def test_a_body_that_is_a_list_answers_400_json(world):
    response = world.partner_a_client().post("/api/v1/requests/", [1, 2], format="json")
    assert "non_field_errors" in assert_json_error(response, 400, "invalid")["errors"]


def test_wrong_types_answer_400_on_their_fields(world):
    response = world.partner_a_client().post("/api/v1/requests/", {
        "supplying_library": ["OURS"], "requesting_agency_request_id": {"id": 1}, "service_type": "Teleport",
        "title": "X", "need_by": "tomorrow", "max_cost": "-3"}, format="json")
    errors = assert_json_error(response, 400, "invalid")["errors"]
    assert {"supplying_library", "requesting_agency_request_id", "service_type", "need_by", "max_cost"} <= set(errors)
    assert IllRequest.objects.count() == 4


def test_an_action_body_that_is_not_json_answers_400_json(world):
    response = world.partner_a_client().post(f"/api/v1/requests/{world.lending_a.pk}/actions/borrower_received/",
                                             "nope", content_type="application/json")
    assert_json_error(response, 400, "parse_error")


def test_a_request_id_that_is_not_a_number_answers_404_json(world):
    assert_json_error(world.partner_a_client().get("/api/v1/requests/abc/"), 404, "not_found")


def test_an_address_that_is_not_an_endpoint_answers_404_json(world):
    assert_json_error(world.partner_a_client().get("/api/v1/nothing-here/"), 404, "not_found")


def test_a_method_the_endpoint_does_not_have_answers_405_json(world):
    response = world.partner_a_client().delete(f"/api/v1/requests/{world.lending_a.pk}/")
    assert_json_error(response, 405, "method_not_allowed")


def test_the_status_cannot_be_changed_by_writing_to_the_request(world):
    response = world.partner_a_client().patch(f"/api/v1/requests/{world.lending_a.pk}/",
                                              {"status": LendingStatus.COMPLETED},
                                              format="json")
    assert_json_error(response, 405, "method_not_allowed")
    world.lending_a.refresh_from_db()
    assert world.lending_a.status == LendingStatus.SHIPPED
