"""The NCIP client against the test responder over real HTTP, and the codec's hardened reading."""

from __future__ import annotations

import datetime as dt

import pytest

from requests_app.ncip import codec
from requests_app.ncip.client import Endpoint, NcipClient
from requests_app.ncip.errors import (
    DuplicateItem,
    InvalidMessage,
    NcipConfigurationError,
    NcipUnavailable,
    UnknownItem,
    UnknownUser,
    UnsupportedService,
    UserBlocked,
)
from requests_app.ncip.profiles import PROFILES, AuthScheme


def client_for(ils, schema_dir, profile="generic", **endpoint) -> NcipClient:
    values = {"url": ils.url, "from_agency": "ILLMS", "to_agency": "ILS", "timeout": 2.0, **endpoint}
    return NcipClient(Endpoint(**values), PROFILES[profile], schema_dir=schema_dir)


HEADER = codec.Header("ILLMS", "ILS")
USER, ITEM, REQUEST = codec.Id("P1", "Barcode"), codec.Id("B1", "Barcode", "ILLMS"), codec.Id("B1", agency="ILLMS")
BUILT = {
    "LookupUser": lambda: codec.lookup_user(HEADER, user=USER),
    "AcceptItem": lambda: codec.accept_item(HEADER, request=REQUEST, item=ITEM, user=USER, title="T", author="A",
                                            date_for_return=dt.date(2027, 1, 1), pickup_location="MAIN"),
    "CheckOutItem": lambda: codec.check_out_item(HEADER, user=USER, item=ITEM, request=REQUEST,
                                                 desired_date_due=dt.date(2027, 1, 1)),
    "CheckInItem": lambda: codec.check_in_item(HEADER, item=ITEM),
    "RenewItem": lambda: codec.renew_item(HEADER, user=USER, item=ITEM, desired_date_due=dt.date(2027, 2, 1)),
    "DeleteItem": lambda: codec.delete_item(HEADER, item=ITEM),
    "LookupItem": lambda: codec.lookup_item(HEADER, item=ITEM),
    "RequestItem": lambda: codec.request_item(HEADER, user=USER, request=REQUEST, item=ITEM, pickup_location="X",
                                              need_before=dt.date(2027, 1, 1)),
    "CancelRequestItem": lambda: codec.cancel_request_item(HEADER, user=USER, request=REQUEST, item=ITEM),
}


@pytest.mark.parametrize("service", sorted(BUILT))
def test_every_message_the_codec_builds_is_valid_ncip_2_02(service, ncip_schema_dir):
    message = BUILT[service]()
    assert codec.validate(message, ncip_schema_dir) == []
    assert codec.service_of(message) == service


def test_a_request_item_by_isbn_without_an_item_id_is_valid(ncip_schema_dir):
    assert codec.validate(codec.request_item(HEADER, user=USER, request=REQUEST, isbn="9780226458083"),
                          ncip_schema_dir) == []


def test_lookup_user_reads_the_users_name_email_category_expiry_and_blocks(ils, ncip_schema_dir):
    ils.add_user("P1", name="Ada Lovelace", email="ada@example.edu", category="faculty", expires="2026-01-31",
                 blocked="Fines over limit")
    user = client_for(ils, ncip_schema_dir).lookup_user("P1").user
    assert (user.name, user.email, user.category) == ("Ada Lovelace", "ada@example.edu", "faculty")
    assert user.block_reason() == "Fines over limit"
    assert user.expired_on(dt.date(2026, 2, 1)) == dt.date(2026, 1, 31)


def test_an_unknown_user_is_an_unknown_user_error_with_the_ils_words(ils, ncip_schema_dir):
    with pytest.raises(UnknownUser) as caught:
        client_for(ils, ncip_schema_dir).lookup_user("NOBODY")
    assert caught.value.reason == "No user with id NOBODY"


def test_a_user_blocked_by_a_problem_element_is_a_user_blocked_error(ils, ncip_schema_dir):
    ils.add_user("P1", blocked="Lost items", blocked_as="problem")
    with pytest.raises(UserBlocked) as caught:
        client_for(ils, ncip_schema_dir).lookup_user("P1")
    assert caught.value.reason == "Lost items"


def test_accepting_an_item_twice_is_a_duplicate_item_error(ils, ncip_schema_dir):
    ils.add_user("P1")
    client = client_for(ils, ncip_schema_dir)
    client.accept_item(request_id="B1", barcode="B1", user_id="P1", title="Middlemarch")
    with pytest.raises(DuplicateItem):
        client.accept_item(request_id="B1", barcode="B1", user_id="P1", title="Middlemarch")


def test_checking_in_an_unknown_item_is_an_unknown_item_error(ils, ncip_schema_dir):
    with pytest.raises(UnknownItem):
        client_for(ils, ncip_schema_dir).check_in_item(barcode="B404")


def test_the_generic_profile_sends_the_due_date_at_accept_and_check_out_and_reads_the_ils_date(ils, ncip_schema_dir):
    ils.add_user("P1")
    client = client_for(ils, ncip_schema_dir)
    client.accept_item(request_id="B1", barcode="B1", user_id="P1", title="T", due_date=dt.date(2027, 3, 1))
    answer = client.check_out_item(user_id="P1", barcode="B1", due_date=dt.date(2027, 3, 1))
    assert answer.date_due.date() == dt.date(2027, 3, 1)
    assert ils.item("B1")["date_for_return"].startswith("2027-03-01")


def test_a_slow_ils_is_unavailable_after_the_timeout(ils, ncip_schema_dir):
    ils.slow(3)
    with pytest.raises(NcipUnavailable, match="did not answer LookupUser within 0.5 s"):
        client_for(ils, ncip_schema_dir, timeout=0.5).lookup_user("P1")


def test_an_ils_that_is_down_is_unavailable(ils, ncip_schema_dir):
    ils.down()
    with pytest.raises(NcipUnavailable, match="HTTP 503"):
        client_for(ils, ncip_schema_dir).lookup_user("P1")


def test_an_ils_that_drops_the_connection_is_unavailable(ils, ncip_schema_dir):
    ils.settings(drop=True)
    with pytest.raises(NcipUnavailable, match="cannot be reached"):
        client_for(ils, ncip_schema_dir).lookup_user("P1")


def test_a_service_the_profile_lacks_is_refused_without_a_call(ils, ncip_schema_dir):
    with pytest.raises(UnsupportedService, match="Alma does not offer DeleteItem"):
        client_for(ils, ncip_schema_dir, profile="alma").delete_item(barcode="B1")
    assert ils.log() == []


def test_a_service_the_ils_does_not_offer_is_an_unsupported_service_error(ils, ncip_schema_dir):
    ils.offer_only(["LookupUser"])
    with pytest.raises(UnsupportedService):
        client_for(ils, ncip_schema_dir).check_in_item(barcode="B1")


def test_without_the_schema_nothing_is_sent(ils, tmp_path):
    with pytest.raises(NcipConfigurationError, match="schema is not installed"):
        client_for(ils, tmp_path).lookup_user("P1")
    assert ils.log() == []


def test_an_invalid_message_of_ours_is_never_sent(ils, ncip_schema_dir):
    with pytest.raises(InvalidMessage):
        client_for(ils, ncip_schema_dir).call("LookupUser", b"<x/>")
    assert ils.log() == []


def test_the_api_key_goes_in_the_address_when_the_ils_wants_it(ils, ncip_schema_dir):
    ils.settings(apikey="k3y")
    ils.add_user("P1")
    assert client_for(ils, ncip_schema_dir, auth=AuthScheme.API_KEY_QUERY, secret="k3y").lookup_user("P1").user
    with pytest.raises(NcipUnavailable, match="HTTP 401"):
        client_for(ils, ncip_schema_dir, auth=AuthScheme.API_KEY_QUERY, secret="wrong").lookup_user("P1")


def test_basic_authentication_is_sent_when_configured(ils, ncip_schema_dir):
    ils.settings(basic="illms:pa55")
    ils.add_user("P1")
    client = client_for(ils, ncip_schema_dir, auth=AuthScheme.BASIC, username="illms", secret="pa55")
    assert client.lookup_user("P1").user_id == "P1"


def test_the_from_agency_authentication_travels_in_the_message(ils, ncip_schema_dir):
    ils.settings(from_agency_auth="shared-secret")
    ils.add_user("P1")
    client = client_for(ils, ncip_schema_dir, profile="symphony", auth=AuthScheme.FROM_AGENCY, secret="shared-secret")
    assert client.lookup_user("P1").user_id == "P1"


def test_every_message_the_responder_received_was_schema_valid(ils, ncip_schema_dir):
    ils.add_user("P1")
    client = client_for(ils, ncip_schema_dir)
    client.accept_item(request_id="B1", barcode="B1", user_id="P1", title="T", pickup_location="MAIN")
    client.check_out_item(user_id="P1", barcode="B1")
    client.renew_item(user_id="P1", barcode="B1", due_date=dt.date(2027, 5, 1))
    client.check_in_item(barcode="B1")
    client.delete_item(barcode="B1")
    log = ils.log()
    assert [entry["service"] for entry in log] == ["AcceptItem", "CheckOutItem", "RenewItem", "CheckInItem",
                                                   "DeleteItem"]
    assert all(entry["valid"] for entry in log)


def test_lookup_item_reads_status_call_number_location_and_due_date(ils, ncip_schema_dir):
    ils.add_item("31234", title="Middlemarch", status="On Loan", call_number="PR4662 .A1", location="Stacks",
                 due="2027-01-15T23:59:59Z")
    item = client_for(ils, ncip_schema_dir).lookup_item(barcode="31234").item
    assert (item.circulation_status, item.call_number, item.location) == ("On Loan", "PR4662 .A1", "Stacks")
    assert item.date_due.date() == dt.date(2027, 1, 15)


def test_request_item_then_cancel_request_item_places_and_lifts_a_hold(ils, ncip_schema_dir):
    ils.add_user("ILL-PARTNER")
    ils.add_item("31234")
    client = client_for(ils, ncip_schema_dir)
    assert client.request_item(user_id="ILL-PARTNER", request_id="L7", barcode="31234").request_id == "L7"
    assert ils.state()["holds"]["L7"]["status"] == "Placed"
    client.cancel_request_item(user_id="ILL-PARTNER", request_id="L7", barcode="31234")
    assert ils.state()["holds"]["L7"]["status"] == "Cancelled"


@pytest.mark.parametrize("body, words", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "DOCTYPE"),
    (b"", "empty"),
    (b"<ns1:NCIPMessage", "not well-formed"),
    (b"<a>" + b"x" * (codec.MAX_MESSAGE_BYTES + 1) + b"</a>", "bytes long"),
])
def test_a_hostile_or_broken_response_is_unreadable_not_parsed(body, words):
    with pytest.raises(NcipUnavailable, match=words):
        codec.read_response(body, "LookupUser")


def test_a_response_to_another_service_is_not_read_as_the_one_we_asked(ncip_schema_dir):
    answer = (b'<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" ns1:version="x">'
              b"<ns1:DeleteItemResponse><ns1:ItemId><ns1:ItemIdentifierValue>B1</ns1:ItemIdentifierValue>"
              b"</ns1:ItemId></ns1:DeleteItemResponse></ns1:NCIPMessage>")
    with pytest.raises(NcipUnavailable, match="expected a CheckInItemResponse"):
        codec.read_response(answer, "CheckInItem")


@pytest.fixture(scope="module")
def second_opinion(ncip_schema_dir):
    import xmlschema

    return xmlschema.XMLSchema(str(ncip_schema_dir / codec.SCHEMA_FILENAME))


@pytest.mark.parametrize("service", sorted(BUILT))
def test_a_second_validator_agrees_every_message_is_valid(service, second_opinion):
    import io

    assert [error.reason for error in second_opinion.iter_errors(io.BytesIO(BUILT[service]()))] == []
