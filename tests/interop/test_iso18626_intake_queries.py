"""The cost of taking in a partner's ISO 18626 request: one directory look-up, and a guard on the SQL it runs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import IllRequest, InboundMessage
from requests_app.partners.handler import find_parties
from requests_app.partners.outgoing import agency_id
from tests.factories import LibraryFactory, MemberLibraryFactory, sender_credentials

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def new_request(member, partner, rid="R-1", *, supplier=None, requester=None) -> m.Request:
    return m.Request(
        header=m.RequestHeader(supplying_agency_id=supplier or agency_id(member),
                               requesting_agency_id=requester or agency_id(partner),
                               timestamp=T0, requesting_agency_request_id=rid),
        bibliographic_info=m.BibliographicInfo(title="On lending", author="Smith, Ada", bibliographic_item_ids=(
            m.BibliographicItemId(code=m.TypedValue(value="ISBN"), value="9780306406157"),)),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW),
    )


def test_the_sender_and_the_member_addressed_are_found_in_one_query(django_assert_num_queries):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    shouting = m.AgencyId(type=m.TypedValue(value=member.agency_id_type.lower()),
                          value=member.agency_id_value.lower())
    with django_assert_num_queries(1):
        assert find_parties(new_request(member, partner, supplier=shouting)) == (partner, member)


def test_the_parties_are_read_with_every_field_as_the_orm_reads_them():
    from requests_app.models import Library

    member = MemberLibraryFactory(ip_allowlist="192.0.2.0/24", max_loans_outstanding=12)
    partner = LibraryFactory(ip_allowlist="198.51.100.0/24", outgoing_secret="token")
    found = find_parties(new_request(member, partner))

    for library in found:
        expected = Library.objects.get(pk=library.pk)
        assert {f.attname: getattr(library, f.attname) for f in Library._meta.concrete_fields} == {
            f.attname: getattr(expected, f.attname) for f in Library._meta.concrete_fields}
        assert not library._state.adding


def test_a_partner_is_not_taken_for_the_member_nor_an_inactive_library_for_either():
    member, partner = MemberLibraryFactory(), LibraryFactory()
    assert find_parties(new_request(partner, partner)) == (partner, None)  # addressed to a non-member
    gone = LibraryFactory(active=False)
    assert find_parties(new_request(member, gone)) == (None, member)
    retired = MemberLibraryFactory(active=False)
    assert find_parties(new_request(retired, partner)) == (partner, None)


def test_a_supplying_agency_message_is_from_the_supplier_to_our_borrowing_library():
    member, lender = MemberLibraryFactory(), LibraryFactory()
    message = m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(supplying_agency_id=agency_id(lender),
                                              requesting_agency_id=agency_id(member), timestamp=T0,
                                              requesting_agency_request_id="B1"),
        message_info=m.MessageInfo(reason_for_message=m.ReasonForMessage.STATUS_CHANGE),
        status_info=m.StatusInfo(status=m.Status.LOANED, last_change=T0))
    assert find_parties(message) == (lender, member)


@pytest.fixture
def at_once(settings):
    """The message applied while the partner waits (``ILLMS_ISO18626_APPLY=at_once``)."""
    settings.ILLMS_ISO18626_APPLY = "at_once"


@pytest.fixture
def by_worker(settings, monkeypatch):
    """The message stored and confirmed; the worker, not run here, would apply it."""
    from illms.celery import app
    from requests_app.partners import intake

    settings.ILLMS_ISO18626_APPLY = "by_worker"
    app.conf.task_always_eager = False
    monkeypatch.setattr(intake, "kick", lambda: None)
    yield
    app.conf.task_always_eager = True


def test_a_new_request_over_iso18626_runs_a_bounded_number_of_queries(client, django_assert_max_num_queries,
                                                                     at_once):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    key = sender_credentials(new_request(member, partner))
    client.post("/iso18626", data=xml.encode(new_request(member, partner, "warm-up")), content_type="application/xml",
                **key)
    # Directory look-up, the sender's key (with its library, one query), the request's id, the request, its
    # event, the inbound message record (unique fingerprints and partner request ids are the checks for a
    # repeat); one savepoint (two statements: the test's transaction makes the handler's transaction a
    # savepoint). The availability check is queued.
    with django_assert_max_num_queries(8 if connection.vendor == "postgresql" else 9):
        response = client.post("/iso18626", data=xml.encode(new_request(member, partner, "R-2")),
                               content_type="application/xml", **key)
    assert b"messageStatus>OK<" in response.content
    assert IllRequest.objects.filter(requesting_agency_request_id="R-2").exists()
    assert InboundMessage.objects.filter(request__requesting_agency_request_id="R-2").exists()


def test_a_new_request_is_written_in_the_handlers_transaction_without_a_savepoint_of_its_own(client, at_once):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    with CaptureQueriesContext(connection) as queries:
        answer = _post(client, new_request(member, partner, "R-3"))
    assert answer.header.message_status == m.MessageStatus.OK
    savepoints = [q["sql"] for q in queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # the handler's transaction, a savepoint only inside the test's own


def test_a_new_request_acknowledged_for_the_worker_runs_a_few_queries_and_writes_one_row(
        client, django_assert_max_num_queries, by_worker):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    key = sender_credentials(new_request(member, partner))
    client.post("/iso18626", data=xml.encode(new_request(member, partner, "warm-up")), content_type="application/xml",
                **key)
    # Directory look-up and the message's INSERT; the sender's key is kept by the process. The savepoint
    # (two statements) only because the test's transaction is around it: in production the INSERT is alone.
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/iso18626", data=xml.encode(new_request(member, partner, "R-4")),
                               content_type="application/xml", **key)
    assert b"messageStatus>OK<" in response.content
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 1 and "inboundmessage" in writes[0]
    assert len(queries) <= 5, [q["sql"][:80] for q in queries]
    assert not IllRequest.objects.filter(requesting_agency_request_id="R-4").exists()


# A repeat is caught by the fingerprint's unique index, after the work it would do is rolled back ------------

def _post(client, message) -> m.Confirmation:
    response = client.post("/iso18626", data=xml.encode(message), content_type="application/xml",
                           **sender_credentials(message))
    return xml.decode(response.content)


def test_a_request_received_twice_makes_one_request_and_is_answered_the_same(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    first, second = (_post(client, new_request(member, partner, "R-TWICE")) for _ in range(2))
    assert first == second and first.header.message_status == m.MessageStatus.OK
    assert IllRequest.objects.filter(requesting_agency_request_id="R-TWICE").count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_repeated_cancel_leaves_nothing_of_its_second_run(client):
    """The repeat would be answered 'too late to cancel' and noted: all of that is rolled back."""
    from requests_app.models import Event, Note, OutboxMessage
    from tests.factories import LendingRequestFactory

    partner = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
    cancel = m.RequestingAgencyMessage(
        header=m.RequestingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.library), requesting_agency_id=agency_id(partner), timestamp=T0,
            requesting_agency_request_id=request.requesting_agency_request_id),
        action=m.Action.CANCEL, note="Patron found a copy")
    answers = [_post(client, cancel) for _ in range(2)]
    assert answers[0] == answers[1] and answers[0].header.message_status == m.MessageStatus.OK
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED
    assert Event.objects.filter(request=request, action="borrower_cancelled").count() == 1
    assert OutboxMessage.objects.filter(request=request).count() == 1  # one CancelResponse Y, no 'N' after it
    assert Note.objects.filter(request=request).count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_repeat_the_workflow_now_refuses_still_gets_the_first_answer(client):
    from tests.factories import IllRequestFactory

    request = IllRequestFactory(status=BorrowingStatus.EXPECTS_TO_SUPPLY)
    shipped = m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.partner), requesting_agency_id=agency_id(request.library),
            timestamp=T0, requesting_agency_request_id=request.requesting_agency_request_id),
        message_info=m.MessageInfo(reason_for_message=m.ReasonForMessage.STATUS_CHANGE),
        status_info=m.StatusInfo(status=m.Status.LOANED, last_change=T0))
    first = _post(client, shipped)
    request.refresh_from_db()
    request.status = BorrowingStatus.COMPLETED  # moved on since: Loaned would now be refused
    request.save(update_fields=["status"])
    assert _post(client, shipped) == first


def test_a_request_resent_with_a_new_timestamp_is_answered_with_the_request_received_first(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    first = new_request(member, partner, "R-AGAIN")
    again = dataclasses.replace(first, header=dataclasses.replace(first.header, timestamp=T0 + dt.timedelta(hours=1)))

    answers = [_post(client, message) for message in (first, again)]

    assert [a.header.message_status for a in answers] == [m.MessageStatus.OK, m.MessageStatus.OK]
    assert IllRequest.objects.filter(requesting_agency_request_id="R-AGAIN").count() == 1
    assert InboundMessage.objects.filter(request__requesting_agency_request_id="R-AGAIN").count() == 2


def _with_isbn(message: m.Request, isbn: str, *, hours: int = 0) -> m.Request:
    return dataclasses.replace(
        message, header=dataclasses.replace(message.header, timestamp=T0 + dt.timedelta(hours=hours)),
        bibliographic_info=dataclasses.replace(message.bibliographic_info, bibliographic_item_ids=(
            m.BibliographicItemId(code=m.TypedValue(value="ISBN"), value=isbn),)))


def test_a_resend_whose_citation_does_not_validate_is_answered_with_the_request_received_first(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    first = new_request(member, partner, "R-BAD-AGAIN")

    answers = [_post(client, first), _post(client, _with_isbn(first, "not an isbn", hours=1))]

    assert [a.header.message_status for a in answers] == [m.MessageStatus.OK, m.MessageStatus.OK]
    assert IllRequest.objects.get(requesting_agency_request_id="R-BAD-AGAIN").isbn == "9780306406157"


def test_a_new_request_whose_citation_does_not_validate_is_refused_and_leaves_nothing(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()

    answer = _post(client, _with_isbn(new_request(member, partner, "R-BAD"), "not an isbn"))

    assert answer.header.message_status == m.MessageStatus.ERROR
    assert "isbn" in answer.error_data[0].error_value
    assert not IllRequest.objects.filter(requesting_agency_request_id="R-BAD").exists()
    assert not InboundMessage.objects.exists()
