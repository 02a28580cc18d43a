"""Each kind of note reaches its reader: staff only, the patron (page and e-mail), the partner (ISO 18626)."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import messaging
from requests_app.iso18626 import json_codec
from requests_app.iso18626 import messages as m
from requests_app.iso18626.xml import encode
from requests_app.models import IllRequest, Note, NoteVisibility, OutboxMessage, OutboxStatus
from requests_app.workflow import WorkflowError
from tests.factories import IllRequestFactory, LendingRequestFactory, PatronFactory

pytestmark = pytest.mark.django_db


def write(django_capture_on_commit_callbacks, **kwargs) -> Note:
    with django_capture_on_commit_callbacks(execute=True):
        return messaging.write_note(**kwargs)


def test_an_internal_note_stays_with_staff(loan_between_members, borrowing_staff, mailoutbox,
                                           django_capture_on_commit_callbacks):
    borrowing, lending = loan_between_members
    before = OutboxMessage.objects.count()
    write(django_capture_on_commit_callbacks, request=borrowing, text="Patron phoned twice",
          visibility=NoteVisibility.INTERNAL, author=borrowing_staff)
    assert OutboxMessage.objects.count() == before
    assert mailoutbox == []
    assert not Note.objects.filter(request=lending).exists()


def test_a_note_to_the_partner_on_a_borrowing_request_is_an_iso18626_notification(
        borrower, iso_partner, borrowing_staff, schema_errors):
    request = IllRequestFactory(library=borrower, partner=iso_partner, status=BorrowingStatus.SENT,
                                requesting_agency_request_id="BRW-7")
    OutboxMessage.objects.create(request=request, sender=borrower, recipient=iso_partner, kind="request",
                                 summary="request", payload={}, transport="iso18626", status=OutboxStatus.DELIVERED)
    messaging.write_note(request=request, text="Could you send it by courier?", visibility=NoteVisibility.PARTNER,
                         author=borrowing_staff)
    outgoing = OutboxMessage.objects.filter(request=request).latest("pk")
    assert (outgoing.kind, outgoing.summary, outgoing.recipient) == (
        "requestingAgencyMessage", "Notification", iso_partner)
    message = json_codec.from_json(outgoing.payload)
    assert (message.action, message.note) == (m.Action.NOTIFICATION, "Could you send it by courier?")
    assert message.header.requesting_agency_request_id == "BRW-7"
    assert schema_errors(encode(message)) == []


def test_a_note_to_the_partner_on_a_lending_request_is_a_supplying_agency_notification(
        lender, iso_partner, lending_staff, schema_errors):
    request = LendingRequestFactory(library=lender, partner=iso_partner, status=LendingStatus.AWAITING_SHIPPING,
                                    requesting_agency_request_id="EXT-3", supplying_agency_request_id="LND-3")
    messaging.write_note(request=request, text="Our copy has a loose spine.", visibility=NoteVisibility.PARTNER,
                         author=lending_staff)
    outgoing = OutboxMessage.objects.get(request=request)
    message = json_codec.from_json(outgoing.payload)
    assert outgoing.kind == "supplyingAgencyMessage"
    assert message.message_info.reason_for_message == m.ReasonForMessage.NOTIFICATION
    assert message.message_info.note == "Our copy has a loose spine."
    assert message.status_info.status == m.Status.WILL_SUPPLY  # what the borrower already knows
    assert schema_errors(encode(message)) == []


def test_the_lending_member_gets_a_borrowers_note_unread(loan_between_members, borrowing_staff,
                                                         django_capture_on_commit_callbacks):
    borrowing, lending = loan_between_members
    write(django_capture_on_commit_callbacks, request=borrowing, text="Needed for a seminar on Monday",
          visibility=NoteVisibility.PARTNER, author=borrowing_staff)
    received = Note.objects.get(request=lending)
    assert (received.text, received.visibility, received.author_library, received.read_at) == (
        "Needed for a seminar on Monday", NoteVisibility.PARTNER, borrowing.library, None)
    assert OutboxMessage.objects.filter(request=borrowing).latest("pk").status == OutboxStatus.DELIVERED


def test_the_borrowing_member_gets_a_lenders_note_while_the_patron_has_the_book(
        loan_between_members, lending_staff, django_capture_on_commit_callbacks):
    borrowing, lending = loan_between_members
    IllRequest.objects.filter(pk=borrowing.pk).update(status=BorrowingStatus.CHECKED_OUT)
    IllRequest.objects.filter(pk=lending.pk).update(status=LendingStatus.SHIPPED)
    lending.refresh_from_db()
    write(django_capture_on_commit_callbacks, request=lending, text="Please do not photocopy the plates.",
          visibility=NoteVisibility.PARTNER, author=lending_staff)
    received = Note.objects.get(request=borrowing)
    assert (received.text, received.author_library, received.read_at) == (
        "Please do not photocopy the plates.", lending.library, None)
    borrowing.refresh_from_db()
    assert borrowing.status == BorrowingStatus.CHECKED_OUT  # a note changes no status
    assert OutboxMessage.objects.filter(request=lending).latest("pk").status == OutboxStatus.DELIVERED


def test_a_note_to_the_patron_is_emailed_to_them(loan_between_members, borrowing_staff, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    borrowing, _lending = loan_between_members
    write(django_capture_on_commit_callbacks, request=borrowing, text="Your book is delayed by a week.",
          visibility=NoteVisibility.PATRON, author=borrowing_staff)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["reader@example.edu"]
    assert "Your book is delayed by a week." in mailoutbox[0].body
    assert borrowing.number in mailoutbox[0].subject


def test_a_patron_who_turned_off_emails_gets_no_note_by_email(loan_between_members, borrowing_staff, patron,
                                                              mailoutbox, django_capture_on_commit_callbacks):
    borrowing, _lending = loan_between_members
    patron.patron_profile.notify_by_email = False
    patron.patron_profile.save()
    write(django_capture_on_commit_callbacks, request=borrowing, text="Your book is delayed.",
          visibility=NoteVisibility.PATRON, author=borrowing_staff)
    assert mailoutbox == []
    assert Note.objects.filter(request=borrowing, visibility=NoteVisibility.PATRON).exists()


def test_an_empty_note_is_refused_and_nothing_is_sent(loan_between_members, borrowing_staff):
    borrowing, _lending = loan_between_members
    before = OutboxMessage.objects.count()
    with pytest.raises(WorkflowError) as error:
        messaging.write_note(request=borrowing, text="   ", visibility=NoteVisibility.PARTNER, author=borrowing_staff)
    assert error.value.code == "invalid"
    assert OutboxMessage.objects.count() == before
    assert not Note.objects.filter(request=borrowing).exists()


def test_a_note_to_a_lender_that_never_got_the_request_is_refused(borrower, iso_partner, borrowing_staff):
    request = IllRequestFactory(library=borrower, partner=iso_partner, status=BorrowingStatus.SOURCING)
    with pytest.raises(WorkflowError):
        messaging.write_note(request=request, text="Hello", visibility=NoteVisibility.PARTNER, author=borrowing_staff)
    assert not OutboxMessage.objects.exists()


def test_a_lending_request_has_no_patron_to_write_to(lender, lending_staff):
    request = LendingRequestFactory(library=lender)
    with pytest.raises(WorkflowError):
        messaging.write_note(request=request, text="Hello", visibility=NoteVisibility.PATRON, author=lending_staff)


def test_a_staff_note_is_read_by_its_author(loan_between_members, borrowing_staff):
    borrowing, _lending = loan_between_members
    note = messaging.write_note(request=borrowing, text="Checked the shelf", visibility=NoteVisibility.INTERNAL,
                                author=borrowing_staff)
    assert note.read_by == borrowing_staff and note.read_at is not None


def test_a_partner_without_an_electronic_address_keeps_the_note_unsent(borrower, borrowing_staff):
    request = IllRequestFactory(library=borrower, status=BorrowingStatus.SENT)  # a partner with no endpoint
    note = messaging.write_note(request=request, text="Posted a letter", visibility=NoteVisibility.PARTNER,
                                author=borrowing_staff)
    assert note.pk and not OutboxMessage.objects.exists()


def test_the_patron_writes_back_on_their_own_request(loan_between_members, patron):
    borrowing, _lending = loan_between_members
    note = messaging.write_patron_note(request=borrowing, patron=patron, text="I can wait, thank you.")
    assert (note.visibility, note.author, note.read_at) == (NoteVisibility.PATRON, patron, None)


def test_a_patron_cannot_write_on_another_patrons_request(loan_between_members, borrower):
    borrowing, _lending = loan_between_members
    with pytest.raises(WorkflowError) as error:
        messaging.write_patron_note(request=borrowing, patron=PatronFactory(profile__library=borrower), text="Hi")
    assert error.value.code == "forbidden"

