"""Lenient intake: each well-known defect of peers' messages, repaired for a lenient partner, refused for a strict one.

Every message here is XML as a peer writes it, POSTed to ``/iso18626`` with the partner's key. A lenient
partner's message is repaired, acts as a valid one would, and the repair is kept on its inbound record
and its event; a strict partner's is refused as before, with the element and the defect named and a
word that the partner can be set lenient. Nothing else is repaired.
"""

from __future__ import annotations

import datetime as dt

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.iso18626 import messages as m
from requests_app.iso18626 import repairs, xml
from requests_app.models import Event, IllRequest, IllSystem, InboundMessage
from requests_app.partners.handler import REPAIRS_KEY
from requests_app.partners.outgoing import agency_id
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, partner_key

pytestmark = pytest.mark.django_db

NS = xml.NS
T0 = "2026-11-02T10:00:00Z"
STATUS_CHANGE = "<messageInfo><reasonForMessage>StatusChange</reasonForMessage></messageInfo>"


def agency(library) -> str:
    agency = agency_id(library)
    return (f"<agencyIdType>{agency.type.value}</agencyIdType><agencyIdValue>{agency.value}</agencyIdValue>")


def supplying(request: IllRequest, message_info: str = STATUS_CHANGE,
              status_info: str = f"<statusInfo><status>Loaned</status><lastChange>{T0}</lastChange></statusInfo>",
              extra: str = "", version: str = "1.2") -> bytes:
    """A lender's supplyingAgencyMessage about our borrowing ``request``, as a peer writes it."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="{version}"><supplyingAgencyMessage>
  <header><supplyingAgencyId>{agency(request.partner)}</supplyingAgencyId>
    <requestingAgencyId>{agency(request.library)}</requestingAgencyId>
    <timestamp>{T0}</timestamp><requestingAgencyRequestId>{request.requesting_agency_request_id}</requestingAgencyRequestId>
    <supplyingAgencyRequestId>LENDER-9</supplyingAgencyRequestId></header>
  {message_info}{status_info}{extra}
</supplyingAgencyMessage></ISO18626Message>""".encode()


def requesting(request: IllRequest, action: str = "Received", version: str = "1.2", note: str = "") -> bytes:
    """A borrower's requestingAgencyMessage about our lending ``request``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="{version}"><requestingAgencyMessage>
  <header><supplyingAgencyId>{agency(request.library)}</supplyingAgencyId>
    <requestingAgencyId>{agency(request.partner)}</requestingAgencyId>
    <timestamp>{T0}</timestamp><requestingAgencyRequestId>{request.requesting_agency_request_id}</requestingAgencyRequestId>
  </header><action>{action}</action>{note}
</requestingAgencyMessage></ISO18626Message>""".encode()


def post(client, body: bytes, sender, *, key: str | None = None):
    key = partner_key(sender) if key is None else key
    response = client.post("/iso18626", data=body, content_type="application/xml",
                           **({"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}))
    assert response["Content-Type"].startswith("application/xml")
    return response.status_code, xml.decode(response.content)


def borrowing_request(status: str, *, lenient: bool, **lender) -> IllRequest:
    lender = LibraryFactory(ill_system=IllSystem.ALMA if lenient else IllSystem.OTHER, **lender)
    return IllRequestFactory(status=status, partner=lender, requesting_agency_request_id="B-1")


def assert_ok(confirmation) -> None:
    assert confirmation.header.message_status == m.MessageStatus.OK, confirmation.error_data


def refusal(confirmation) -> str:
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    [error] = confirmation.error_data
    assert error.error_type == m.ErrorType.BADLY_FORMED_MESSAGE
    return error.error_value


def repairs_of(request: IllRequest) -> list[str]:
    event = request.events.exclude(data__iso18626_repairs=None).get()
    return [repair["text"] for repair in event.data[REPAIRS_KEY]]


# An empty lastChange -----------------------------------------------------------------------------

EMPTY_LAST_CHANGE = "<statusInfo><status>Loaned</status><lastChange/></statusInfo>"


def test_an_empty_last_change_from_a_lenient_lender_is_taken_as_the_messages_timestamp(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True)
    _, confirmation = post(client, supplying(request, status_info=EMPTY_LAST_CHANGE), request.partner)
    assert_ok(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SHIPPED
    assert repairs_of(request) == [f"“lastChange” in statusInfo was empty: taken as the message's timestamp, {T0}"]
    assert InboundMessage.objects.get().repairs[0]["element"] == "supplyingAgencyMessage/statusInfo/lastChange"


def test_an_empty_last_change_from_a_strict_lender_is_refused_naming_the_element(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=False)
    _, confirmation = post(client, supplying(request, status_info=EMPTY_LAST_CHANGE), request.partner)
    value = refusal(confirmation)
    assert value.startswith("supplyingAgencyMessage/statusInfo/lastChange: '' is not an xs:dateTime.")
    assert "lenient intake" in value
    request.refresh_from_db()
    assert request.status == BorrowingStatus.EXPECTS_TO_SUPPLY
    assert not InboundMessage.objects.exists()


# A CancelResponse without statusInfo ------------------------------------------------------------

def cancel_response(answer: str) -> str:
    return (f"<messageInfo><reasonForMessage>CancelResponse</reasonForMessage><answerYesNo>{answer}</answerYesNo>"
            "</messageInfo>")


def test_a_cancel_response_yes_without_status_info_from_a_lenient_lender_cancels(client):
    request = borrowing_request(BorrowingStatus.CANCEL_PENDING, lenient=True)
    _, confirmation = post(client, supplying(request, cancel_response("Y"), status_info=""), request.partner)
    assert_ok(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED
    assert repairs_of(request) == ["“statusInfo” was missing from a CancelResponse: status Cancelled (the answer is "
                                   "Y), last changed at the message's timestamp"]


def test_a_cancel_response_no_without_status_info_takes_the_status_the_lender_last_gave(client):
    request = borrowing_request(BorrowingStatus.CANCEL_PENDING, lenient=True)
    Event.objects.create(request=request, action="lender_will_supply", actor_kind="partner",
                         actor_library=request.partner, data={"iso18626_status": "WillSupply"},
                         created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    _, confirmation = post(client, supplying(request, cancel_response("N"), status_info=""), request.partner)
    assert_ok(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.EXPECTS_TO_SUPPLY
    refused = request.events.get(action="lender_refused_cancel")
    assert refused.data["iso18626_status"] == "WillSupply"
    assert "status WillSupply (the answer is N: the status the request has now)" in refused.data[REPAIRS_KEY][0]["text"]


def test_a_cancel_response_without_status_info_from_a_strict_lender_is_refused(client):
    request = borrowing_request(BorrowingStatus.CANCEL_PENDING, lenient=False)
    _, confirmation = post(client, supplying(request, cancel_response("Y"), status_info=""), request.partner)
    value = refusal(confirmation)
    assert value.startswith("supplyingAgencyMessage/statusInfo is missing.")
    assert "lenient intake" in value
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCEL_PENDING


def test_a_cancel_response_no_without_status_info_from_a_strict_lender_is_refused_with_the_word_on_leniency(client):
    request = borrowing_request(BorrowingStatus.CANCEL_PENDING, lenient=False)
    _, confirmation = post(client, supplying(request, cancel_response("N"), status_info=""), request.partner)
    assert "lenient intake" in refusal(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCEL_PENDING


def test_a_cancel_response_without_an_answer_or_status_info_stays_refused_for_a_lenient_lender(client):
    request = borrowing_request(BorrowingStatus.CANCEL_PENDING, lenient=True)
    body = supplying(request, "<messageInfo><reasonForMessage>CancelResponse</reasonForMessage></messageInfo>",
                     status_info="")
    _, confirmation = post(client, body, request.partner)
    assert refusal(confirmation) == "supplyingAgencyMessage/statusInfo is missing"
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCEL_PENDING


# deliveryInfo without dateSent ----------------------------------------------------------------------

COPY_COMPLETED = f"<statusInfo><status>CopyCompleted</status><lastChange>{T0}</lastChange></statusInfo>"
DELIVERY_WITHOUT_DATE = "<deliveryInfo><URL>https://lender.example/scan/1</URL></deliveryInfo>"


def test_delivery_info_without_date_sent_from_a_lenient_lender_is_dated_by_the_message(client):
    request = borrowing_request(BorrowingStatus.SENT, lenient=True)
    _, confirmation = post(client, supplying(request, status_info=COPY_COMPLETED, extra=DELIVERY_WITHOUT_DATE),
                           request.partner)
    assert_ok(confirmation)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.DELIVERED
    assert repairs_of(request) == [f"“dateSent” in deliveryInfo was missing: taken as the message's timestamp, {T0}"]


def test_delivery_info_without_date_sent_from_a_strict_lender_is_refused(client):
    request = borrowing_request(BorrowingStatus.SENT, lenient=False)
    _, confirmation = post(client, supplying(request, status_info=COPY_COMPLETED, extra=DELIVERY_WITHOUT_DATE),
                           request.partner)
    assert refusal(confirmation).startswith("supplyingAgencyMessage/deliveryInfo/dateSent is missing.")
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SENT


# Version labels ------------------------------------------------------------------------------------

def test_an_old_version_label_needs_no_leniency_and_records_no_repair(client):
    request = LendingRequestFactory(status=LendingStatus.SHIPPED)
    response = client.post("/iso18626", data=requesting(request, version="1.0"), content_type="application/xml",
                           HTTP_AUTHORIZATION=f"Bearer {partner_key(request.partner)}")
    assert_ok(xml.decode(response.content))
    assert InboundMessage.objects.get().repairs == []


# Empty optional elements ------------------------------------------------------------------------------

def test_empty_optional_elements_from_a_lenient_lender_are_left_out(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True)
    body = supplying(request, "<messageInfo><reasonForMessage>StatusChange</reasonForMessage><note/>"
                              "<reasonUnfilled/></messageInfo>",
                     "<statusInfo><status>Loaned</status><dueDate/><lastChange/></statusInfo>", "<shippingInfo/>")
    _, confirmation = post(client, body, request.partner)
    assert_ok(confirmation)
    assert repairs_of(request) == [
        "“note” in messageInfo was empty: left out", "“reasonUnfilled” in messageInfo was empty: left out",
        "“dueDate” in statusInfo was empty: left out", "“shippingInfo” was empty: left out",
        f"“lastChange” in statusInfo was empty: taken as the message's timestamp, {T0}"]


def test_an_empty_required_element_with_no_safe_value_stays_refused_for_a_lenient_lender(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True)
    body = supplying(request, status_info="<statusInfo><status/><lastChange/></statusInfo>")
    _, confirmation = post(client, body, request.partner)
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert confirmation.error_data[0].error_type == m.ErrorType.UNRECOGNISED_DATA_VALUE
    assert "statusInfo/status" in confirmation.error_data[0].error_value
    request.refresh_from_db()
    assert request.status == BorrowingStatus.EXPECTS_TO_SUPPLY


# Leniency is the partner's, not whoever names it ----------------------------------------------------

def test_a_message_naming_a_lenient_partner_without_its_key_is_refused_and_changes_nothing(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True)
    code, confirmation = post(client, supplying(request, status_info=EMPTY_LAST_CHANGE), request.partner, key="")
    assert code == 403
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    request.refresh_from_db()
    assert request.status == BorrowingStatus.EXPECTS_TO_SUPPLY
    assert not InboundMessage.objects.exists()


def test_staff_can_set_a_partner_of_a_lenient_system_strict(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True, lenient_intake=False)
    _, confirmation = post(client, supplying(request, status_info=EMPTY_LAST_CHANGE), request.partner)
    assert "lenient intake" in refusal(confirmation)


def test_staff_can_set_a_partner_of_an_unknown_system_lenient(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=False, lenient_intake=True)
    _, confirmation = post(client, supplying(request, status_info=EMPTY_LAST_CHANGE), request.partner)
    assert_ok(confirmation)


def test_a_valid_message_from_a_lenient_partner_records_no_repair(client):
    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True)
    _, confirmation = post(client, supplying(request), request.partner)
    assert_ok(confirmation)
    assert InboundMessage.objects.get().repairs == []
    assert REPAIRS_KEY not in request.events.get().data


def test_a_partners_request_with_an_empty_element_keeps_the_repair_on_its_intake_event(client):
    library, partner = MemberLibraryFactory(), LibraryFactory(ill_system=IllSystem.CROSSLINK)
    body = f"""<?xml version="1.0"?><ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2"><request>
<header><supplyingAgencyId>{agency(library)}</supplyingAgencyId><requestingAgencyId>{agency(partner)}</requestingAgencyId>
<timestamp>{T0}</timestamp><requestingAgencyRequestId>R-7</requestingAgencyRequestId></header>
<bibliographicInfo><title>Braiding Sweetgrass</title><author/>
<bibliographicItemId/></bibliographicInfo>
<serviceInfo><serviceType>Loan</serviceType><needBeforeDate/></serviceInfo></request></ISO18626Message>""".encode()
    _, confirmation = post(client, body, partner)
    assert_ok(confirmation)
    created = IllRequest.objects.get(role="lending").events.get(action="create")
    assert [repair["element"] for repair in created.data[REPAIRS_KEY]] == [
        "request/bibliographicInfo/author", "request/bibliographicInfo/bibliographicItemId",
        "request/serviceInfo/needBeforeDate"]


# The codec's side -----------------------------------------------------------------------------------

def test_the_elements_kept_when_empty_are_every_element_the_schema_requires_somewhere():
    required = {field.xml for fields in xml._SPECS.values() for field in fields if field.required}
    dated = {name for _parent, name in repairs._DATED_BY_TIMESTAMP}
    kept = repairs._KEPT_WHEN_EMPTY
    assert kept == required - dated


# Staff see it on the desk ----------------------------------------------------------------------------

def test_the_borrowing_desk_history_shows_what_was_repaired_in_plain_words(client):
    from django.urls import reverse

    from requests_app.roles import BORROWING_STAFF
    from tests.factories import StaffFactory

    request = borrowing_request(BorrowingStatus.EXPECTS_TO_SUPPLY, lenient=True)
    post(client, supplying(request, status_info=EMPTY_LAST_CHANGE), request.partner)
    client.force_login(StaffFactory(library=request.library, groups=[BORROWING_STAFF]))
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    history = page[page.index('id="history-heading"'):page.index('id="thread-heading"')]
    assert "The partner's message was not schema-valid; it was read leniently:" in history
    assert f"“lastChange” in statusInfo was empty: taken as the message&#x27;s timestamp, {T0}" in history


def test_the_lending_desk_shows_the_identifiers_a_request_carried_that_have_no_field(client):
    from django.urls import reverse

    from requests_app.roles import LENDING_STAFF
    from tests.factories import StaffFactory

    library, partner = MemberLibraryFactory(), LibraryFactory()
    body = f"""<?xml version="1.0"?><ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2"><request>
<header><supplyingAgencyId>{agency(library)}</supplyingAgencyId><requestingAgencyId>{agency(partner)}</requestingAgencyId>
<timestamp>{T0}</timestamp><requestingAgencyRequestId>R-8</requestingAgencyRequestId></header>
<bibliographicInfo><title>Braiding Sweetgrass</title>
<bibliographicRecordId><bibliographicRecordIdentifierCode>LCCN</bibliographicRecordIdentifierCode>
<bibliographicRecordIdentifier>2013021386</bibliographicRecordIdentifier></bibliographicRecordId></bibliographicInfo>
<serviceInfo><serviceType>Loan</serviceType></serviceInfo></request></ISO18626Message>""".encode()
    post(client, body, partner)
    request = IllRequest.objects.get(role="lending")
    client.force_login(StaffFactory(library=library, groups=[LENDING_STAFF]))
    page = client.get(reverse("lending:request", args=[request.pk])).content.decode()
    assert "Other identifiers sent: LCCN 2013021386" in page
