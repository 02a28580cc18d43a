"""Throttling on the protocol doors and the REST API: the message over the rate is answered 429 (an ISO 18626
ERROR confirmation with Retry-After on the protocol doors), never a 500, and changes nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from requests_app.iso18626 import messages as m
from requests_app.models import Event, IllRequest, InboundMessage
from requests_app.partners import throttling
from tests.factories import LibraryFactory, MemberLibraryFactory, partner_key
from tests.interop.test_iso18626_endpoint import iso_request
from tests.interop.test_partner_authentication import DOORS, Door

pytestmark = pytest.mark.django_db


@pytest.fixture(params=DOORS, ids=lambda d: d.name)
def door(request) -> Door:
    return request.param


def test_the_message_over_the_partners_rate_is_answered_429_and_changes_nothing(client, door, settings):
    settings.ILLMS_THROTTLE_PARTNER_RATE = "3/min"
    member, partner = MemberLibraryFactory(), LibraryFactory()
    key = f"Bearer {partner_key(partner)}"
    for n in range(3):
        response, confirmation = door.post(client, iso_request(member, partner, rid=f"R-{n}"), key)
        assert confirmation.header.message_status == m.MessageStatus.OK
    before = (IllRequest.objects.count(), Event.objects.count(), InboundMessage.objects.count())

    response, confirmation = door.post(client, iso_request(member, partner, rid="R-4"), key)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert confirmation.error_data[0].error_value.startswith("Too many messages")
    assert (IllRequest.objects.count(), Event.objects.count(), InboundMessage.objects.count()) == before


def test_the_rate_is_per_api_key_too(client, door, settings):
    settings.ILLMS_THROTTLE_API_KEY_RATE = "2/min"
    member, partner = MemberLibraryFactory(), LibraryFactory()
    first, second = f"Bearer {partner_key(partner)}", f"Bearer {partner_key(partner)}"
    codes = [door.post(client, iso_request(member, partner, rid=f"R-{n}"), first)[0].status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert door.post(client, iso_request(member, partner, rid="R-other"), second)[0].status_code == 200


def test_one_partner_over_its_rate_does_not_slow_another(client, door, settings):
    settings.ILLMS_THROTTLE_PARTNER_RATE = "1/min"
    member, noisy, quiet = MemberLibraryFactory(), LibraryFactory(), LibraryFactory()
    noisy_key = f"Bearer {partner_key(noisy)}"
    door.post(client, iso_request(member, noisy, rid="N-1"), noisy_key)
    assert door.post(client, iso_request(member, noisy, rid="N-2"), noisy_key)[0].status_code == 429
    response, confirmation = door.post(client, iso_request(member, quiet, rid="Q-1"), f"Bearer {partner_key(quiet)}")
    assert confirmation.header.message_status == m.MessageStatus.OK


def test_an_address_that_keeps_failing_to_authenticate_is_answered_429(client, door, settings):
    settings.ILLMS_THROTTLE_UNAUTHENTICATED_RATE = "3/min"
    member, partner = MemberLibraryFactory(), LibraryFactory()
    codes = [door.post(client, iso_request(member, partner, rid=f"R-{n}"), "Bearer illms_000000000000_guess")[0]
             .status_code for n in range(3)]
    assert set(codes) <= {401, 403}

    response, confirmation = door.post(client, iso_request(member, partner, rid="R-4"), "Bearer illms_x_guess")

    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert confirmation.error_data[0].error_value.startswith("Too many messages")
    assert not IllRequest.objects.exists()
    partner.refresh_from_db()
    assert partner.refused_messages == 4


def test_failures_at_an_address_never_hold_back_a_partner_with_a_good_key_there(client, door, settings):
    """Behind a reverse proxy every caller may share one address: a flood must not lock partners out."""
    settings.ILLMS_THROTTLE_UNAUTHENTICATED_RATE = "2/min"
    member, partner = MemberLibraryFactory(), LibraryFactory()
    for n in range(4):
        door.post(client, iso_request(member, partner, rid=f"F-{n}"), None)
    response, confirmation = door.post(client, iso_request(member, partner, rid="GOOD"),
                                       f"Bearer {partner_key(partner)}")
    assert response.status_code == 200 and confirmation.header.message_status == m.MessageStatus.OK


def test_behind_a_trusted_proxy_the_address_is_the_one_it_forwarded(client, door, settings):
    settings.ILLMS_TRUSTED_PROXY_COUNT = 1
    settings.ILLMS_THROTTLE_UNAUTHENTICATED_RATE = "1/min"
    member, partner = MemberLibraryFactory(), LibraryFactory(ip_allowlist="192.0.2.0/24")
    key = f"Bearer {partner_key(partner)}"
    response, _ = door.post(client, iso_request(member, partner, rid="P-1"), key,
                            HTTP_X_FORWARDED_FOR="203.0.113.5, 192.0.2.10")
    assert response.status_code == 200
    # A forged first entry does not count: only the proxy's own entry is trusted.
    response, _ = door.post(client, iso_request(member, partner, rid="P-2"), key,
                            HTTP_X_FORWARDED_FOR="192.0.2.10, 203.0.113.5")
    assert response.status_code == 403
    # Failures are counted per forwarded address: another client behind the same proxy is not throttled.
    assert door.post(client, iso_request(member, partner, rid="P-3"), None,
                     HTTP_X_FORWARDED_FOR="198.51.100.1")[0].status_code in {401, 403}
    assert door.post(client, iso_request(member, partner, rid="P-4"), None,
                     HTTP_X_FORWARDED_FOR="192.0.2.10, 203.0.113.5")[0].status_code == 429


# The REST API -------------------------------------------------------------------------------------------------

def test_the_rest_call_over_the_keys_rate_gets_429_with_retry_after(settings):
    settings.ILLMS_THROTTLE_API_KEY_RATE = "2/min"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {partner_key(LibraryFactory())}")
    codes = [api.get("/api/v1/libraries/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = api.get("/api/v1/libraries/")
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_rest_create_over_the_partners_rate_creates_nothing(settings):
    settings.ILLMS_THROTTLE_PARTNER_RATE = "1/min"
    member, partner = MemberLibraryFactory(), LibraryFactory()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {partner_key(partner)}")
    body = {"supplying_library": member.symbol, "service_type": "Loan", "format": "book", "title": "Middlemarch"}
    first = api.post("/api/v1/requests/", {**body, "requesting_agency_request_id": "A"}, format="json")
    assert first.status_code == 201
    response = api.post("/api/v1/requests/", {**body, "requesting_agency_request_id": "B"}, format="json")
    assert response.status_code == 429
    assert IllRequest.objects.count() == 1


def test_rest_calls_without_a_credential_are_throttled_per_address(settings):
    settings.ILLMS_THROTTLE_UNAUTHENTICATED_RATE = "2/min"
    anonymous = APIClient()
    codes = [anonymous.get("/api/v1/requests/").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    bad_key = APIClient()
    bad_key.credentials(HTTP_AUTHORIZATION="Bearer illms_000000000000_guess")
    assert bad_key.get("/api/v1/requests/").status_code == 429


def test_staff_with_a_session_are_not_counted_as_unauthenticated(settings):
    from tests.factories import StaffFactory

    settings.ILLMS_THROTTLE_UNAUTHENTICATED_RATE = "1/min"
    staff = APIClient()
    staff.force_login(StaffFactory(library=MemberLibraryFactory()))
    assert [staff.get("/api/v1/requests/").status_code for _ in range(3)] == [200, 200, 200]


# Rates -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rate"), [("600/min", throttling.Rate(600, 60)), ("10/s", throttling.Rate(10, 1)),
                                            ("5000/hour", throttling.Rate(5000, 3600)),
                                            ("120/5m", throttling.Rate(120, 300)), ("off", None), ("", None)])
def test_rates_are_read_as_count_per_period(text, rate):
    assert throttling.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["600", "ten/min", "5/fortnight", "/min"])
def test_a_rate_that_is_no_rate_is_an_error(text):
    with pytest.raises(ValueError, match="is not a rate"):
        throttling.parse_rate(text)


def test_a_rate_set_off_throttles_nothing(client, door, settings):
    settings.ILLMS_THROTTLE_PARTNER_RATE = "off"
    settings.ILLMS_THROTTLE_API_KEY_RATE = "off"
    member, partner = MemberLibraryFactory(), LibraryFactory()
    key = f"Bearer {partner_key(partner)}"
    assert {door.post(client, iso_request(member, partner, rid=f"R-{n}"), key)[0].status_code
            for n in range(5)} == {200}
