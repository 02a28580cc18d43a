"""The lending desk's message thread and note form."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from lending.states import LendingStatus
from requests_app.models import InboundMessage, Note, NoteVisibility, OutboxMessage, OutboxStatus
from requests_app.roles import BORROWING_STAFF
from requests_app.services import add_note
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incoming(lender, iso_partner):
    return LendingRequestFactory(library=lender, partner=iso_partner, status=LendingStatus.NEW,
                                 requesting_agency_request_id="EXT-1", supplying_agency_request_id="LND-1")


def note_url(request) -> str:
    return reverse("lending:note", args=[request.pk])


def test_a_note_to_the_borrowing_library_is_queued_for_it(client, lending_staff, incoming):
    client.force_login(lending_staff)
    response = client.post(note_url(incoming), {"text": "We found it, shipping Monday.", "visibility": "partner"})
    assert response.status_code == 302
    message = OutboxMessage.objects.get(request=incoming)
    assert message.payload["message_info"]["note"] == "We found it, shipping Monday."
    assert message.summary == "Notification/RequestReceived"


def test_an_internal_note_is_not_sent(client, lending_staff, incoming):
    client.force_login(lending_staff)
    client.post(note_url(incoming), {"text": "Fragile binding", "visibility": "internal"})
    assert Note.objects.get(request=incoming).visibility == NoteVisibility.INTERNAL
    assert not OutboxMessage.objects.exists()


def test_an_empty_note_is_refused_with_a_message(client, lending_staff, incoming):
    client.force_login(lending_staff)
    response = client.post(note_url(incoming), {"text": "  ", "visibility": "partner"})
    assert response.status_code == 400
    assert "A note cannot be empty." in response.content.decode()
    assert not Note.objects.exists() and not OutboxMessage.objects.exists()


def test_a_note_to_the_patron_is_not_a_lending_choice(client, lending_staff, incoming):
    client.force_login(lending_staff)
    response = client.post(note_url(incoming), {"text": "Hello", "visibility": "patron"})
    assert response.status_code == 400
    assert not Note.objects.exists()


def test_staff_of_another_library_cannot_write_on_the_request(client, incoming):
    client.force_login(StaffFactory(library=MemberLibraryFactory()))
    assert client.post(note_url(incoming), {"text": "Hi", "visibility": "internal"}).status_code == 404


def test_borrowing_staff_cannot_write_on_a_lending_request(client, lender, incoming):
    client.force_login(StaffFactory(library=lender, groups=[BORROWING_STAFF]))
    assert client.post(note_url(incoming), {"text": "Hi", "visibility": "internal"}).status_code == 403


def test_the_thread_shows_notes_and_protocol_messages_in_order(client, lending_staff, incoming, iso_partner):
    add_note(request=incoming, text="Please send by courier", visibility=NoteVisibility.PARTNER,
             author_library=iso_partner)
    InboundMessage.objects.create(sender=iso_partner, fingerprint="f1", kind="request", summary="request",
                                  request=incoming, confirmation={})
    add_note(request=incoming, text="Checked: in the stacks", author=lending_staff)
    client.force_login(lending_staff)
    thread = client.get(reverse("lending:request", args=[incoming.pk])).context["thread"]
    assert [(e.direction, e.text) for e in thread] == [
        ("in", "Please send by courier"), ("in", "request: request"), ("internal", "Checked: in the stacks")]


def test_the_request_page_takes_the_same_queries_with_a_long_thread(client, lending_staff, incoming, iso_partner,
                                                                      django_assert_max_num_queries):
    url = reverse("lending:request", args=[incoming.pk])
    client.force_login(lending_staff)
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for i in range(10):
        add_note(request=incoming, text=f"from them {i}", visibility=NoteVisibility.PARTNER,
                 author_library=iso_partner)
        add_note(request=incoming, text=f"ours {i}", author=lending_staff)
        InboundMessage.objects.create(sender=iso_partner, fingerprint=f"f{i}", kind="requestingAgencyMessage",
                                      summary="Notification", request=incoming, confirmation={})
        OutboxMessage.objects.create(request=incoming, sender=incoming.library, recipient=iso_partner,
                                     kind="supplyingAgencyMessage", summary="Notification/RequestReceived",
                                     payload={}, transport="iso18626", status=OutboxStatus.DELIVERED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_note_to_a_partner_without_an_electronic_address_is_kept_and_staff_are_told(client, lending_staff, lender):
    offline = LibraryFactory(symbol="OFFL", iso18626_endpoint="", rest_endpoint="")
    request = LendingRequestFactory(library=lender, partner=offline, status=LendingStatus.NEW,
                                    requesting_agency_request_id="X-9")
    client.force_login(lending_staff)
    response = client.post(note_url(request), {"text": "Please call us.", "visibility": "partner"})
    assert Note.objects.get(request=request).text == "Please call us."
    assert not OutboxMessage.objects.exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Note kept. OFFL has no electronic address: tell them by e-mail or phone."]


def test_lending_staff_are_told_their_note_went_to_the_borrowing_library(client, lending_staff, lender):
    partner = LibraryFactory(symbol="ONLN", iso18626_endpoint="http://127.0.0.1:9/iso18626")
    request = LendingRequestFactory(library=lender, partner=partner, status=LendingStatus.NEW,
                                    requesting_agency_request_id="X-10")
    client.force_login(lending_staff)

    response = client.post(note_url(request), {"text": "Found it.", "visibility": "partner"})

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Note sent to the borrowing library."]
