"""Conformance of ``POST /iso18626``: each status and action moves the request as DOMAIN.md says."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import Event, IllRequest, InboundMessage, Note, OutboxMessage
from requests_app.partners.keys import issue_api_key
from requests_app.partners.outgoing import CONDITION_NOTE_PREFIX, agency_id
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    sender_credentials,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def post(client, message, **extra) -> m.Confirmation:
    """POST ``message`` as its sender would, with one of its keys (``extra`` may say otherwise)."""
    response = client.post("/iso18626", data=xml.encode(message), content_type="application/xml",
                           **{**sender_credentials(message), **extra})
    assert response["Content-Type"].startswith("application/xml")
    return response.status_code, xml.decode(response.content)


def post_raw(client, body: bytes):
    response = client.post("/iso18626", data=body, content_type="application/xml")
    assert response.status_code == 200
    return xml.decode(response.content)


def supplying_message(request: IllRequest, status: m.Status, *, reason=m.ReasonForMessage.STATUS_CHANGE,
                      timestamp=T0, note=None, answer=None, due=None, reason_unfilled=None, conditions=()):
    return m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.partner), requesting_agency_id=agency_id(request.library),
            timestamp=timestamp, requesting_agency_request_id=request.requesting_agency_request_id,
            supplying_agency_request_id="LENDER-9"),
        message_info=m.MessageInfo(reason_for_message=reason, note=note, answer_yes_no=answer,
                                   reason_unfilled=m.TypedValue(value=reason_unfilled) if reason_unfilled else None),
        status_info=m.StatusInfo(status=status, due_date=due, last_change=timestamp),
        delivery_info=m.DeliveryInfo(date_sent=timestamp, loan_conditions=tuple(
            m.TypedValue(value=c) for c in conditions)) if conditions else None,
    )


def requesting_message(request: IllRequest, action: m.Action, *, timestamp=T0, note=None):
    return m.RequestingAgencyMessage(
        header=m.RequestingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.library), requesting_agency_id=agency_id(request.partner),
            timestamp=timestamp, requesting_agency_request_id=request.requesting_agency_request_id,
            supplying_agency_request_id=request.supplying_agency_request_id or None),
        action=action, note=note,
    )


def assert_ok(confirmation):
    assert confirmation.header.message_status == m.MessageStatus.OK, confirmation.error_data


def assert_error(confirmation, error_type: m.ErrorType):
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert [e.error_type for e in confirmation.error_data] == [error_type]


# The borrowing side: a lender's supplying agency message drives our request ------------------

SUPPLIER_STATUS_MOVES = [
    (BorrowingStatus.SENT, m.Status.EXPECT_TO_SUPPLY, BorrowingStatus.EXPECTS_TO_SUPPLY),
    (BorrowingStatus.SENT, m.Status.WILL_SUPPLY, BorrowingStatus.EXPECTS_TO_SUPPLY),
    (BorrowingStatus.EXPECTS_TO_SUPPLY, m.Status.LOANED, BorrowingStatus.SHIPPED),
    (BorrowingStatus.SENT, m.Status.COPY_COMPLETED, BorrowingStatus.DELIVERED),
    (BorrowingStatus.SENT, m.Status.UNFILLED, BorrowingStatus.SOURCING),
    (BorrowingStatus.SENT, m.Status.RETRY_POSSIBLE, BorrowingStatus.SOURCING),
    (BorrowingStatus.CHECKED_OUT, m.Status.RECALLED, BorrowingStatus.RECALLED),
    (BorrowingStatus.CHECKED_OUT, m.Status.OVERDUE, BorrowingStatus.OVERDUE),
    (BorrowingStatus.RETURN_SHIPPED, m.Status.LOAN_COMPLETED, BorrowingStatus.COMPLETED),
    (BorrowingStatus.RETURN_SHIPPED, m.Status.COMPLETED_WITHOUT_RETURN, BorrowingStatus.COMPLETED),
    (BorrowingStatus.CANCEL_PENDING, m.Status.CANCELLED, BorrowingStatus.CANCELLED),
    (BorrowingStatus.SENT, m.Status.REQUEST_RECEIVED, BorrowingStatus.SENT),
    (BorrowingStatus.CHECKED_OUT, m.Status.HOLD_RETURN, BorrowingStatus.CHECKED_OUT),
    (BorrowingStatus.CHECKED_OUT, m.Status.RELEASE_HOLD_RETURN, BorrowingStatus.CHECKED_OUT),
]


@pytest.mark.parametrize(("before", "status", "after"), SUPPLIER_STATUS_MOVES,
                         ids=[f"{s}-{b}" for b, s, _ in SUPPLIER_STATUS_MOVES])
def test_each_lender_status_moves_our_borrowing_request_as_the_domain_says(client, before, status, after):
    request = IllRequestFactory(status=before)
    code, confirmation = post(client, supplying_message(request, status))
    assert code == 200
    assert_ok(confirmation)
    assert confirmation.reason_for_message == m.ReasonForMessage.STATUS_CHANGE
    request.refresh_from_db()
    assert request.status == after
    assert request.supplying_agency_request_id == "LENDER-9"


def test_a_loaned_message_sets_the_lenders_due_date(client):
    request = IllRequestFactory(status=BorrowingStatus.EXPECTS_TO_SUPPLY)
    due = dt.datetime(2026, 12, 24, 0, 0, tzinfo=dt.UTC)
    post(client, supplying_message(request, m.Status.LOANED, due=due))
    request.refresh_from_db()
    assert request.due_date == dt.date(2026, 12, 24)


def test_conditions_in_a_will_supply_answer_make_the_request_conditional(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    _, confirmation = post(client, supplying_message(request, m.Status.WILL_SUPPLY, conditions=["LibraryUseOnly"],
                                                     note="Library use only"))
    assert_ok(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CONDITIONAL


def test_conditions_in_a_reshare_style_note_are_understood(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    post(client, supplying_message(request, m.Status.EXPECT_TO_SUPPLY, reason=m.ReasonForMessage.NOTIFICATION,
                                   note=f"{CONDITION_NOTE_PREFIX} A fee of 10 USD"))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CONDITIONAL


def test_an_unfilled_answer_keeps_the_lenders_reason_in_the_history(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    post(client, supplying_message(request, m.Status.UNFILLED, reason=m.ReasonForMessage.REQUEST_RESPONSE,
                                   reason_unfilled="NotHeld"))
    event = Event.objects.get(request=request, action="lender_unfilled")
    assert event.data["reason_unfilled"] == "NotHeld"
    assert event.source == "iso18626"


def test_a_granted_renewal_extends_the_due_date_and_counts_the_renewal(client):
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, due_date=dt.date(2026, 12, 1))
    due = dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    _, confirmation = post(client, supplying_message(request, m.Status.LOANED, reason=m.ReasonForMessage.RENEW_RESPONSE,
                                                     answer=m.YesNo.Y, due=due))
    assert_ok(confirmation)
    request.refresh_from_db()
    assert (request.status, request.due_date, request.renewal_count) == (BorrowingStatus.CHECKED_OUT, dt.date(2027, 1,
                                                                                                              5), 1)


def test_a_refused_cancel_puts_the_request_back_with_the_lender(client):
    request = IllRequestFactory(status=BorrowingStatus.CANCEL_PENDING)
    post(client, supplying_message(request, m.Status.WILL_SUPPLY, reason=m.ReasonForMessage.CANCEL_RESPONSE,
                                   answer=m.YesNo.N))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.EXPECTS_TO_SUPPLY


def test_a_status_that_makes_no_sense_now_is_refused_and_changes_nothing(client):
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    _, confirmation = post(client, supplying_message(request, m.Status.LOANED))
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUBMITTED
    assert not Event.objects.filter(request=request).exists()


def test_a_message_about_a_request_we_do_not_know_is_refused(client):
    request = IllRequestFactory.build(status=BorrowingStatus.SENT, requesting_agency_request_id="NOPE-1",
                                      library=MemberLibraryFactory(), partner=LibraryFactory())
    _, confirmation = post(client, supplying_message(request, m.Status.LOANED))
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)


def test_a_library_that_is_not_the_current_lender_cannot_move_our_request(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    impostor = LibraryFactory()
    message = supplying_message(request, m.Status.LOANED)
    message = m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(
            supplying_agency_id=agency_id(impostor), requesting_agency_id=message.header.requesting_agency_id,
            timestamp=T0, requesting_agency_request_id=request.requesting_agency_request_id),
        message_info=message.message_info, status_info=message.status_info)
    _, confirmation = post(client, message)
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SENT


def test_the_same_message_three_times_acts_once_and_is_answered_the_same_each_time(client):
    request = IllRequestFactory(status=BorrowingStatus.EXPECTS_TO_SUPPLY)
    message = supplying_message(request, m.Status.LOANED)
    answers = [post(client, message)[1] for _ in range(3)]
    assert all(a.header.message_status == m.MessageStatus.OK for a in answers)
    assert len({a.header.timestamp for a in answers}) == 1
    assert Event.objects.filter(request=request, action="lender_shipped").count() == 1
    assert InboundMessage.objects.count() == 1


# The lending side: a borrower's requesting agency message drives our request -----------------

REQUESTER_ACTION_MOVES = [
    ("shipped", m.Action.RECEIVED, "shipped", "borrower_received"),
    ("shipped", m.Action.SHIPPED_RETURN, "return_shipped", "borrower_return_shipped"),
    ("overdue", m.Action.SHIPPED_RETURN, "return_shipped", "borrower_return_shipped"),
    ("shipped", m.Action.RENEW, "shipped", "borrower_renewal_request"),
    ("new", m.Action.CANCEL, "cancelled", "borrower_cancelled"),
    ("awaiting_picking", m.Action.CANCEL, "cancelled", "borrower_cancelled"),
    ("conditional", m.Action.CANCEL, "cancelled", "borrower_rejected_conditions"),
    ("conditional", m.Action.NOTIFICATION, "awaiting_picking", "borrower_accepted_conditions"),
]


@pytest.mark.parametrize(("before", "action", "after", "logged"), REQUESTER_ACTION_MOVES,
                         ids=[f"{a}-{b}" for b, a, _, _ in REQUESTER_ACTION_MOVES])
def test_each_borrower_action_moves_our_lending_request_as_the_domain_says(client, before, action, after, logged):
    request = LendingRequestFactory(status=before)
    code, confirmation = post(client, requesting_message(request, action))
    assert code == 200
    assert_ok(confirmation)
    assert confirmation.action == action
    request.refresh_from_db()
    assert request.status == after
    assert Event.objects.filter(request=request, action=logged, source="iso18626").count() == 1


def test_a_cancel_we_accept_is_answered_with_a_cancel_response_yes(client):
    partner = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
    post(client, requesting_message(request, m.Action.CANCEL))
    reply = OutboxMessage.objects.get(request=request)
    assert reply.payload["message_info"] == {"reason_for_message": "CancelResponse", "answer_yes_no": "Y"}
    assert reply.payload["status_info"]["status"] == "Cancelled"


def test_a_cancel_after_shipping_is_answered_no_and_the_loan_stays_out(client):
    partner = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    request = LendingRequestFactory(status=LendingStatus.SHIPPED, partner=partner)
    _, confirmation = post(client, requesting_message(request, m.Action.CANCEL))
    assert_ok(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SHIPPED
    reply = OutboxMessage.objects.get(request=request)
    assert reply.payload["message_info"]["answer_yes_no"] == "N"


def test_a_status_request_is_answered_with_our_current_status(client):
    partner = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    request = LendingRequestFactory(status=LendingStatus.AWAITING_SHIPPING, partner=partner)
    post(client, requesting_message(request, m.Action.STATUS_REQUEST))
    reply = OutboxMessage.objects.get(request=request)
    assert reply.payload["message_info"]["reason_for_message"] == "StatusRequestResponse"
    assert reply.payload["status_info"]["status"] == "WillSupply"


def test_a_notification_with_a_note_reaches_staff_as_a_partner_note(client):
    request = LendingRequestFactory(status=LendingStatus.SHIPPED)
    post(client, requesting_message(request, m.Action.NOTIFICATION, note="Box was damaged in transit"))
    note = Note.objects.get(request=request)
    assert (note.text, note.visibility, note.author_library) == ("Box was damaged in transit", "partner",
                                                                 request.partner)


def test_a_borrower_cannot_act_on_another_borrowers_request(client):
    request = LendingRequestFactory(status=LendingStatus.SHIPPED)
    stranger = LibraryFactory()
    message = requesting_message(request, m.Action.SHIPPED_RETURN)
    message = m.RequestingAgencyMessage(
        header=m.RequestingAgencyMessageHeader(
            supplying_agency_id=message.header.supplying_agency_id, requesting_agency_id=agency_id(stranger),
            timestamp=T0, requesting_agency_request_id=request.requesting_agency_request_id),
        action=m.Action.SHIPPED_RETURN)
    _, confirmation = post(client, message)
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SHIPPED


# A partner's request to borrow from us ------------------------------------------------------

def iso_request(library, partner, rid="NFC-100", **bib):
    return m.Request(
        header=m.RequestHeader(supplying_agency_id=agency_id(library), requesting_agency_id=agency_id(partner),
                               timestamp=T0, requesting_agency_request_id=rid),
        bibliographic_info=m.BibliographicInfo(
            title=bib.get("title", "The Structure of Scientific Revolutions"), author="Kuhn, Thomas S.",
            bibliographic_item_ids=(m.BibliographicItemId(code=m.TypedValue(value="ISBN"),
                                                          value=bib.get("isbn", "9780226458083")),)),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW),
    )


def test_a_partners_request_creates_a_new_lending_request(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    _, confirmation = post(client, iso_request(library, partner))
    assert_ok(confirmation)
    request = IllRequest.objects.get(role="lending")
    assert (request.library, request.partner, request.status) == (library, partner, LendingStatus.NEW)
    assert (request.title, request.isbn, request.requesting_agency_request_id) == (
        "The Structure of Scientific Revolutions", "9780226458083", "NFC-100")


def test_a_1_2_request_without_service_info_creates_a_request_for_a_copy_or_a_loan(client):

    library, partner = MemberLibraryFactory(), LibraryFactory()
    message = iso_request(library, partner)
    root = etree.fromstring(xml.encode(message, version="1.2"))
    request_element = root.find(f"{{{xml.NS}}}request")
    request_element.remove(request_element.find(f"{{{xml.NS}}}serviceInfo"))
    response = client.post("/iso18626", data=etree.tostring(root), content_type="application/xml",
                           **sender_credentials(message))
    assert_ok(xml.decode(response.content))
    request = IllRequest.objects.get(library=library)
    assert (request.status, request.service_type) == (LendingStatus.NEW, m.ServiceType.COPY_OR_LOAN.value)


def test_a_request_with_a_bad_isbn_is_refused_and_creates_nothing(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    _, confirmation = post(client, iso_request(library, partner, isbn="9780226458084"))
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    assert "isbn" in confirmation.error_data[0].error_value
    assert not IllRequest.objects.exists()


def test_a_request_for_a_library_not_served_here_is_refused(client):
    partner = LibraryFactory()
    _, confirmation = post(client, iso_request(LibraryFactory(), partner))
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    assert not IllRequest.objects.exists()


def test_a_message_from_an_unknown_agency_is_refused(client):
    library = MemberLibraryFactory()
    stranger = LibraryFactory.build(symbol="ZZZ", agency_id_value="ZZZ")
    _, confirmation = post(client, iso_request(library, stranger))
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    assert "ZZZ" in confirmation.error_data[0].error_value


def test_a_message_from_an_inactive_partner_is_refused(client):
    library, partner = MemberLibraryFactory(), LibraryFactory(active=False)
    _, confirmation = post(client, iso_request(library, partner))
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    assert not IllRequest.objects.exists()


def test_a_partner_is_refused_without_a_key_and_accepted_with_it(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    code, confirmation = post(client, iso_request(library, partner), HTTP_AUTHORIZATION="")
    assert code == 403
    assert_error(confirmation, m.ErrorType.UNRECOGNISED_DATA_VALUE)
    _key, raw = issue_api_key(library=partner, name="ILL system")
    code, confirmation = post(client, iso_request(library, partner), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert code == 200
    assert_ok(confirmation)


def test_a_partner_with_an_ip_allow_list_is_refused_from_elsewhere(client):
    library, partner = MemberLibraryFactory(), LibraryFactory(ip_allowlist="192.0.2.0/24")
    code, confirmation = post(client, iso_request(library, partner))
    assert code == 403
    code, confirmation = post(client, iso_request(library, partner), REMOTE_ADDR="192.0.2.15")
    assert_ok(confirmation)


# Bad input -------------------------------------------------------------------------------

def test_malformed_xml_is_answered_badly_formed(client):
    assert_error(post_raw(client, b"<ISO18626Message><request>"), m.ErrorType.BADLY_FORMED_MESSAGE)


def test_a_document_in_the_wrong_namespace_is_answered_badly_formed(client):
    body = xml.encode(iso_request(MemberLibraryFactory(), LibraryFactory())).replace(
        b"http://illtransactions.org/2013/iso18626", b"http://example.org/not-iso18626")
    assert_error(post_raw(client, body), m.ErrorType.BADLY_FORMED_MESSAGE)
    assert not IllRequest.objects.exists()


def test_an_oversized_body_is_answered_badly_formed(client, settings):
    settings.ISO18626_MAX_BODY_BYTES = 2000
    body = xml.encode(iso_request(MemberLibraryFactory(), LibraryFactory(), title="x" * 5000))
    assert_error(post_raw(client, body), m.ErrorType.BADLY_FORMED_MESSAGE)
    assert not IllRequest.objects.exists()


def test_an_xxe_payload_is_answered_badly_formed_without_reading_the_file(client):
    body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<ill:ISO18626Message xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">'
            b"<ill:request>&x;</ill:request></ill:ISO18626Message>")
    response = client.post("/iso18626", data=body, content_type="application/xml")
    assert response.status_code == 200
    assert b"root:" not in response.content
    assert_error(xml.decode(response.content), m.ErrorType.BADLY_FORMED_MESSAGE)


def test_an_unknown_action_is_answered_unsupported_action_type(client):
    request = LendingRequestFactory(status=LendingStatus.SHIPPED)
    body = xml.encode(requesting_message(request, m.Action.RECEIVED)).replace(b">Received<", b">Teleported<")
    assert_error(post_raw(client, body), m.ErrorType.UNSUPPORTED_ACTION_TYPE)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SHIPPED


def test_an_unknown_status_is_answered_unrecognised_data_value(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    body = xml.encode(supplying_message(request, m.Status.LOANED)).replace(b">Loaned<", b">Vanished<")
    assert_error(post_raw(client, body), m.ErrorType.UNRECOGNISED_DATA_VALUE)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SENT


def test_an_unknown_reason_for_message_is_answered_unsupported_reason(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    body = xml.encode(supplying_message(request, m.Status.LOANED)).replace(b">StatusChange<", b">Gossip<")
    assert_error(post_raw(client, body), m.ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE)


def test_get_is_not_allowed(client):
    assert client.get("/iso18626").status_code == 405


# Each peer is answered in the form of the version it sent ------------------------------------

@pytest.mark.parametrize("version", ["1.0", "1.2", "2021-2"])
def test_the_confirmation_is_in_the_form_of_the_version_the_peer_sent(client, version, schema_errors):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    message = supplying_message(request, m.Status.WILL_SUPPLY)
    response = client.post("/iso18626", data=xml.encode(message, version=version), content_type="application/xml",
                           **sender_credentials(message))

    assert xml.decode_envelope(response.content).version == version
    assert schema_errors(response.content) == []
    assert_ok(xml.decode(response.content))


def test_a_peer_naming_a_version_we_do_not_write_is_answered_in_1_2(client, schema_errors):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    message = supplying_message(request, m.Status.WILL_SUPPLY)
    body = xml.encode(message, version="2021-2").replace(b'ill:version="2021-2"', b'ill:version="9.9"')
    response = client.post("/iso18626", data=body, content_type="application/xml", **sender_credentials(message))

    assert response.status_code == 200
    assert xml.decode_envelope(response.content).version == "1.2"
    assert schema_errors(response.content) == []
