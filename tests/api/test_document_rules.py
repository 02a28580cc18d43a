"""What the API answers and reads follows its OpenAPI document's rules (docs/partners.md, "The REST API").

Answers: every field present; free text without a value is ``""``; an e-mail, a URI or a choice without a
value is ``null``. Bodies: JSON only; text only as JSON strings; amounts as strings. Errors: one JSON
shape everywhere under ``/api/``, the CSRF check's and the catch-all 404's included.
"""

from __future__ import annotations

import json

import pytest
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest, Note
from tests.factories import IllRequestFactory

from .contracts import assert_json_error

pytestmark = pytest.mark.django_db
REQUESTS = "/api/v1/requests/"


def ask(world, **overrides) -> dict:
    return {"supplying_library": world.ours.symbol, "requesting_agency_request_id": "PA-RULES-1",
            "service_type": "Loan", "title": "Middlemarch", **overrides}


def notes_url(request: IllRequest) -> str:
    return f"/api/v1/requests/{request.pk}/notes/"


# Answers ------------------------------------------------------------------------------------

def test_a_library_without_a_billing_address_or_endpoints_answers_null_for_them(world):
    world.ours.billing_email = world.ours.iso18626_endpoint = world.ours.rest_endpoint = ""
    world.ours.save()
    body = world.partner_a_client().get(f"/api/v1/libraries/{world.ours.symbol}/").json()
    assert (body["billing_email"], body["iso18626_endpoint"], body["rest_endpoint"]) == (None, None, None)


def test_a_library_with_a_billing_address_answers_it(world):
    world.ours.billing_email = "billing@ours.example.edu"
    world.ours.save()
    body = world.partner_a_client().get(f"/api/v1/libraries/{world.ours.symbol}/").json()
    assert body["billing_email"] == "billing@ours.example.edu"


def test_free_text_without_a_value_stays_an_empty_string(world):
    world.ours.address_line2 = ""
    world.ours.save()
    assert world.partner_a_client().get(f"/api/v1/libraries/{world.ours.symbol}/").json()["address_line2"] == ""


def test_a_request_without_copyright_compliance_answers_null_in_the_detail(world):
    assert world.lending_a.copyright_compliance == ""
    body = world.partner_a_client().get(f"{REQUESTS}{world.lending_a.pk}/").json()
    assert body["copyright_compliance"] is None


def test_a_request_without_copyright_compliance_answers_null_in_the_list(world):
    rows = world.partner_a_client().get(REQUESTS).json()["results"]
    assert {row["copyright_compliance"] for row in rows} == {None}


def test_a_request_without_a_doi_answers_an_empty_doi(world):
    assert world.partner_a_client().get(f"{REQUESTS}{world.lending_a.pk}/").json()["doi"] == ""


def test_a_borrowing_request_with_no_lender_yet_answers_partner_null_to_staff(world):
    waiting = IllRequestFactory(library=world.ours, partner=None, status=BorrowingStatus.SUBMITTED)
    body = world.staff_client().get(f"{REQUESTS}{waiting.pk}/").json()
    assert body["partner"] is None


# Bodies -------------------------------------------------------------------------------------

def test_a_form_encoded_body_answers_415_json(world):
    response = world.partner_a_client().post(REQUESTS, ask(world), format="multipart")
    assert_json_error(response, 415, "unsupported_media_type")


def test_a_number_where_text_is_expected_answers_400_on_the_field(world):
    response = world.partner_a_client().post(notes_url(world.lending_a), {"text": 0}, format="json")
    assert assert_json_error(response, 400, "invalid")["errors"] == {"text": ["Send text, as a JSON string."]}
    assert not Note.objects.exists()


def test_an_empty_note_answers_400_as_the_document_says(world):
    response = world.partner_a_client().post(notes_url(world.lending_a), {"text": ""}, format="json")
    assert list(assert_json_error(response, 400, "invalid")["errors"]) == ["text"]


def test_a_note_of_spaces_answers_400_too(world):
    response = world.partner_a_client().post(notes_url(world.lending_a), {"text": "   "}, format="json")
    assert list(assert_json_error(response, 400, "invalid")["errors"]) == ["text"]


def test_a_request_created_with_blank_optional_fields_is_accepted(world):
    blanks = {"author": "", "isbn": "", "doi": "", "copyright_compliance": "", "max_cost": "", "note": ""}
    response = world.partner_a_client().post(REQUESTS, ask(world, **blanks), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["max_cost"] is None


def test_a_maximum_cost_given_as_a_number_answers_400(world):
    response = world.partner_a_client().post(REQUESTS, ask(world, max_cost=25), format="json")
    assert list(assert_json_error(response, 400, "invalid")["errors"]) == ["max_cost"]


def test_a_maximum_cost_given_as_a_string_is_stored(world):
    response = world.partner_a_client().post(REQUESTS, ask(world, max_cost="25.50"), format="json")
    assert response.json()["max_cost"] == "25.50"


def test_a_currency_that_is_not_three_capitals_answers_400(world):
    response = world.partner_a_client().post(REQUESTS, ask(world, max_cost_currency="usd"), format="json")
    assert list(assert_json_error(response, 400, "invalid")["errors"]) == ["max_cost_currency"]


def test_an_empty_expected_status_is_not_checked(world):
    response = world.partner_a_client().post(f"{REQUESTS}{world.borrowing_a.pk}/actions/lender_will_supply/",
                                             {"expected_status": ""}, format="json")
    assert response.status_code == 200, response.content


def test_an_empty_due_date_in_data_counts_as_none(world):
    response = world.partner_a_client().post(f"{REQUESTS}{world.borrowing_a.pk}/actions/lender_will_supply/",
                                             {"data": {"due_date": ""}}, format="json")
    assert response.status_code == 200, response.content


# Errors -------------------------------------------------------------------------------------

def test_a_csrf_failure_on_an_api_path_answers_json_403():
    request = RequestFactory().post("/api/v1/requests/", {})
    response = CsrfViewMiddleware(lambda r: None).process_view(request, lambda r: None, (), {})
    assert (response.status_code, response["Content-Type"]) == (403, "application/json")
    assert json.loads(response.content)["code"] == "csrf_failed"


def test_a_csrf_failure_elsewhere_answers_the_sites_page(client):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert b"This form has expired" in response.content


def test_a_staff_post_without_the_csrf_token_answers_json_403(world):
    staff = APIClient(enforce_csrf_checks=True)
    staff.force_login(world.staff_user())
    response = staff.post(notes_url(world.lending_a), {"text": "Sent today"}, format="json")
    assert_json_error(response, 403, "permission_denied")
    assert not Note.objects.exists()


def test_a_post_to_an_unknown_api_address_answers_json_404_not_a_csrf_page(world):
    staff = APIClient(enforce_csrf_checks=True)
    staff.force_login(world.staff_user())
    assert_json_error(staff.post("/api/v1/requests/0.5/actions/0/", {}, format="json"), 404, "not_found")


def test_an_address_under_api_outside_v1_answers_json_404(client):
    assert_json_error(client.get("/api/v2/requests/"), 404, "not_found")


def test_a_method_the_address_does_not_take_answers_json_405(world):
    assert_json_error(world.partner_a_client().delete(REQUESTS), 405, "method_not_allowed")
