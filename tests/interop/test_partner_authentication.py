"""Both protocol doors authenticate the sender a message names: an unauthenticated or mismatched sender on
``/iso18626`` or ``/api/v1/messages/`` changes nothing, reads nothing, and is counted for the partner."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.iso18626 import json_codec, xml
from requests_app.iso18626 import messages as m
from requests_app.models import Event, IllRequest, InboundMessage, Library, Note, OutboxMessage, PolicyChange
from requests_app.partners import authentication
from requests_app.partners.keys import issue_api_key, revoke_api_key
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    StaffFactory,
    partner_key,
)
from tests.interop.test_iso18626_endpoint import iso_request, requesting_message, supplying_message

pytestmark = pytest.mark.django_db


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Door:
    name: str
    path: str

    def post(self, client, message, authorization: str | None = None, **extra):
        headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
        if self.name == "xml":
            response = client.post(self.path, data=xml.encode(message), content_type="application/xml",
                                   **headers, **extra)
            return response, xml.decode(response.content)
        response = client.post(self.path, data=json_codec.to_json(message), content_type="application/json",
                               **headers, **extra)
        return response, json_codec.from_json(response.json())


DOORS = [Door("xml", "/iso18626"), Door("json", "/api/v1/messages/")]


@pytest.fixture(params=DOORS, ids=lambda d: d.name)
def door(request) -> Door:
    return request.param


@dataclass
class Scene:
    member: Library
    partner: Library
    other: Library
    lending: IllRequest
    borrowing: IllRequest
    key: str
    other_key: str


@pytest.fixture
def scene() -> Scene:
    member = MemberLibraryFactory()
    partner = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    other = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    return Scene(member=member, partner=partner, other=other,
                 lending=LendingRequestFactory(library=member, partner=partner, status=LendingStatus.NEW),
                 borrowing=IllRequestFactory(library=member, partner=partner, status=BorrowingStatus.SENT),
                 key=partner_key(partner), other_key=partner_key(other))


def state(scene: Scene) -> dict:
    """Everything a message could change or make us send."""
    return {
        "requests": sorted(IllRequest.objects.values_list("pk", "status", "updated_at", "partner_id")),
        "events": Event.objects.count(), "notes": Note.objects.count(), "outbox": OutboxMessage.objects.count(),
        "inbound": InboundMessage.objects.count(),
    }


def revoked_key(scene: Scene) -> str:
    key, raw = issue_api_key(library=scene.partner, name="old")
    revoke_api_key(key=key)
    return raw


#: Each way of not being the partner: the Authorization header, and whether the partner has an allow-list.
REFUSED = {
    "no credential": lambda s: None,
    "a wrong key": lambda s: f"Bearer {s.key[:-6]}AAAAAA",
    "a revoked key": lambda s: f"Bearer {revoked_key(s)}",
    "the key of another library": lambda s: f"Bearer {s.other_key}",
    "Basic with a wrong password": lambda s: basic(s.partner.symbol, "illms_000000000000_guess"),
    "Basic with another library's key": lambda s: basic(s.partner.symbol, s.other_key),
    "a good key from outside the allow-list": lambda s: f"Bearer {s.key}",
}

#: The messages of the security review: cancel our lending request, read its status, unfill our borrowing one.
MESSAGES = {
    "cancel": lambda s: requesting_message(s.lending, m.Action.CANCEL, note="spoofed"),
    "status request": lambda s: requesting_message(s.lending, m.Action.STATUS_REQUEST),
    "unfilled": lambda s: supplying_message(s.borrowing, m.Status.UNFILLED, reason_unfilled="NotHeld"),
    "new request": lambda s: iso_request(s.member, s.partner, rid="SPOOF-1"),
}


@pytest.mark.parametrize("how", REFUSED)
def test_a_sender_that_is_not_the_partner_changes_nothing_and_is_counted(client, door, scene, how):
    if how.endswith("allow-list"):
        Library.objects.filter(pk=scene.partner.pk).update(ip_allowlist="192.0.2.0/24")
    authorization = REFUSED[how](scene)
    before = state(scene)

    response, confirmation = door.post(client, MESSAGES["cancel"](scene), authorization)

    assert response.status_code in ({403} if door.name == "xml" else {401, 403})
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert confirmation.error_data[0].error_value.startswith("Not authorised: ")
    assert state(scene) == before
    scene.partner.refresh_from_db()
    assert scene.partner.refused_messages == 1 and scene.partner.last_refused_at is not None


@pytest.mark.parametrize("what", MESSAGES)
def test_without_a_credential_no_message_of_the_review_acts_or_reads(client, door, scene, what):
    before = state(scene)
    response, confirmation = door.post(client, MESSAGES[what](scene))
    assert response.status_code in {401, 403}
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert state(scene) == before  # no status sent back in the outbox, no rota moved, no request made


@pytest.mark.parametrize("what", MESSAGES)
def test_with_its_own_key_each_message_of_the_review_is_accepted(client, door, scene, what):
    response, confirmation = door.post(client, MESSAGES[what](scene), f"Bearer {scene.key}")
    assert response.status_code == 200
    assert confirmation.header.message_status == m.MessageStatus.OK, confirmation.error_data


def test_a_key_sent_with_the_api_key_scheme_is_accepted(client, door, scene):
    response, confirmation = door.post(client, MESSAGES["cancel"](scene), f"Api-Key {scene.key}")
    assert confirmation.header.message_status == m.MessageStatus.OK
    scene.lending.refresh_from_db()
    assert scene.lending.status == LendingStatus.CANCELLED


def test_basic_with_the_partners_symbol_and_key_is_accepted(client, door, scene):
    response, confirmation = door.post(client, MESSAGES["cancel"](scene),
                                       basic(scene.partner.symbol.lower(), scene.key))
    assert confirmation.header.message_status == m.MessageStatus.OK
    scene.lending.refresh_from_db()
    assert scene.lending.status == LendingStatus.CANCELLED


def test_basic_with_another_user_name_than_the_keys_library_is_refused(client, door, scene):
    before = state(scene)
    response, confirmation = door.post(client, MESSAGES["cancel"](scene), basic(scene.other.symbol, scene.key))
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert state(scene) == before


def test_a_good_key_from_inside_the_allow_list_is_accepted(client, door, scene):
    Library.objects.filter(pk=scene.partner.pk).update(ip_allowlist="192.0.2.0/24")
    response, confirmation = door.post(client, MESSAGES["cancel"](scene), f"Bearer {scene.key}",
                                       REMOTE_ADDR="192.0.2.7")
    assert confirmation.header.message_status == m.MessageStatus.OK


def test_an_unreadable_authorization_header_is_refused_not_a_server_error(client, door, scene):
    for header in ("Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode(), "Token abc",
                   "Bearer", "Bearer a b"):
        response, confirmation = door.post(client, MESSAGES["cancel"](scene), header)
        assert response.status_code in {401, 403}, header
        assert confirmation.header.message_status == m.MessageStatus.ERROR
    scene.lending.refresh_from_db()
    assert scene.lending.status == LendingStatus.NEW


def test_a_refusal_is_logged_with_partner_address_and_reason_but_never_the_key(client, door, scene, caplog):
    with caplog.at_level(logging.WARNING, logger="requests_app.partners.authentication"):
        door.post(client, MESSAGES["cancel"](scene), f"Bearer {scene.other_key}")
    [record] = [r for r in caplog.records if r.name == "requests_app.partners.authentication"]
    text = record.getMessage()
    assert scene.partner.symbol in text and "127.0.0.1" in text and "naming" in text
    assert scene.other_key not in text and scene.other_key.split("_", 2)[2] not in text


def test_refusals_are_counted_on_the_partner_one_by_one(client, door, scene):
    for _ in range(3):
        door.post(client, MESSAGES["cancel"](scene))
    scene.partner.refresh_from_db()
    assert scene.partner.refused_messages == 3
    assert scene.partner.last_refused_reason == "no credential"


# Opened without credential, by an administrator ---------------------------------------------------------------

def test_a_partner_opened_without_credential_is_accepted_without_one_and_the_opening_is_recorded(client, door, scene):
    admin = StaffFactory(library=scene.member)
    authentication.open_without_credential(library=scene.partner, actor=admin,
                                         reason="Its ILL system cannot send a key; allow-listed by address.")

    response, confirmation = door.post(client, MESSAGES["cancel"](scene))

    assert confirmation.header.message_status == m.MessageStatus.OK
    scene.partner.refresh_from_db()
    assert scene.partner.opened_without_credential_by == admin
    assert scene.partner.opened_without_credential_at is not None
    change = PolicyChange.objects.get(library=scene.partner)
    assert change.changed_by == admin and change.area == authentication.AUDIT_AREA
    assert change.changes["reason"][1].startswith("Its ILL system")


def test_a_partner_opened_without_credential_still_cannot_be_spoken_for_with_another_librarys_key(client, door,
                                                                                                 scene):
    authentication.open_without_credential(library=scene.partner, actor=None, reason="legacy system")
    before = state(scene)
    response, confirmation = door.post(client, MESSAGES["cancel"](scene), f"Bearer {scene.other_key}")
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert state(scene) == before


def test_opening_without_a_reason_is_refused():
    partner = LibraryFactory()
    with pytest.raises(ValueError, match="Say why"):
        authentication.open_without_credential(library=partner, actor=None, reason="  ")
    partner.refresh_from_db()
    assert not partner.open_without_credential and not PolicyChange.objects.exists()


def test_requiring_a_credential_again_closes_the_partner_and_is_recorded(client, door, scene):
    authentication.open_without_credential(library=scene.partner, actor=None, reason="legacy system")
    authentication.require_credential(library=scene.partner, actor=None)
    response, confirmation = door.post(client, MESSAGES["cancel"](scene))
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert PolicyChange.objects.filter(library=scene.partner).count() == 2


# Member libraries of this installation ------------------------------------------------------------------------

def test_a_message_claiming_to_be_from_one_of_our_member_libraries_needs_a_credential_too(client, door):
    borrower, lender = MemberLibraryFactory(), MemberLibraryFactory()
    request = LendingRequestFactory(library=lender, partner=borrower, status=LendingStatus.NEW)
    response, confirmation = door.post(client, requesting_message(request, m.Action.CANCEL))
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW
