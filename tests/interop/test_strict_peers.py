"""Full loan and copy lifecycles, both roles, with a peer that validates strictly against 1.2 and one against 2021-2.

Our installation runs on a live server (real HTTP, PostgreSQL); the peer runs on its own loopback port
(``strict_peer.StrictPeer``). Our outbox delivers to it as it would to any partner, in the version the
directory entry names; the peer refuses anything its schema does not accept, and so would make the
lifecycle stall.
"""

from __future__ import annotations

import datetime as dt
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from borrowing.models import PatronDownload
from borrowing.states import BorrowingStatus
from lending.services import answers, edelivery
from lending.states import LendingStatus
from requests_app import services
from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import IllRequest, OutboxMessage, OutboxStatus, Role
from requests_app.partners import outbox
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory, partner_key
from tests.interop.message_examples import supplying_agency_message
from tests.interop.strict_peer import StrictPeer
from tests.lending.test_edelivery import scan_pdf

pytestmark = pytest.mark.django_db(transaction=True)

OURS = m.AgencyId(type=m.TypedValue(value="ISIL"), value="US-OURS")
PEER = m.AgencyId(type=m.TypedValue(value="ISIL"), value="US-PEER")
Reason = m.ReasonForMessage


@pytest.fixture(params=[xml.VERSION_1_2, xml.VERSION_2021_2])
def peer(request, live_server, iso18626_schema_dir):
    with StrictPeer(request.param, iso18626_schema_dir, agency=PEER) as peer:
        peer.library = LibraryFactory(symbol="PEER", agency_id_type="ISIL", agency_id_value="US-PEER",
                                      iso18626_endpoint=peer.url, iso18626_version=request.param)
        peer.endpoint = f"{live_server.url}/iso18626"
        peer.key = partner_key(peer.library)
        yield peer


@pytest.fixture
def member():
    return MemberLibraryFactory(agency_id_type="ISIL", agency_id_value="US-OURS")


@pytest.fixture
def staff(member):
    return Actor.staff(StaffFactory(library=member))


def ok(confirmation: m.Confirmation) -> bool:
    return confirmation.header.message_status == m.MessageStatus.OK and not confirmation.error_data


def status_of(request: IllRequest) -> str:
    request.refresh_from_db()
    return request.status


def everything_delivered() -> bool:
    outbox.deliver_due()  # whatever the on-commit delivery did not send yet
    return set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DELIVERED}


def lending_request_for(request_id: str) -> IllRequest:
    return IllRequest.objects.get(role=Role.LENDING, requesting_agency_request_id=request_id)


# We borrow from the peer ----------------------------------------------------------------------


def test_we_borrow_a_loan_from_a_strict_peer_to_the_end(peer, member, staff):
    request = IllRequestFactory(library=member, partner=peer.library, status=BorrowingStatus.SOURCING,
                                service_type="Loan")
    services.perform(request=request, action="send_to_lender", actor=staff)
    ours = peer.last(m.Request)
    now = timezone.now()

    assert ok(peer.send(peer.answer(ours, m.Status.WILL_SUPPLY, reason=Reason.REQUEST_RESPONSE)))
    assert status_of(request) == BorrowingStatus.EXPECTS_TO_SUPPLY
    assert ok(peer.send(peer.answer(
        ours, m.Status.LOANED, reason=Reason.STATUS_CHANGE, due=now + dt.timedelta(days=28),
        delivery=m.DeliveryInfo(date_sent=now, item_ids=("39015012345678",),
                                delivery_method=m.TypedValue(value="Mail")),
        shipping=m.ShippingInfo(courier_name=m.TypedValue(value="UPS"), tracking_ids=("1Z999",)))))
    assert status_of(request) == BorrowingStatus.SHIPPED
    for action in ("receive", "notify_patron", "check_out", "check_in", "return_ship"):
        services.perform(request=request, action=action, actor=staff)
    assert ok(peer.send(peer.answer(ours, m.Status.LOAN_COMPLETED, reason=Reason.STATUS_CHANGE)))

    assert status_of(request) == BorrowingStatus.COMPLETED
    assert request.due_date == (now + dt.timedelta(days=28)).date()
    assert peer.actions() == [m.Action.RECEIVED, m.Action.SHIPPED_RETURN]
    assert peer.refused == []
    assert everything_delivered()


def test_we_borrow_a_copy_from_a_strict_peer_and_the_patron_gets_its_link(peer, member, staff):
    request = IllRequestFactory(library=member, partner=peer.library, status=BorrowingStatus.SOURCING,
                                service_type="Copy", format="article", title="On computable numbers",
                                container_title="Proc. London Math. Soc.")
    services.perform(request=request, action="send_to_lender", actor=staff)
    ours = peer.last(m.Request)
    assert ours.service_info.service_type == m.ServiceType.COPY

    link = "https://peer.example/copies/abc?token=1&x=2"
    assert ok(peer.send(peer.answer(ours, m.Status.COPY_COMPLETED, reason=Reason.REQUEST_RESPONSE,
                                    delivery=m.DeliveryInfo(date_sent=timezone.now(), url=link))))
    assert status_of(request) == BorrowingStatus.DELIVERED
    services.perform(request=request, action="complete", actor=staff)

    assert status_of(request) == BorrowingStatus.COMPLETED
    assert PatronDownload.objects.get(request=request).url == link
    assert peer.refused == []
    assert everything_delivered()


# The peer borrows from us -----------------------------------------------------------------------


def test_a_strict_peer_borrows_a_loan_from_us_to_the_end(peer, member, staff):
    assert ok(peer.send(peer.request(OURS, "PEER-LOAN-1", m.ServiceType.LOAN)))
    request = lending_request_for("PEER-LOAN-1")

    services.perform(request=request, action="print_pull_slip", actor=staff)
    services.perform(request=request, action="will_supply", actor=staff)
    answers.ship(request=request, actor=staff, tracking_number="1Z999AA10123456784", carrier="UPS",
                 item_id="39015012345678")
    loaned = peer.last(m.SupplyingAgencyMessage)
    assert ok(peer.send(peer.act(OURS, "PEER-LOAN-1", m.Action.RECEIVED)))
    assert ok(peer.send(peer.act(OURS, "PEER-LOAN-1", m.Action.SHIPPED_RETURN)))
    assert status_of(request) == LendingStatus.RETURN_SHIPPED
    services.perform(request=request, action="check_in", actor=staff)

    assert status_of(request) == LendingStatus.COMPLETED
    assert peer.statuses() == [m.Status.EXPECT_TO_SUPPLY, m.Status.WILL_SUPPLY, m.Status.LOANED,
                               m.Status.LOAN_COMPLETED]
    assert loaned.status_info.due_date is not None
    assert loaned.delivery_info.item_ids == ("39015012345678",)
    assert loaned.shipping_info.tracking_ids == ("1Z999AA10123456784",)
    assert peer.refused == []
    assert everything_delivered()


def test_a_strict_peer_borrows_a_copy_from_us_and_gets_its_link(peer, member, staff, live_server):
    assert ok(peer.send(peer.request(OURS, "PEER-COPY-1", m.ServiceType.COPY)))
    request = lending_request_for("PEER-COPY-1")

    services.perform(request=request, action="will_supply", actor=staff)
    edelivery.deliver_copy(request=request, actor=staff, upload=SimpleUploadedFile("scan.pdf", scan_pdf()),
                           base_url=live_server.url + "/")
    delivered = peer.last(m.SupplyingAgencyMessage)
    assert ok(peer.send(peer.act(OURS, "PEER-COPY-1", m.Action.RECEIVED)))
    services.perform(request=request, action="complete_copy", actor=staff)

    assert status_of(request) == LendingStatus.COMPLETED
    assert delivered.status_info.status == m.Status.COPY_COMPLETED
    assert delivered.delivery_info.url.startswith(live_server.url)
    with urllib.request.urlopen(delivered.delivery_info.url, timeout=30) as download:
        assert download.read().startswith(b"%PDF")
    assert peer.refused == []
    assert everything_delivered()


# The peer is strict ---------------------------------------------------------------------------


def test_a_strict_1_2_peer_refuses_2021_elements_under_the_1_2_label(iso18626_schema_dir):
    with StrictPeer(xml.VERSION_1_2, iso18626_schema_dir, agency=PEER) as peer:
        body = xml.encode(supplying_agency_message(m.Status.LOANED), version="2021-2").replace(
            b'ill:version="2021-2"', b'ill:version="1.2"')
        answer = urllib.request.urlopen(urllib.request.Request(peer.url, data=body, method="POST"), timeout=30).read()

    confirmation = xml.decode(answer)
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert confirmation.error_data[0].error_type == m.ErrorType.BADLY_FORMED_MESSAGE
    assert len(peer.refused) == 1 and peer.received == []


def test_our_messages_are_refused_by_a_strict_peer_whose_directory_entry_names_the_other_version(peer, member, staff):
    other = xml.VERSION_2021_2 if peer.version == xml.VERSION_1_2 else xml.VERSION_1_2
    type(peer.library).objects.filter(pk=peer.library.pk).update(iso18626_version=other)
    request = IllRequestFactory(library=member, partner=peer.library, status=BorrowingStatus.SOURCING)

    services.perform(request=request, action="send_to_lender", actor=staff)

    sent = OutboxMessage.objects.get(request=request)
    assert sent.status == OutboxStatus.FAILED
    assert "ERROR" in sent.last_error
    assert len(peer.refused) == 1 and peer.received == []
