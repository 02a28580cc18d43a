"""The borrowing desk's message thread and note form, and the patron's request page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app.models import InboundMessage, Note, NoteVisibility, OutboxMessage, OutboxStatus
from requests_app.roles import LENDING_STAFF
from requests_app.services import add_note
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_lender(borrower, iso_partner, patron):
    request = IllRequestFactory(library=borrower, partner=iso_partner, patron=patron, status=BorrowingStatus.SENT,
                                requesting_agency_request_id="BRW-5")
    OutboxMessage.objects.create(request=request, sender=borrower, recipient=iso_partner, kind="request",
                                 summary="request", payload={}, transport="iso18626", status=OutboxStatus.DELIVERED)
    return request


def note_url(request) -> str:
    return reverse("borrowing_staff:note", args=[request.pk])


def detail_url(request) -> str:
    return reverse("borrowing_staff:request", args=[request.pk])


def test_a_note_to_the_lender_is_queued_as_a_notification(client, borrowing_staff, with_lender):
    client.force_login(borrowing_staff)
    response = client.post(note_url(with_lender), {"text": "Any news?", "visibility": "partner"})
    assert response.status_code == 302
    message = OutboxMessage.objects.filter(request=with_lender).latest("pk")
    assert (message.kind, message.summary, message.payload["note"]) == (
        "requestingAgencyMessage", "Notification", "Any news?")


def test_a_note_to_the_patron_is_emailed(client, borrowing_staff, with_lender, mailoutbox,
                                         django_capture_on_commit_callbacks):
    client.force_login(borrowing_staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(note_url(with_lender), {"text": "Expect it next week.", "visibility": "patron"})
    assert [m.to for m in mailoutbox] == [["reader@example.edu"]]


def test_an_empty_note_is_refused_with_a_message(client, borrowing_staff, with_lender):
    client.force_login(borrowing_staff)
    response = client.post(note_url(with_lender), {"text": " ", "visibility": "internal"}, follow=True)
    assert "A note cannot be empty." in response.content.decode()
    assert not Note.objects.exists()


def test_lending_staff_cannot_write_on_a_borrowing_request(client, borrower, with_lender):
    client.force_login(StaffFactory(library=borrower, groups=[LENDING_STAFF]))
    assert client.post(note_url(with_lender), {"text": "Hi", "visibility": "internal"}).status_code == 403


def test_staff_of_another_library_cannot_write_on_the_request(client, with_lender):
    client.force_login(StaffFactory(library=MemberLibraryFactory()))
    assert client.post(note_url(with_lender), {"text": "Hi", "visibility": "internal"}).status_code == 404


def test_the_thread_shows_the_patrons_and_the_lenders_words_and_marks_them_read(client, borrowing_staff,
                                                                                with_lender, patron, iso_partner):
    Note.objects.create(request=with_lender, text="Can I collect it Saturday?", visibility=NoteVisibility.PATRON,
                        author=patron)
    lender_note = add_note(request=with_lender, text="Shipping tomorrow", visibility=NoteVisibility.PARTNER,
                           author_library=iso_partner)
    client.force_login(borrowing_staff)
    response = client.get(detail_url(with_lender))
    entries = [(e.direction, e.audience, e.text, e.unread) for e in response.context["thread"] if e.kind == "note"]
    assert entries == [("in", "From the patron", "Can I collect it Saturday?", True),
                       ("in", "From the partner", "Shipping tomorrow", True)]
    lender_note.refresh_from_db()
    assert lender_note.read_by == borrowing_staff


def test_the_request_page_takes_the_same_queries_with_a_long_thread(client, borrowing_staff, with_lender,
                                                                      iso_partner, patron,
                                                                      django_assert_max_num_queries):
    client.force_login(borrowing_staff)
    client.get(detail_url(with_lender))
    with django_assert_max_num_queries(60) as few:
        client.get(detail_url(with_lender))
    for i in range(10):
        add_note(request=with_lender, text=f"lender {i}", visibility=NoteVisibility.PARTNER, author_library=iso_partner)
        Note.objects.create(request=with_lender, text=f"patron {i}", visibility=NoteVisibility.PATRON, author=patron)
        InboundMessage.objects.create(sender=iso_partner, fingerprint=f"b{i}", kind="supplyingAgencyMessage",
                                      summary="Notification/ExpectToSupply", request=with_lender, confirmation={})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(detail_url(with_lender))


def test_the_patron_page_has_a_form_to_write_to_the_ill_office(client, patron, with_lender):
    client.force_login(patron)
    html = client.get(reverse("patron-request", args=[with_lender.pk])).content.decode()
    assert f'action="{reverse("patron-request-message", args=[with_lender.pk])}"' in html


def test_the_patron_page_tells_their_own_messages_from_the_offices(client, patron, borrowing_staff, with_lender):
    Note.objects.create(request=with_lender, text="From me", visibility=NoteVisibility.PATRON, author=patron)
    Note.objects.create(request=with_lender, text="From the office", visibility=NoteVisibility.PATRON,
                        author=borrowing_staff)
    client.force_login(patron)
    html = client.get(reverse("patron-request", args=[with_lender.pk])).content.decode()
    assert "You wrote" in html and "ILL office" in html
    assert "From me" in html and "From the office" in html


@pytest.mark.parametrize("visibility, told", [
    ("partner", "Note sent to the lender."),
    ("patron", "Note shown to the patron (and e-mailed, if they get e-mails)."),
    ("internal", "Note added."),
])
def test_staff_are_told_where_their_note_went(client, borrowing_staff, with_lender, visibility, told):
    from django.contrib.messages import get_messages

    client.force_login(borrowing_staff)
    response = client.post(note_url(with_lender), {"text": "About the loan", "visibility": visibility})

    assert [str(m) for m in get_messages(response.wsgi_request)] == [told]
