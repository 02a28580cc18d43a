"""Staff make a request for a patron (telephone, walk-in, e-mail) on the borrowing desk, with the patron's checks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app import history, messaging, roles
from requests_app.actors import ActorKind
from requests_app.models import Event, IllRequest, Note, NoteVisibility, OutgoingEmail, PatronRecordAccess
from tests.factories import (
    IllRequestFactory,
    MemberLibraryFactory,
    PatronFactory,
    PatronProfileFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BOOK = {
    "title": "The Structure of Scientific Revolutions",
    "author": "Kuhn, Thomas S.",
    "publication_date": "1962",
    "delivery_method": "physical",
    "channel": "telephone",
}
ARTICLE = {
    "title": "Molecular structure of nucleic acids",
    "container_title": "Nature",
    "publication_date": "1953",
    "volume": "171",
    "pages": "737-738",
    "delivery_method": "electronic",
    "channel": "email",
    "copyright_received": "email",
}


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", name="Home University Library")


@pytest.fixture
def clerk(client, home):
    user = StaffFactory(library=home, groups=[roles.BORROWING_STAFF], first_name="Jane", last_name="Clerk")
    client.force_login(user)
    return user


@pytest.fixture
def patron(home):
    return PatronFactory(
        first_name="Amara",
        last_name="Okafor",
        email="aokafor@example.edu",
        profile__library=home,
        profile__card_barcode="21000000000042",
    )


def search(client, q: str):
    return client.get(reverse("borrowing_staff:for-patron"), {"q": q})


def found_ids(response) -> list[int]:
    return [profile.user_id for profile in response.context["patrons"]]


def form_url(patron, fmt: str = "book") -> str:
    return reverse("borrowing_staff:for-patron-form", args=[patron.pk, fmt])


# Finding the patron -----------------------------------------------------------------------------


def test_the_borrowing_desk_links_to_a_new_request_for_a_patron(client, clerk):
    response = client.get(reverse("borrowing_staff:queue"))
    assert reverse("borrowing_staff:for-patron").encode() in response.content


@pytest.mark.parametrize("q", ["okafor", "Amara Okafor", "aokafor@example", "21000000000042"])
def test_staff_find_a_patron_by_name_email_or_card_barcode(client, clerk, patron, q):
    assert found_ids(search(client, q)) == [patron.pk]


def test_a_patron_of_another_library_is_never_found(client, clerk, patron):
    other = PatronFactory(first_name="Amara", last_name="Okafor", profile__card_barcode="99")
    response = search(client, "Okafor")
    assert found_ids(response) == [patron.pk]
    assert found_ids(search(client, "99")) == []
    assert other.patron_profile.library != clerk.staff_profile.library


def test_the_search_lists_many_patrons_in_constant_queries(client, clerk, home, django_assert_max_num_queries):
    PatronProfileFactory(library=home, user__last_name="Okafor")
    with django_assert_max_num_queries(12) as few:
        search(client, "okafor")
    PatronProfileFactory.create_batch(8, library=home, user__last_name="Okafor")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = search(client, "okafor")
    assert len(response.context["patrons"]) == 9


def test_the_search_shows_each_patrons_open_requests(client, clerk, home, patron):
    IllRequestFactory.create_batch(2, library=home, patron=patron)
    IllRequestFactory(library=home, patron=patron, status=BorrowingStatus.COMPLETED)
    assert search(client, "okafor").context["patrons"][0].open_requests == 2


def test_the_patrons_found_are_written_in_the_access_log(client, clerk, patron):
    search(client, "okafor")
    assert PatronRecordAccess.objects.filter(staff=clerk, patron=patron).exists()


# Making the request -----------------------------------------------------------------------------


def test_a_clerk_makes_a_telephone_request_that_belongs_to_the_patron(client, clerk, patron):
    response = client.post(form_url(patron), BOOK)
    created = IllRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("borrowing_staff:request", args=[created.pk])
    assert (created.patron, created.status, created.title) == (patron, BorrowingStatus.SUBMITTED, BOOK["title"])
    assert created.requesting_agency_request_id == f"HOME-{created.pk}"


def test_the_first_event_names_the_clerk_and_the_channel(client, clerk, patron):
    client.post(form_url(patron), BOOK)
    event = Event.objects.get(action="create")
    assert (event.actor_kind, event.actor_user, event.data) == (
        ActorKind.STAFF,
        clerk,
        {"for_patron": True, "channel": "telephone"},
    )


def test_staff_history_reads_made_by_the_clerk_for_the_patron_by_telephone(client, clerk, patron):
    client.post(form_url(patron), BOOK)
    created = IllRequest.objects.get()
    line = history.lines(created)[0]
    assert f"by {line.who} {line.how}" == "by Jane Clerk for the patron, by telephone"
    page = client.get(reverse("borrowing_staff:request", args=[created.pk])).content.decode()
    assert "by Jane Clerk for the patron, by telephone" in page


def test_a_copy_records_how_the_patron_accepted_the_copyright_warning(client, clerk, patron):
    client.post(form_url(patron, "article"), ARTICLE)
    created = IllRequest.objects.get()
    assert created.events.get().data["copyright_accepted"] == "email"
    line = history.lines(created)[0]
    assert line.outcome == "the patron accepted the copyright warning by e-mail"
    assert line.how == "by e-mail"


def test_a_copy_without_the_copyright_acceptance_is_refused_and_nothing_is_made(client, clerk, patron):
    response = client.post(form_url(patron, "article"), {**ARTICLE, "copyright_received": ""})
    assert response.status_code == 200
    assert "record how they did" in response.context["form"].errors["copyright_received"][0]
    assert not IllRequest.objects.exists()


def test_the_copy_form_shows_the_copyright_warning_and_no_patron_tick_box(client, clerk, patron):
    response = client.get(form_url(patron, "article"))
    assert "copyright_accepted" not in response.context["form"].fields
    assert b"17, United States Code" in response.content


def test_a_request_without_how_it_came_in_is_refused(client, clerk, patron):
    response = client.post(form_url(patron), {**BOOK, "channel": ""})
    assert "Choose how the request came in." in response.context["form"].errors["channel"]
    assert not IllRequest.objects.exists()


def test_bad_input_shows_the_form_with_its_errors_and_makes_nothing(client, clerk, patron):
    response = client.post(form_url(patron), {**BOOK, "title": "", "isbn": "12345"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"title", "isbn"}
    assert not IllRequest.objects.exists()


# The patron's checks ----------------------------------------------------------------------------


def test_a_blocked_patron_is_refused_as_on_the_patron_form(client, clerk, home):
    blocked = PatronFactory(profile__library=home, profile__blocked=True, profile__blocked_reason="unpaid fees")
    shown = client.get(form_url(blocked)).content.decode()
    assert "The patron&#x27;s account is blocked from interlibrary loan: unpaid fees" in shown
    response = client.post(form_url(blocked), BOOK)
    assert "unpaid fees" in " ".join(response.context["form"].non_field_errors())
    assert not IllRequest.objects.exists()


def test_a_patron_at_the_limit_is_refused_as_on_the_patron_form(client, clerk, home, patron, settings):
    settings.ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON = 1
    IllRequestFactory(library=home, patron=patron)
    response = client.post(form_url(patron), BOOK)
    assert "The patron has 1 active requests, the most allowed is 1" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert IllRequest.objects.count() == 1


def test_a_possible_duplicate_waits_for_confirmation_then_is_noted_as_the_clerks(client, clerk, home, patron):
    IllRequestFactory(library=home, patron=patron, title=BOOK["title"])
    response = client.post(form_url(patron), BOOK)
    assert response.context["duplicates"] and IllRequest.objects.count() == 1
    client.post(form_url(patron), {**BOOK, "submit_anyway": "on"})
    note = Note.objects.get()
    assert IllRequest.objects.count() == 2
    assert (note.author, note.visibility) == (clerk, NoteVisibility.INTERNAL)
    assert note.text.startswith("Jane Clerk confirmed this request for the patron although it may duplicate")


# The patron sees it -----------------------------------------------------------------------------


def test_the_patron_sees_the_request_made_for_them_by_telephone(client, clerk, patron):
    client.post(form_url(patron), BOOK)
    created = IllRequest.objects.get()
    client.force_login(patron)
    assert created in client.get(reverse("patron-requests")).context["page"].object_list
    page = client.get(reverse("patron-request", args=[created.pk])).content.decode()
    assert "The request was made for you, by telephone" in page
    assert "Jane Clerk" not in page


def test_the_patron_gets_the_usual_e_mails_about_it(client, clerk, patron):
    client.post(form_url(patron), BOOK)
    created = IllRequest.objects.get()
    messaging.write_note(request=created, visibility=NoteVisibility.PATRON, author=clerk, text="It is on its way.")
    assert OutgoingEmail.objects.filter(request=created, recipient=patron.email).exists()


# Who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["for-patron", "for-patron-formats", "for-patron-form"])
def test_lending_staff_may_not_make_a_request_for_a_patron(client, home, patron, name):
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    args = {"for-patron": [], "for-patron-formats": [patron.pk], "for-patron-form": [patron.pk, "book"]}[name]
    assert client.get(reverse("borrowing_staff:" + name, args=args)).status_code == 403


def test_a_patron_may_not_make_a_request_for_another_patron(client, home, patron):
    client.force_login(PatronFactory(profile__library=home))
    assert client.post(form_url(patron), BOOK).status_code == 403
    assert not IllRequest.objects.exists()


def test_signing_in_comes_first(client, patron):
    response = client.get(form_url(patron))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_patron_of_another_library_is_refused_with_a_clear_error(client, clerk):
    stranger = PatronFactory()
    response = client.post(form_url(stranger), BOOK)
    assert response.status_code == 404
    assert f"No patron of Home University Library has the number {stranger.pk}." in response.content.decode()
    assert not IllRequest.objects.exists()


def test_an_unknown_patron_id_or_a_staff_account_is_refused_with_a_clear_error(client, clerk):
    for patron_id in [UserFactory().pk, 987654]:
        response = client.get(reverse("borrowing_staff:for-patron-formats", args=[patron_id]))
        assert response.status_code == 404
        assert "No patron of Home University Library has the number" in response.content.decode()


def test_the_service_refuses_a_patron_of_another_library(clerk, home):
    from django.core.exceptions import ValidationError

    from borrowing.services import patrons

    with pytest.raises(ValidationError, match="not registered with Home University Library"):
        patrons.submit_for_patron(
            staff=clerk, library=home, patron=PatronFactory(), channel="telephone", format="book", title="Anything"
        )
    assert not IllRequest.objects.exists()
