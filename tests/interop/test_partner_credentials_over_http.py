"""The partner doors over real HTTP (a live server on loopback): HTTP Basic, as ISO 18626 peers send it,
and a refusal that changes nothing; our outgoing credential, as a partner's server receives it."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import services
from requests_app.iso18626 import json_codec, xml
from requests_app.iso18626 import messages as m
from requests_app.models import IllRequest, Library, OutboxMessage, OutboxStatus
from requests_app.partners import authentication, outbox
from requests_app.workflow import Actor
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory, partner_key
from tests.interop.stub_partner import StubPartner
from tests.interop.test_iso18626_endpoint import requesting_message

pytestmark = pytest.mark.django_db(transaction=True)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def send(url: str, body: bytes, content_type: str, authorization: str | None) -> tuple[int, bytes]:
    headers = {"Content-Type": content_type, **({"Authorization": authorization} if authorization else {})}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the live server on loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def cancel_over(live_server, door: str, request: IllRequest, authorization: str | None) -> tuple[int, m.Confirmation]:
    message = requesting_message(request, m.Action.CANCEL, note="over HTTP")
    if door == "xml":
        code, body = send(f"{live_server.url}/iso18626", xml.encode(message), "application/xml", authorization)
        return code, xml.decode(body)
    code, body = send(f"{live_server.url}/api/v1/messages/", json.dumps(json_codec.to_json(message)).encode(),
                      "application/json", authorization)
    return code, json_codec.from_json(json.loads(body))


@pytest.mark.parametrize("door", ["xml", "json"])
def test_http_basic_with_the_partners_symbol_and_key_is_accepted_over_real_http(live_server, door):
    partner = LibraryFactory()
    request = LendingRequestFactory(library=MemberLibraryFactory(), partner=partner, status=LendingStatus.NEW)
    code, confirmation = cancel_over(live_server, door, request, basic(partner.symbol, partner_key(partner)))
    assert code == 200
    assert confirmation.header.message_status == m.MessageStatus.OK
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED


@pytest.mark.parametrize("door", ["xml", "json"])
def test_http_basic_with_a_wrong_password_is_refused_over_real_http_and_changes_nothing(live_server, door):
    partner = LibraryFactory()
    request = LendingRequestFactory(library=MemberLibraryFactory(), partner=partner, status=LendingStatus.NEW)
    partner_key(partner)
    code, confirmation = cancel_over(live_server, door, request, basic(partner.symbol, "illms_0123456789ab_guess"))
    assert code == (403 if door == "xml" else 401)
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW and not request.events.exists()
    assert Library.objects.get(pk=partner.pk).refused_messages == 1


@pytest.mark.parametrize(("scheme", "username", "expected"), [
    ("bearer", "", "Bearer their-key-for-us"),
    ("api-key", "", "Api-Key their-key-for-us"),
    ("basic", "ILLMS-US-DEMO", basic("ILLMS-US-DEMO", "their-key-for-us")),
])
def test_the_outbox_sends_our_credential_in_the_partners_scheme_to_its_server(scheme, username, expected):
    with StubPartner() as partner_system:
        partner = LibraryFactory(iso18626_endpoint=partner_system.url, outgoing_auth_scheme=scheme,
                                 outgoing_username=username)
        authentication.set_outgoing_credential(library=partner, actor=None, secret="their-key-for-us")
        request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
        services.perform(request=request, action="print_pull_slip",
                         actor=Actor.staff(StaffFactory(library=request.library)))
        outbox.deliver_due()
    assert partner_system.authorizations == [expected]
    assert OutboxMessage.objects.get().status == OutboxStatus.DELIVERED
    assert "their-key-for-us" not in Library.objects.values_list("outgoing_secret", flat=True).get(pk=partner.pk)


def test_without_an_outgoing_credential_the_outbox_sends_no_authorization():
    with StubPartner() as partner_system:
        partner = LibraryFactory(iso18626_endpoint=partner_system.url)
        request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
        services.perform(request=request, action="print_pull_slip",
                         actor=Actor.staff(StaffFactory(library=request.library)))
        outbox.deliver_due()
    assert partner_system.authorizations == [""]


def test_an_outgoing_credential_no_key_can_read_is_a_delivery_error_not_a_crash(settings):
    with StubPartner() as partner_system:
        partner = LibraryFactory(iso18626_endpoint=partner_system.url)
        authentication.set_outgoing_credential(library=partner, actor=None, secret="their-key-for-us")
        settings.SECRET_KEY = "another secret key"  # the derived credentials key changes with it
        request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
        services.perform(request=request, action="print_pull_slip",
                         actor=Actor.staff(StaffFactory(library=request.library)))
        outbox.deliver_due()
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING and "cannot be read" in message.last_error
    assert partner_system.attempts == 0
