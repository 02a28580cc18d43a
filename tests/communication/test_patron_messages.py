"""POST /requests/<id>/messages/: the patron writes to the ILL office about their own request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app.models import Note, NoteVisibility
from tests.factories import IllRequestFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


def url(request) -> str:
    return reverse("patron-request-message", args=[request.pk])


@pytest.fixture
def own_request(patron, borrower):
    return IllRequestFactory(library=borrower, patron=patron, status=BorrowingStatus.SENT)


def test_the_patron_writes_to_the_ill_office(client, patron, own_request):
    client.force_login(patron)
    response = client.post(url(own_request), {"text": "I no longer need it after Friday."})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("patron-request", args=[own_request.pk]))
    note = Note.objects.get(request=own_request)
    assert (note.text, note.author, note.visibility, note.read_at) == (
        "I no longer need it after Friday.", patron, NoteVisibility.PATRON, None)


def test_the_patron_sees_their_message_on_the_request_page(client, patron, own_request):
    client.force_login(patron)
    client.post(url(own_request), {"text": "Thank you!"})
    page = client.get(reverse("patron-request", args=[own_request.pk]))
    assert "Thank you!" in page.content.decode()


def test_an_empty_message_is_refused_with_a_message(client, patron, own_request):
    client.force_login(patron)
    response = client.post(url(own_request), {"text": "   "}, follow=True)
    assert "Write a message before sending it." in response.content.decode()
    assert not Note.objects.exists()


def test_a_patron_cannot_post_to_someone_elses_request(client, own_request, borrower):
    client.force_login(PatronFactory(profile__library=borrower))
    assert client.post(url(own_request), {"text": "Hello"}).status_code == 404
    assert not Note.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, own_request):
    response = client.post(url(own_request), {"text": "Hello"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not Note.objects.exists()


def test_a_staff_account_without_a_patron_profile_is_refused(client, own_request, borrower):
    client.force_login(StaffFactory(library=borrower))
    assert client.post(url(own_request), {"text": "Hello"}).status_code == 403


def test_reading_the_form_address_is_not_allowed(client, patron, own_request):
    client.force_login(patron)
    assert client.get(url(own_request)).status_code == 405
