"""/inbox/ and the dashboard: unread notes from partners and patrons, per library and per side."""

from __future__ import annotations

import pytest
from django.urls import reverse

from requests_app.models import Note, NoteVisibility
from requests_app.roles import BORROWING_STAFF, LENDING_STAFF
from requests_app.services import add_note
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

INBOX = reverse("inbox:inbox")
READ = reverse("inbox:read")


@pytest.fixture
def partner(db):
    return LibraryFactory(symbol="PTN")


def partner_note(request, partner, text="Can you renew it for us?") -> Note:
    return add_note(request=request, text=text, visibility=NoteVisibility.PARTNER, author_library=partner)


def inbox_texts(client) -> list[str]:
    return [n.text for n in client.get(INBOX).context["page"]]


def test_a_partners_note_on_a_borrowing_request_waits_in_the_borrowing_inbox(client, borrower, borrowing_staff,
                                                                             partner):
    partner_note(IllRequestFactory(library=borrower, partner=partner), partner)
    client.force_login(borrowing_staff)
    assert inbox_texts(client) == ["Can you renew it for us?"]


def test_the_patrons_message_waits_in_the_borrowing_inbox(client, borrower, borrowing_staff, patron):
    request = IllRequestFactory(library=borrower, patron=patron)
    Note.objects.create(request=request, text="Is it here yet?", visibility=NoteVisibility.PATRON, author=patron)
    client.force_login(borrowing_staff)
    assert inbox_texts(client) == ["Is it here yet?"]


def test_the_inbox_lists_the_newest_first(client, borrower, borrowing_staff, partner):
    request = IllRequestFactory(library=borrower, partner=partner)
    partner_note(request, partner, "first")
    partner_note(request, partner, "second")
    client.force_login(borrowing_staff)
    assert inbox_texts(client) == ["second", "first"]


def test_staff_notes_and_internal_notes_never_wait_in_the_inbox(client, borrower, borrowing_staff, patron):
    request = IllRequestFactory(library=borrower, patron=patron)
    add_note(request=request, text="Checked the shelf", author=borrowing_staff)
    add_note(request=request, text="Your book is late", visibility=NoteVisibility.PATRON, author=borrowing_staff)
    # The patron's own confirmation of a duplicate is recorded as an internal note in their name.
    add_note(request=request, text="The patron confirmed a duplicate", author=patron)
    client.force_login(borrowing_staff)
    assert inbox_texts(client) == []


def test_staff_of_another_library_never_see_the_note(client, borrower, partner):
    partner_note(IllRequestFactory(library=borrower, partner=partner), partner)
    client.force_login(StaffFactory(library=MemberLibraryFactory(), groups=[BORROWING_STAFF]))
    assert inbox_texts(client) == []


def test_lending_staff_never_see_a_note_on_a_borrowing_request(client, borrower, partner):
    partner_note(IllRequestFactory(library=borrower, partner=partner), partner)
    client.force_login(StaffFactory(library=borrower, groups=[LENDING_STAFF]))
    assert inbox_texts(client) == []


def test_lending_staff_see_a_borrowers_note_on_a_lending_request(client, lender, lending_staff, partner):
    partner_note(LendingRequestFactory(library=lender, partner=partner), partner, "Please hurry")
    partner_note(IllRequestFactory(library=lender, partner=partner), partner, "borrowing side")
    client.force_login(lending_staff)
    assert inbox_texts(client) == ["Please hurry"]


def test_marking_one_note_read_takes_it_out_of_the_inbox(client, borrower, borrowing_staff, partner):
    request = IllRequestFactory(library=borrower, partner=partner)
    note, other = partner_note(request, partner, "one"), partner_note(request, partner, "two")
    client.force_login(borrowing_staff)
    response = client.post(READ, {"note": note.pk})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_by == borrowing_staff and note.read_at is not None
    assert inbox_texts(client) == ["two"]
    other.refresh_from_db()
    assert other.read_at is None


def test_marking_read_twice_changes_nothing_the_second_time(client, borrower, borrowing_staff, partner):
    note = partner_note(IllRequestFactory(library=borrower, partner=partner), partner)
    client.force_login(borrowing_staff)
    client.post(READ, {"note": note.pk})
    note.refresh_from_db()
    first = note.read_at
    colleague = StaffFactory(library=borrower, groups=[BORROWING_STAFF])
    client.force_login(colleague)
    response = client.post(READ, {"note": note.pk}, follow=True)
    note.refresh_from_db()
    assert (note.read_at, note.read_by) == (first, borrowing_staff)
    assert "Nothing new to mark read." in response.content.decode()


def test_mark_all_read_empties_only_this_staff_members_inbox(client, borrower, borrowing_staff, partner):
    partner_note(IllRequestFactory(library=borrower, partner=partner), partner, "ours 1")
    partner_note(IllRequestFactory(library=borrower, partner=partner), partner, "ours 2")
    lending_side = partner_note(LendingRequestFactory(library=borrower, partner=partner), partner, "lending")
    elsewhere = partner_note(IllRequestFactory(partner=partner), partner, "another library")
    client.force_login(borrowing_staff)
    client.post(READ, {"all": "1"})
    client.post(READ, {"all": "1"})
    assert inbox_texts(client) == []
    assert Note.objects.filter(pk__in=[lending_side.pk, elsewhere.pk], read_at__isnull=True).count() == 2


def test_a_note_of_another_library_cannot_be_marked_read(client, borrowing_staff, partner):
    elsewhere = partner_note(IllRequestFactory(partner=partner), partner)
    client.force_login(borrowing_staff)
    client.post(READ, {"note": elsewhere.pk})
    elsewhere.refresh_from_db()
    assert elsewhere.read_at is None


def test_marking_read_without_choosing_a_note_says_so(client, borrowing_staff):
    client.force_login(borrowing_staff)
    response = client.post(READ, {"note": "x"}, follow=True)
    assert "Choose a message to mark read." in response.content.decode()


@pytest.mark.parametrize("target", ["inbox:inbox", "https://elsewhere.example/", "//elsewhere.example/"])
def test_marking_read_goes_back_to_the_inbox_unless_told_a_path_of_this_site(client, borrowing_staff, target):
    client.force_login(borrowing_staff)
    response = client.post(READ, {"all": "1", "next": target})
    assert response["Location"] == reverse("inbox:inbox")


def test_marking_read_goes_back_to_the_page_it_was_asked_from(client, borrowing_staff):
    client.force_login(borrowing_staff)
    assert client.post(READ, {"all": "1", "next": "/borrowing/queue/?status=sent"})["Location"] == \
        "/borrowing/queue/?status=sent"


def test_mark_read_only_accepts_post(client, borrowing_staff):
    client.force_login(borrowing_staff)
    assert client.get(READ).status_code == 405


def test_opening_a_lending_request_marks_its_notes_read(client, lender, lending_staff, partner):
    request = LendingRequestFactory(library=lender, partner=partner)
    note = partner_note(request, partner)
    client.force_login(lending_staff)
    page = client.get(reverse("lending:request", args=[request.pk]))
    assert 'text-bg-danger">New</span>' in page.content.decode()  # shown as new this once
    note.refresh_from_db()
    assert note.read_by == lending_staff
    again = client.get(reverse("lending:request", args=[request.pk]))
    assert 'text-bg-danger">New</span>' not in again.content.decode()


def test_the_nav_shows_how_many_messages_are_unread(client, borrower, borrowing_staff, partner):
    request = IllRequestFactory(library=borrower, partner=partner)
    partner_note(request, partner)
    partner_note(request, partner)
    client.force_login(borrowing_staff)
    html = client.get(reverse("home")).content.decode()
    assert 'Inbox <span class="badge rounded-pill text-bg-danger">2<span class="visually-hidden"> unread' in html


def test_the_dashboard_shows_the_newest_unread_messages(client, borrower, borrowing_staff, partner):
    partner_note(IllRequestFactory(library=borrower, partner=partner), partner, "On the dashboard")
    client.force_login(borrowing_staff)
    response = client.get(reverse("home"))
    assert [n.text for n in response.context["inbox"]["notes"]] == ["On the dashboard"]
    assert "On the dashboard" in response.content.decode()


def test_a_patron_has_no_inbox(client, patron):
    client.force_login(patron)
    assert client.get(INBOX).status_code == 403
    assert client.post(READ, {"all": "1"}).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("url", [INBOX, reverse("home")])
def test_the_inbox_takes_the_same_queries_for_two_notes_as_for_thirty(client, borrower, borrowing_staff, partner,
                                                                        patron, url, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            request = IllRequestFactory(library=borrower, partner=partner, patron=patron)
            partner_note(request, partner, f"partner {i}")
            Note.objects.create(request=request, text=f"patron {i}", visibility=NoteVisibility.PATRON, author=patron)

    client.force_login(borrowing_staff)
    add(1)
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    add(14)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_patron_message_from_another_patron_account_is_not_from_the_patron(client, borrower, borrowing_staff,
                                                                             patron):
    request = IllRequestFactory(library=borrower, patron=patron)
    Note.objects.create(request=request, text="Not theirs", visibility=NoteVisibility.PATRON,
                        author=PatronFactory(profile__library=borrower))
    client.force_login(borrowing_staff)
    assert inbox_texts(client) == []
