"""Loans and copies with a lenient real-world peer, over real HTTP both ways, with us as borrower and as lender.

Our installation runs as a live server on loopback; the peer (``lenient_peers``) writes in the shape of
ReShare, the crosslink broker or Alma, with the defects each profile expects, and receives our messages
on its own loopback port. Staff act through the services the desks call; every protocol message crosses
HTTP. Each lifecycle completes, and the repairs are on the requests' events.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from borrowing.services import rota
from borrowing.states import BorrowingStatus
from lending.services import edelivery
from lending.states import LendingStatus
from requests_app import services
from requests_app.iso18626 import messages as m
from requests_app.models import Event, IllRequest, OutboxMessage, OutboxStatus
from requests_app.partners import outbox
from requests_app.partners.credentials import encrypt
from requests_app.partners.handler import OTHER_IDENTIFIERS_KEY, REPAIRS_KEY
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory, partner_key
from tests.interop.lenient_peers import SHAPES, LenientPeer
from tests.lending.test_edelivery import scan_pdf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=sorted(SHAPES))
def peer(request, live_server):
    with LenientPeer(SHAPES[request.param], live_server.url) as peer:
        peer.library = LibraryFactory(symbol=request.param.upper(), agency_id_value=f"US-{request.param.upper()}",
                                      agency_id_type="ISIL", ill_system=peer.shape.system,
                                      iso18626_endpoint=peer.url, outgoing_secret=encrypt("our-key-at-the-peer"))
        peer.key = partner_key(peer.library)
        yield peer


@pytest.fixture
def ours():
    return MemberLibraryFactory(symbol="OURS", agency_id_type="ISIL", agency_id_value="US-OURS")


def act(request: IllRequest, action: str, **data) -> None:
    """Staff of the request's library perform ``action``; the outbox delivers what it writes."""
    staff = Actor.staff(StaffFactory(library=request.library))
    services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=staff, data=data)
    deliver()


def deliver() -> None:
    outbox.deliver_due()
    assert not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists(), list(
        OutboxMessage.objects.values_list("summary", "status", "last_error"))


def tell(peer: LenientPeer, body: bytes) -> None:
    code, confirmation = peer.post(body)
    assert (code, confirmation.header.message_status) == (200, m.MessageStatus.OK), confirmation.error_data
    deliver()


def status_of(request: IllRequest) -> str:
    request.refresh_from_db()
    return request.status


def repaired_events(request: IllRequest) -> list[str]:
    return [event.action for event in Event.objects.filter(request=request).order_by("pk")
            if event.data.get(REPAIRS_KEY)]


# We borrow from the peer ---------------------------------------------------------------------------

def our_request_to(peer: LenientPeer, ours, **citation) -> IllRequest:
    request = IllRequestFactory(library=ours, status=BorrowingStatus.SOURCING, requesting_agency_request_id="OURS-1",
                                **citation)
    rota.add_lender(request=request, lender=peer.library)
    rota.send_to_next_lender(request=request, actor=Actor.staff(StaffFactory(library=ours)))
    deliver()
    [sent] = peer.received
    assert isinstance(sent, m.Request) and sent.header.requesting_agency_request_id == "OURS-1"
    return IllRequest.objects.get(pk=request.pk)


def test_we_borrow_a_book_from_a_lenient_peer_to_the_end(peer, ours):
    request = our_request_to(peer, ours, title="The Hobbit", isbn="9780261102217")
    tell(peer, peer.supplying(request, m.Status.EXPECT_TO_SUPPLY, reason="RequestResponse"))
    assert status_of(request) == BorrowingStatus.EXPECTS_TO_SUPPLY

    act(request, "request_cancel")
    assert isinstance(peer.received[-1], m.RequestingAgencyMessage) and peer.received[-1].action is m.Action.CANCEL
    tell(peer, peer.supplying(request, m.Status.EXPECT_TO_SUPPLY, reason="CancelResponse", answer="N"))
    assert status_of(request) == BorrowingStatus.EXPECTS_TO_SUPPLY

    tell(peer, peer.supplying(request, m.Status.LOANED, due="2027-01-15"))
    assert status_of(request) == BorrowingStatus.SHIPPED
    assert str(request.due_date) == "2027-01-15"
    for action in ("receive", "notify_patron", "check_out", "check_in", "return_ship"):
        act(request, action)
    assert [getattr(message, "action", None) for message in peer.received[-2:]] == [
        m.Action.RECEIVED, m.Action.SHIPPED_RETURN]

    tell(peer, peer.supplying(request, m.Status.LOAN_COMPLETED))
    assert status_of(request) == BorrowingStatus.COMPLETED
    shape = peer.shape
    assert repaired_events(request) == [action for action, repaired in [
        ("lender_expects_to_supply", shape.empty_last_change),
        ("lender_refused_cancel", shape.empty_last_change or shape.cancel_response_without_status),
        ("lender_shipped", shape.empty_last_change or shape.date_sent_missing),
        ("lender_checked_in", shape.empty_last_change)] if repaired]


def test_we_borrow_a_copy_from_a_lenient_peer_to_the_end(peer, ours):
    request = our_request_to(peer, ours, format="article", service_type="Copy", title="Molecular structure",
                             container_title="Nature", issn="0028-0836")
    tell(peer, peer.supplying(request, m.Status.WILL_SUPPLY, reason="RequestResponse"))
    assert status_of(request) == BorrowingStatus.EXPECTS_TO_SUPPLY
    tell(peer, peer.supplying(request, m.Status.COPY_COMPLETED, url="https://peer.example.org/scan/1.pdf"))
    assert status_of(request) == BorrowingStatus.DELIVERED
    act(request, "complete")
    assert status_of(request) == BorrowingStatus.COMPLETED
    shape = peer.shape
    assert repaired_events(request) == [action for action, repaired in [
        ("lender_will_supply", shape.empty_last_change),
        ("lender_delivered_copy", shape.empty_last_change or shape.date_sent_missing)] if repaired]


# The peer borrows from us --------------------------------------------------------------------------

def their_request(peer: LenientPeer, ours, *, copy: bool) -> IllRequest:
    tell(peer, peer.request(ours, "PEER-REQ-1", copy=copy))
    request = IllRequest.objects.get(role="lending", partner=peer.library)
    created = request.events.get(action="create")
    assert {"code": "LCCN", "value": "2001012345"} in created.data[OTHER_IDENTIFIERS_KEY]
    assert request.oclc_number == "1827184"
    return request


def test_a_lenient_peer_borrows_a_book_from_us_to_the_end(peer, ours):
    request = their_request(peer, ours, copy=False)
    assert (request.status, request.isbn, request.format) == (LendingStatus.NEW, "9780261102217", "book")
    act(request, "print_pull_slip")
    act(request, "will_supply")
    act(request, "ship", due_date="2027-01-15")
    assert [message.status_info.status for message in peer.received] == [
        m.Status.EXPECT_TO_SUPPLY, m.Status.WILL_SUPPLY, m.Status.LOANED]

    tell(peer, peer.requesting(request, m.Action.RECEIVED))
    tell(peer, peer.requesting(request, m.Action.SHIPPED_RETURN))
    assert status_of(request) == LendingStatus.RETURN_SHIPPED
    act(request, "check_in")
    assert status_of(request) == LendingStatus.COMPLETED
    assert peer.received[-1].status_info.status is m.Status.LOAN_COMPLETED


def test_a_lenient_peer_borrows_a_copy_from_us_to_the_end(peer, ours):
    request = their_request(peer, ours, copy=True)
    assert (request.status, request.issn, request.format) == (LendingStatus.NEW, "0028-0836", "article")
    edelivery.deliver_copy(request=request, actor=Actor.staff(StaffFactory(library=ours)),
                           upload=SimpleUploadedFile("scan.pdf", scan_pdf()), base_url="https://ill.example.org/")
    deliver()
    delivered = peer.received[-1]
    assert delivered.status_info.status is m.Status.COPY_COMPLETED
    assert delivered.delivery_info.url.startswith("https://ill.example.org/")

    tell(peer, peer.requesting(request, m.Action.RECEIVED))
    act(request, "complete_copy")
    assert status_of(request) == LendingStatus.COMPLETED


def test_a_strict_partners_confirmation_with_an_empty_element_is_not_taken_for_an_answer(live_server, ours):
    with LenientPeer(SHAPES["crosslink"], live_server.url) as peer:
        peer.library = LibraryFactory(ill_system="other", iso18626_endpoint=peer.url,
                                      outgoing_secret=encrypt("our-key-at-the-peer"))
        request = IllRequestFactory(library=ours, status=BorrowingStatus.SOURCING, requesting_agency_request_id="O-2")
        rota.add_lender(request=request, lender=peer.library)
        rota.send_to_next_lender(request=request, actor=Actor.staff(StaffFactory(library=ours)))
        outbox.deliver_due()
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING
    assert "not a readable confirmation" in message.last_error
