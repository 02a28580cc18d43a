"""POST /api/v1/requests/ with where to ship, who asks and who pays, kept as an ISO 18626 request's are."""

import pytest

from lending import selectors
from requests_app.models import AddressPurpose, IllRequest, RequesterAddress, RequesterDetails

from .contracts import assert_json_error
from .test_request_create import URL, ask, lending_rows

pytestmark = pytest.mark.django_db

SHIP_TO = [
    {"line1": "Interlibrary Loan, Main Library", "line2": "1 College Road", "locality": "Springfield",
     "postal_code": "12345", "region": "IL", "country": "US", "delivery_method": "Courier", "courier_name": "UPS"},
    {"electronic_type": "Email", "electronic_data": "ill@partner-a.example"},
]


def test_a_partners_ship_to_addresses_are_kept_in_its_order(world):
    response = world.partner_a_client().post(URL, ask(world, ship_to=SHIP_TO), format="json")
    assert response.status_code == 201, response.content
    request = lending_rows(world).get()
    rows = list(RequesterAddress.objects.filter(request=request, purpose=AddressPurpose.SHIP_TO)
                .values_list("position", "line1", "locality", "country", "delivery_method", "courier_name",
                             "electronic_data"))
    assert rows == [(0, "Interlibrary Loan, Main Library", "Springfield", "US", "Courier", "UPS", ""),
                    (1, "", "", "", "", "", "ill@partner-a.example")]


def test_the_lending_desk_ships_a_rest_request_to_the_address_it_gave(world):
    world.partner_a_client().post(URL, ask(world, ship_to=SHIP_TO), format="json")
    request = lending_rows(world).get()
    ship_to = selectors.ship_to(request)
    assert ship_to.from_request
    assert ship_to.lines[:2] == ["Interlibrary Loan, Main Library", "1 College Road"]
    page = world.staff_client().get(f"/lending/requests/{request.pk}/").content.decode()
    assert "1 College Road" in page


def test_contact_billing_and_service_level_are_kept(world):
    world.partner_a_client().post(URL, ask(world, service_level="Rush", requesting_agency={
        "name": "Partner A Library", "contact_name": "Pat Lender",
        "addresses": [{"electronic_data": "pat@partner-a.example"}]}, billing={
        "billing_name": "Partner A Accounts", "billing_method": "Invoice",
        "address": {"line1": "2 Bursar Lane", "locality": "Springfield", "country": "US"}}), format="json")
    request = lending_rows(world).get()
    details = RequesterDetails.objects.get(request=request)
    assert (details.name, details.contact_name, details.billing_name, details.billing_method,
            details.is_rush) == ("Partner A Library", "Pat Lender", "Partner A Accounts", "Invoice", True)
    assert list(RequesterAddress.objects.filter(request=request).exclude(purpose=AddressPurpose.SHIP_TO)
                .values_list("purpose", "electronic_data", "line1")) == [
        (AddressPurpose.BILLING, "", "2 Bursar Lane"), (AddressPurpose.CONTACT, "pat@partner-a.example", "")]


def test_a_request_without_details_keeps_none(world):
    world.partner_a_client().post(URL, ask(world), format="json")
    request = lending_rows(world).get()
    assert not RequesterDetails.objects.filter(request=request).exists()
    assert not RequesterAddress.objects.filter(request=request).exists()


@pytest.mark.parametrize(("details", "field"), [
    ({"ship_to": [{}]}, "ship_to.0.non_field_errors"),
    ({"ship_to": [{"line1": "1 Road", "electronic_data": "a@b.example"}]}, "ship_to.0.non_field_errors"),
    ({"ship_to": [{"locality": "Springfield"}]}, "ship_to.0.non_field_errors"),
    ({"ship_to": [{"line1": "1 Road", "postal_code": "1" * 21}]}, "ship_to.0.postal_code"),
    ({"ship_to": {"line1": "1 Road"}}, "ship_to.non_field_errors"),
    ({"billing": {"address": {"line1": "1 Road", "country": 3}}}, "billing.address.country"),
    ({"requesting_agency": {"addresses": [{}]}}, "requesting_agency.addresses.0.non_field_errors"),
])
def test_bad_details_answer_400_on_their_field_and_create_nothing(world, details, field):
    response = world.partner_a_client().post(URL, ask(world, **details), format="json")
    assert field in assert_json_error(response, 400, "invalid")["errors"]
    assert not lending_rows(world).exists()
    assert not IllRequest.objects.filter(requesting_agency_request_id="PA-2025-0001").exists()


def test_the_document_describes_the_details(world):
    schemas = world.partner_a_client().get("/api/schema/?format=json").json()["components"]["schemas"]
    create = schemas["RequestCreateRequest"] if "RequestCreateRequest" in schemas else schemas["RequestCreate"]
    assert {"ship_to", "requesting_agency", "billing", "service_level"} <= set(create["properties"])
    assert not {"ship_to", "requesting_agency", "billing", "service_level"} & set(create.get("required", []))
    address = schemas["DeliveryAddressRequest"] if "DeliveryAddressRequest" in schemas else schemas["DeliveryAddress"]
    assert [branch["required"] for branch in address["oneOf"]] == [["line1"], ["electronic_data"]]
