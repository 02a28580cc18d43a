"""POST /api/v1/requests/{id}/actions/{action}/: workflow actions, performed by the one workflow service."""

import datetime as dt

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.models import Event, EventSource

from .contracts import AuthenticationContract, PartnerIsolationContract, assert_json_error, snapshot

pytestmark = pytest.mark.django_db


def act(client, request, action, **body):
    return client.post(f"/api/v1/requests/{request.pk}/actions/{action}/", body, format="json")


class TestRequestAction(AuthenticationContract, PartnerIsolationContract):
    method = "post"

    def url(self, world):
        return f"/api/v1/requests/{world.lending_a.pk}/actions/borrower_return_shipped/"

    def test_a_borrowing_partner_says_it_received_our_item(self, world):
        response = act(world.partner_a_client(), world.lending_a, "borrower_received", note="arrived")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == BorrowingStatus.SHIPPED
        event = Event.objects.get(request=world.lending_a)
        assert (event.action, event.actor_kind, event.actor_library, event.source, event.note) == (
            "borrower_received", "partner", world.partner_a, EventSource.API, "arrived")

    def test_a_borrowing_partner_ships_our_item_back_and_the_request_moves(self, world):
        client = world.partner_a_client()
        act(client, world.lending_a, "borrower_received")
        response = act(client, world.lending_a, "borrower_return_shipped")
        assert response.status_code == 200
        world.lending_a.refresh_from_db()
        assert world.lending_a.status == response.json()["status"] == LendingStatus.RETURN_SHIPPED
        assert list(Event.objects.filter(request=world.lending_a).values_list("action", "source")) == [
            ("borrower_received", "api"), ("borrower_return_shipped", "api")]

    def test_the_answer_is_the_updated_request_with_its_new_actions(self, world):
        body = act(world.partner_a_client(), world.lending_a, "borrower_return_shipped").json()
        assert body["actions"] == []
        assert body["events"][-1]["action"] == "borrower_return_shipped"

    def test_a_lending_partner_ships_to_us_with_its_due_date(self, world):
        due = dt.date.today() + dt.timedelta(days=30)
        response = act(world.partner_a_client(), world.borrowing_a, "lender_shipped",
                       data={"due_date": due.isoformat()})
        assert response.status_code == 200, response.content
        world.borrowing_a.refresh_from_db()
        assert (world.borrowing_a.status, world.borrowing_a.due_date) == (BorrowingStatus.SHIPPED, due)
        assert response.json()["due_date"] == due.isoformat()

    def test_an_action_not_possible_now_answers_409_and_changes_nothing(self, world):
        before = snapshot(world.borrowing_a)
        response = act(world.partner_a_client(), world.borrowing_a, "lender_checked_in")
        assert_json_error(response, 409, "not_allowed")
        assert snapshot(world.borrowing_a) == before

    def test_a_stale_expected_status_answers_409_conflict_and_changes_nothing(self, world):
        before = snapshot(world.lending_a)
        response = act(world.partner_a_client(), world.lending_a, "borrower_return_shipped",
                       expected_status=LendingStatus.NEW)
        assert_json_error(response, 409, "conflict")
        assert snapshot(world.lending_a) == before

    def test_a_staff_action_asked_by_a_partner_answers_403_and_changes_nothing(self, world):
        before = snapshot(world.lending_a)
        assert_json_error(act(world.partner_a_client(), world.lending_a, "check_in"), 403, "forbidden")
        assert snapshot(world.lending_a) == before

    def test_an_action_that_does_not_exist_answers_404_json(self, world):
        assert_json_error(act(world.partner_a_client(), world.lending_a, "teleport"), 404, "unknown_action")

    def test_a_bad_due_date_answers_400_on_that_key_and_changes_nothing(self, world):
        before = snapshot(world.borrowing_a)
        response = act(world.partner_a_client(), world.borrowing_a, "lender_shipped", data={"due_date": "soonish"})
        body = assert_json_error(response, 400, "invalid")
        assert body["errors"]["data.due_date"] == [
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
        assert snapshot(world.borrowing_a) == before

    def test_data_that_is_not_an_object_answers_400(self, world):
        response = act(world.partner_a_client(), world.borrowing_a, "lender_shipped", data=["2030-01-01"])
        assert "data" in assert_json_error(response, 400, "invalid")["errors"]

    def test_a_renewal_answer_carries_the_new_due_date(self, world):
        world.borrowing_a.status = BorrowingStatus.CHECKED_OUT
        world.borrowing_a.save()
        due = dt.date.today() + dt.timedelta(days=60)
        response = act(world.partner_a_client(), world.borrowing_a, "lender_renewal_answer",
                       data={"answer": "Y", "due_date": due.isoformat()})
        assert response.status_code == 200
        world.borrowing_a.refresh_from_db()
        assert (world.borrowing_a.renewal_count, world.borrowing_a.due_date) == (1, due)

    def test_staff_act_on_their_librarys_request_as_staff(self, world):
        user = world.staff_user()
        response = act(world.staff_client(user=user), world.lending_a, "recall", note="course reserve")
        assert response.status_code == 200, response.content
        event = Event.objects.get(request=world.lending_a)
        assert (event.actor_kind, event.actor_user, event.source) == ("staff", user, EventSource.API)

    def test_nested_values_in_data_answer_400_on_their_key(self, world):
        response = act(world.partner_a_client(), world.borrowing_a, "lender_shipped",
                       data={"tracking_number": {"nested": True}})
        assert assert_json_error(response, 400, "invalid")["errors"] == {
            "data.tracking_number": ["Must be a plain value (text, number, true/false or null)."]}
