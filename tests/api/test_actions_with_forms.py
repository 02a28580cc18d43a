"""A staff action the desk asks with a form takes the same form and runs the same service over the REST API."""

import datetime as dt

import pytest
from django.utils import timezone

from lending.models import LendingDetail
from lending.states import LendingStatus
from requests_app.models import Event, EventSource, OutboxMessage
from tests.lending.factories import HoldingFactory, IncomingRequestFactory

from .contracts import assert_json_error, snapshot

pytestmark = pytest.mark.django_db


def act(client, request, action, **body):
    return client.post(f"/api/v1/requests/{request.pk}/actions/{action}/", body, format="json")


def awaiting_shipping(world):
    request = IncomingRequestFactory(library=world.ours, status=LendingStatus.AWAITING_SHIPPING)
    holding = HoldingFactory(library=world.ours, barcode="39015012345678")
    LendingDetail.objects.create(request=request, holding=holding, match_kind="title")
    return request


def shipping_told(request) -> tuple:
    """What the partner's Loaned message says of the shipment, and what our desk recorded."""
    payload = OutboxMessage.objects.filter(request=request).latest("pk").payload
    detail = LendingDetail.objects.get(request=request)
    return (payload["status_info"]["status"], payload["delivery_info"]["delivery_method"]["value"],
            payload["delivery_info"]["item_ids"], payload["shipping_info"]["tracking_ids"],
            payload["shipping_info"]["courier_name"]["value"],
            detail.shipping_method, detail.carrier, detail.tracking_number, detail.shipped_at is not None)


def test_shipping_over_the_api_records_carrier_and_tracking_as_the_desk_does(world, client):
    staff = world.staff_user()
    due = timezone.localdate() + dt.timedelta(days=40)
    by_api, by_desk = awaiting_shipping(world), awaiting_shipping(world)
    response = act(world.staff_client(staff), by_api, "ship", data={
        "shipping_method": "Courier", "carrier": "UPS", "tracking_number": "1Z999", "due_date": due.isoformat()})
    assert response.status_code == 200, response.content
    client.force_login(staff)
    client.post(f"/lending/requests/{by_desk.pk}/actions/ship/", {
        "ship-shipping_method": "Courier", "ship-carrier": "UPS", "ship-tracking_number": "1Z999",
        "ship-due_date": due.isoformat()})
    assert shipping_told(by_api) == shipping_told(by_desk) == (
        "Loaned", "Courier", ["39015012345678"], ["1Z999"], "UPS", "Courier", "UPS", "1Z999", True)
    by_api.refresh_from_db()
    assert (by_api.status, by_api.due_date) == (LendingStatus.SHIPPED, due)
    assert Event.objects.get(request=by_api, action="ship").source == EventSource.API


def test_a_note_sent_with_a_shipment_reaches_the_event(world):
    request = awaiting_shipping(world)
    act(world.staff_client(), request, "ship", note="Fragile spine", data={"shipping_method": "Mail"})
    assert Event.objects.get(request=request, action="ship").note == "Fragile spine"


def test_shipping_with_bad_data_answers_400_on_each_field_and_changes_nothing(world):
    request = awaiting_shipping(world)
    before = snapshot(request)
    response = act(world.staff_client(), request, "ship", data={
        "shipping_method": "Pigeon", "tracking_number": "T" * 101})
    errors = assert_json_error(response, 400, "invalid")["errors"]
    assert set(errors) == {"data.shipping_method", "data.tracking_number"}
    assert "Pigeon is not one of the available choices" in errors["data.shipping_method"][0]
    assert snapshot(request) == before
    assert not OutboxMessage.objects.filter(request=request).exists()
    assert LendingDetail.objects.get(request=request).tracking_number == ""


def test_a_field_the_action_does_not_take_answers_400_naming_what_it_takes(world):
    request = awaiting_shipping(world)
    before = snapshot(request)
    response = act(world.staff_client(), request, "ship", data={"shipping_method": "Mail", "item_id": "X1"})
    errors = assert_json_error(response, 400, "invalid")["errors"]
    assert list(errors) == ["data.item_id"]
    assert "shipping_method, carrier, tracking_number, due_date" in errors["data.item_id"][0]
    assert snapshot(request) == before


def test_a_service_refusal_answers_400_and_changes_nothing(world):
    request = awaiting_shipping(world)
    before = snapshot(request)
    response = act(world.staff_client(), request, "ship",
                   data={"shipping_method": "Mail", "due_date": timezone.localdate().isoformat()})
    assert "due date must be in the future" in assert_json_error(response, 400, "invalid")["message"]
    assert snapshot(request) == before


def test_unfilling_over_the_api_sends_the_reason_code(world):
    request = IncomingRequestFactory(library=world.ours)
    response = act(world.staff_client(), request, "unfill", note="Missing from shelf",
                   data={"reason": "NotOnShelf"})
    assert response.status_code == 200, response.content
    payload = OutboxMessage.objects.filter(request=request).latest("pk").payload
    assert payload["message_info"]["reason_unfilled"]["value"] == "NotOnShelf"
    assert Event.objects.get(request=request, action="unfill").note == "Missing from shelf"


def test_conditions_may_be_sent_as_text_separated_by_commas(world):
    request = IncomingRequestFactory(library=world.ours)
    response = act(world.staff_client(), request, "offer_conditions", note="Reading room only",
                   data={"conditions": "LibraryUseOnly, NoReproduction"})
    assert response.status_code == 200, response.content
    assert Event.objects.get(request=request, action="offer_conditions").data == {
        "loan_conditions": ["LibraryUseOnly", "NoReproduction"]}


def test_a_required_note_left_out_answers_400_on_the_note(world):
    request = IncomingRequestFactory(library=world.ours)
    before = snapshot(request)
    response = act(world.staff_client(), request, "offer_conditions", data={"conditions": "Cost"})
    assert "data.note" in assert_json_error(response, 400, "invalid")["errors"]
    assert snapshot(request) == before


def test_delivering_a_copy_answers_400_saying_the_file_goes_by_the_desk(world):
    request = IncomingRequestFactory(library=world.ours, service_type="Copy")
    before = snapshot(request)
    response = act(world.staff_client(), request, "deliver_copy")
    errors = assert_json_error(response, 400, "invalid")["errors"]
    assert "staff desk's request page" in errors["data.file"][0]
    assert snapshot(request) == before


def test_a_partner_asking_a_staff_action_with_a_form_gets_403_not_the_forms_rules(world):
    request = IncomingRequestFactory(library=world.ours, partner=world.partner_a,
                                     status=LendingStatus.AWAITING_SHIPPING)
    before = snapshot(request)
    response = act(world.partner_a_client(), request, "ship", data={"shipping_method": "Pigeon"})
    assert_json_error(response, 403, "forbidden")
    assert snapshot(request) == before


def test_an_action_without_a_form_still_takes_its_note_and_data(world):
    request = IncomingRequestFactory(library=world.ours, status=LendingStatus.AWAITING_PICKING)
    response = act(world.staff_client(), request, "will_supply", note="On the cart", data={"bin": "7"})
    assert response.status_code == 200, response.content
    event = Event.objects.get(request=request, action="will_supply")
    assert (event.note, event.data, event.source) == ("On the cart", {"bin": "7"}, EventSource.API)


def test_the_document_lists_each_actions_form_fields(world):
    operation = world.staff_client().get("/api/schema/?format=json").json()["paths"][
        "/api/v1/requests/{id}/actions/{action}/"]["post"]
    assert "`ship` (lending, Ship): `shipping_method` (one code, required)" in operation["description"]
    assert "`tracking_number` (text), at most 100 characters" in operation["description"]
    assert "{action data fields}" not in operation["description"]
