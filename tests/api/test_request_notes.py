"""GET/POST /api/v1/requests/{id}/notes/: notes between the partner and us, and staff notes."""

import pytest

from requests_app.models import Note, NoteVisibility, OutboxMessage
from requests_app.services import add_note

from .contracts import AuthenticationContract, PartnerIsolationContract, assert_json_error

pytestmark = pytest.mark.django_db


def notes_url(request) -> str:
    return f"/api/v1/requests/{request.pk}/notes/"


@pytest.fixture
def notes(world):
    """On partner A's lending request: an internal note, one to the partner, one from A, one from B (stale)."""
    request = world.lending_a
    return {
        "internal": add_note(request=request, text="Fragile binding", visibility=NoteVisibility.INTERNAL,
                             author=world.staff_user()),
        "to_partner": add_note(request=request, text="Please return by courier", visibility=NoteVisibility.PARTNER,
                               author=world.staff_user()),
        "from_a": add_note(request=request, text="Thanks!", visibility=NoteVisibility.PARTNER,
                           author_library=world.partner_a),
        "from_b": add_note(request=request, text="Someone else's", visibility=NoteVisibility.PARTNER,
                           author_library=world.partner_b),
    }


class TestReadingNotes(AuthenticationContract, PartnerIsolationContract):
    def url(self, world):
        return notes_url(world.lending_a)

    def test_a_partner_reads_the_notes_addressed_to_partners_and_its_own(self, world, notes):
        body = world.partner_a_client().get(self.url(world)).json()
        assert [n["text"] for n in body] == ["Please return by courier", "Thanks!"]

    def test_a_partner_reads_our_library_not_a_staff_name_as_author(self, world, notes):
        body = world.partner_a_client().get(self.url(world)).json()
        assert [n["author"] for n in body] == ["OURS", "PA"]

    def test_staff_read_every_note_with_its_author(self, world, notes):
        body = world.staff_client().get(self.url(world)).json()
        assert [n["text"] for n in body] == [
            "Fragile binding", "Please return by courier", "Thanks!", "Someone else's"]
        assert body[0]["author"] == notes["internal"].author.get_full_name()


class TestWritingNotes(AuthenticationContract, PartnerIsolationContract):
    method = "post"

    def url(self, world):
        return notes_url(world.lending_a)

    def body(self, world):
        return {"text": "Is it on its way?"}

    def test_a_partners_note_is_addressed_to_us_whatever_visibility_it_asks(self, world):
        response = world.partner_a_client().post(self.url(world), {"text": "Any news?", "visibility": "internal"},
                                                 format="json")
        assert response.status_code == 201, response.content
        note = Note.objects.get(request=world.lending_a)
        assert (note.text, note.visibility, note.author_library, note.author) == (
            "Any news?", NoteVisibility.PARTNER, world.partner_a, None)
        assert response.json()["author"] == "PA"

    def test_staff_choose_the_visibility_of_their_note(self, world):
        user = world.staff_user()
        response = world.staff_client(user=user).post(self.url(world), {"text": "Sent by courier",
                                                                         "visibility": "partner"}, format="json")
        assert response.status_code == 201
        note = Note.objects.get(request=world.lending_a)
        assert (note.visibility, note.author, note.author_library) == (NoteVisibility.PARTNER, user, None)

    def test_a_staff_note_to_the_partner_goes_out_as_an_iso18626_notification(self, world):
        world.partner_a.iso18626_endpoint = "https://pa.example.org/iso18626"
        world.partner_a.save()
        world.staff_client().post(self.url(world), {"text": "Sent by courier", "visibility": "partner"},
                                  format="json")
        message = OutboxMessage.objects.get(request=world.lending_a)
        assert message.recipient == world.partner_a
        assert "Notification" in message.summary

    def test_a_staff_note_is_internal_unless_they_say_otherwise(self, world):
        world.staff_client().post(self.url(world), {"text": "Check the binding"}, format="json")
        assert Note.objects.get(request=world.lending_a).visibility == NoteVisibility.INTERNAL

    def test_a_note_to_the_patron_of_a_lending_request_answers_400(self, world):
        response = world.staff_client().post(self.url(world), {"text": "Hi", "visibility": "patron"}, format="json")
        assert_json_error(response, 400, "invalid")
        assert not Note.objects.filter(request=world.lending_a).exists()

    def test_an_empty_note_answers_400_and_writes_nothing(self, world):
        response = world.partner_a_client().post(self.url(world), {"text": "   "}, format="json")
        assert "text" in assert_json_error(response, 400, "invalid")["errors"]
        assert not Note.objects.filter(request=world.lending_a).exists()
