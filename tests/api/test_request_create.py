"""POST /api/v1/requests/: a partner asks one of our member libraries to lend."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.models import Event, EventSource, IllRequest, Library
from requests_app.partners.keys import issue_api_key

from .contracts import AuthenticationContract, assert_json_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def ask(world, **overrides) -> dict:
    return {"supplying_library": world.ours.symbol, "requesting_agency_request_id": "PA-2025-0001",
            "service_type": "Loan", "format": "book", "title": "Middlemarch", "author": "Eliot, George",
            "isbn": "978-0-14-143954-9", "publication_date": "2003", "note": "Needed for a seminar", **overrides}


def lending_rows(world):
    return IllRequest.objects.filter(role="lending", partner=world.partner_a).exclude(pk=world.lending_a.pk)


class TestRequestCreate(AuthenticationContract):
    method = "post"

    def url(self, world):
        return URL

    def body(self, world):
        return ask(world)

    def test_a_partner_creates_a_lending_request_with_201(self, world):
        response = world.partner_a_client().post(URL, ask(world), format="json")
        assert response.status_code == 201, response.content
        request = lending_rows(world).get()
        body = response.json()
        assert body["id"] == request.pk
        assert response["Location"] == f"/api/v1/requests/{request.pk}/"
        assert (body["role"], body["status"], body["library"], body["partner"]) == ("lending", LendingStatus.NEW,
                                                                                    "OURS", "PA")
        assert request.isbn == "9780141439549"
        assert request.requesting_agency_request_id == "PA-2025-0001"

    def test_the_201_answer_is_what_reading_the_request_back_answers(self, world):
        client = world.partner_a_client()
        created = client.post(URL, ask(world), format="json").json()
        read_back = client.get(f"{URL}{created['id']}/").json()
        assert created == read_back
        assert created["supplying_agency_request_id"] == f"OURS-{created['id']}"

    def test_a_new_request_costs_a_fixed_handful_of_queries(self, world, django_assert_max_num_queries):
        client = world.partner_a_client()
        client.get(URL)  # the key's last use is recorded once a minute, not on every call
        # The key, the library asked, the id looked up, the savepoint, the request, its creation event, our id,
        # the savepoint released, the history answered.
        with django_assert_max_num_queries(9):
            response = client.post(URL, ask(world), format="json")
        assert response.status_code == 201

    def test_the_201_shows_the_history_without_reading_it_back(self, world):
        client = world.partner_a_client()
        with CaptureQueriesContext(connection) as captured:
            response = client.post(URL, ask(world), format="json")
        assert [event["action"] for event in response.json()["events"]] == ["create"]
        assert not [q for q in captured.captured_queries
                    if q["sql"].startswith("SELECT") and Event._meta.db_table in q["sql"]]

    def test_the_library_asked_is_not_looked_up_again_by_the_next_create(self, world):
        client = world.partner_a_client()
        client.post(URL, ask(world), format="json")
        with CaptureQueriesContext(connection) as captured:
            response = client.post(URL, ask(world, requesting_agency_request_id="PA-2025-0002"), format="json")
        assert response.status_code == 201
        assert not [q for q in captured.captured_queries
                    if q["sql"].startswith("SELECT") and f'FROM "{Library._meta.db_table}"' in q["sql"]]

    def test_a_library_switched_off_is_refused_by_the_next_create(self, world):
        client = world.partner_a_client()
        client.post(URL, ask(world), format="json")
        world.ours.active = False
        world.ours.save()
        response = client.post(URL, ask(world, requesting_agency_request_id="PA-2025-0002"), format="json")
        assert "supplying_library" in assert_json_error(response, 400, "invalid")["errors"]

    def test_the_creation_is_in_the_history_as_the_partners_over_the_api(self, world):
        world.partner_a_client().post(URL, ask(world), format="json")
        event = Event.objects.get(request=lending_rows(world).get())
        assert (event.action, event.actor_kind, event.actor_library, event.source) == (
            "create", "partner", world.partner_a, EventSource.API)
        assert event.note == "Needed for a seminar"

    def test_sending_the_same_request_again_returns_it_with_200_and_creates_nothing(self, world):
        client = world.partner_a_client()
        first = client.post(URL, ask(world), format="json")
        again = client.post(URL, ask(world), format="json")
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert lending_rows(world).count() == 1

    def test_the_same_id_with_another_title_is_a_409_naming_the_existing_request(self, world):
        client = world.partner_a_client()
        first = client.post(URL, ask(world), format="json").json()
        events = Event.objects.count()
        again = client.post(URL, ask(world, title="Middlemarch (another book)"), format="json")
        assert_json_error(again, 409, "conflict")
        body = again.json()
        assert body["existing"] == {"id": first["id"], "number": first["number"], "url": f"{URL}{first['id']}/"}
        assert body["fields"] == ["title"] and first["number"] in body["message"]
        assert again["Location"] == f"{URL}{first['id']}/"
        assert lending_rows(world).get().title == "Middlemarch"
        assert lending_rows(world).count() == 1 and Event.objects.count() == events

    def test_the_same_id_with_another_note_is_a_409_too(self, world):
        client = world.partner_a_client()
        client.post(URL, ask(world), format="json")
        assert client.post(URL, ask(world, note="Another seminar"), format="json").status_code == 409

    def test_the_same_request_with_its_isbn_written_otherwise_is_the_same_request(self, world):
        client = world.partner_a_client()
        first = client.post(URL, ask(world), format="json").json()
        again = client.post(URL, ask(world, isbn="9780141439549", title=" Middlemarch "), format="json")
        assert again.status_code == 200 and again.json()["id"] == first["id"]

    def test_a_retry_that_leaves_a_field_out_is_no_conflict(self, world):
        client = world.partner_a_client()
        first = client.post(URL, ask(world), format="json").json()
        body = ask(world)
        del body["publication_date"], body["note"]
        again = client.post(URL, body, format="json")
        assert again.status_code == 200 and again.json()["id"] == first["id"]

    def test_another_partner_may_use_the_same_id_for_its_own_request(self, world):
        world.partner_a_client().post(URL, ask(world), format="json")
        response = world.partner_b_client().post(URL, ask(world), format="json")
        assert response.status_code == 201
        assert response.json()["partner"] == "PB"

    def test_a_bad_isbn_answers_400_on_its_field_and_creates_nothing(self, world):
        response = world.partner_a_client().post(URL, ask(world, isbn="978-0-00-000000-1"), format="json")
        body = assert_json_error(response, 400, "invalid")
        assert list(body["errors"]) == ["isbn"]
        assert "ISBN" in body["errors"]["isbn"][0]
        assert not lending_rows(world).exists()

    def test_every_bad_identifier_is_reported_at_once(self, world):
        response = world.partner_a_client().post(URL, ask(world, issn="1234-5678", doi="nope"), format="json")
        assert set(assert_json_error(response, 400, "invalid")["errors"]) == {"issn", "doi"}

    def test_a_library_not_served_here_answers_400_on_supplying_library(self, world):
        response = world.partner_a_client().post(URL, ask(world, supplying_library="PB"), format="json")
        assert "supplying_library" in assert_json_error(response, 400, "invalid")["errors"]

    def test_a_missing_title_and_service_type_answer_400_on_their_fields(self, world):
        body = ask(world)
        del body["title"], body["service_type"]
        response = world.partner_a_client().post(URL, body, format="json")
        assert set(assert_json_error(response, 400, "invalid")["errors"]) == {"title", "service_type"}

    def test_the_status_cannot_be_set_on_creation(self, world):
        response = world.partner_a_client().post(URL, ask(world, status=BorrowingStatus.COMPLETED), format="json")
        assert response.status_code == 201
        assert lending_rows(world).get().status == LendingStatus.NEW

    def test_staff_cannot_create_requests_here(self, world):
        response = world.staff_client().post(URL, ask(world), format="json")
        assert_json_error(response, 403, "permission_denied")
        assert not IllRequest.objects.filter(requesting_agency_request_id="PA-2025-0001").exists()

    def test_a_member_library_cannot_ask_itself(self, world):
        _, own_key = issue_api_key(library=world.ours, name="loopback")
        response = world.client(own_key).post(URL, ask(world), format="json")
        assert_json_error(response, 400, "invalid")
