"""“My requests”: the patron's list, a request's page with its timeline and actions, preferences."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app.actors import ActorKind
from requests_app.models import Event, EventSource, NoteVisibility
from requests_app.services import add_note
from tests.factories import (
    IllRequestFactory,
    LibraryFactory,
    PatronFactory,
    PickupLocationFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


def own_request(patron, **fields):
    return IllRequestFactory(patron=patron, library=patron.patron_profile.library, **fields)


def detail(client, request):
    return client.get(reverse("patron-request", args=[request.pk]))


def test_my_requests_lists_only_the_patrons_own_requests_newest_first(client, patron):
    older = own_request(patron, title="Older")
    newer = own_request(patron, title="Newer")
    IllRequestFactory(title="Someone else's")
    response = client.get(reverse("patron-requests"))
    assert [row["ill_request"].pk for row in response.context["rows"]] == [newer.pk, older.pk]
    assert b"Someone else" not in response.content


def test_my_requests_shows_the_status_label_and_its_description(client, patron):
    own_request(patron, status=BorrowingStatus.READY_FOR_PICKUP)
    content = client.get(reverse("patron-requests")).content.decode()
    assert "Ready for pickup" in content
    assert "waiting for you at the pickup desk" in content


def test_every_borrowing_state_has_a_description_for_patrons():
    from borrowing.states import PATRON_DESCRIPTIONS, BorrowingStatus

    assert set(PATRON_DESCRIPTIONS) == set(BorrowingStatus)


def test_my_requests_is_paginated(client, patron):
    for _ in range(25):
        own_request(patron)
    assert len(client.get(reverse("patron-requests")).context["rows"]) == 20
    assert len(client.get(reverse("patron-requests") + "?page=2").context["rows"]) == 5


def test_my_requests_runs_the_same_number_of_queries_for_three_rows_as_for_twenty(client, patron):
    for _ in range(3):
        own_request(patron)
    url = reverse("patron-requests")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(17):
        own_request(patron, pickup_location=PickupLocationFactory(library=patron.patron_profile.library))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_nav_shows_patron_links_to_patrons(client, patron):
    content = client.get(reverse("patron-requests")).content.decode()
    assert reverse("patron-request-new") in content and "My requests" in content


def test_the_nav_hides_patron_links_from_staff(client):
    client.force_login(StaffFactory())
    assert reverse("patron-request-new") not in client.get(reverse("home")).content.decode()


def test_another_patrons_request_is_not_found(client, patron):
    assert detail(client, IllRequestFactory()).status_code == 404


def test_the_detail_page_shows_the_citation_and_plain_language_status(client, patron):
    request = own_request(patron, title="The Name of the Rose", status=BorrowingStatus.SOURCING)
    content = detail(client, request).content.decode()
    assert "The Name of the Rose" in content
    assert "Sourcing" in content


def test_the_timeline_names_the_actors_without_staff_names(client, patron):
    lender = LibraryFactory(name="Lakeside University Library")
    request = own_request(patron, partner=lender, status=BorrowingStatus.EXPECTS_TO_SUPPLY)
    staff = StaffFactory(first_name="Secret", last_name="Staffname")
    for kind, extra in [(ActorKind.PATRON, {"actor_user": patron}), (ActorKind.STAFF, {"actor_user": staff}),
                        (ActorKind.PARTNER, {"actor_library": lender}), (ActorKind.SYSTEM, {"actor_name": "rota"})]:
        Event.objects.create(request=request, action="verify", from_status=BorrowingStatus.SUBMITTED,
                             to_status=BorrowingStatus.SOURCING,
                             actor_kind=kind, source=EventSource.WEB, **extra)
    response = detail(client, request)
    assert [e.who for e in response.context["timeline"]] == [
        "you", "the ILL office", "Lakeside University Library", "automatic"]
    assert "Staffname" not in response.content.decode()


def test_the_patron_sees_notes_meant_for_them_and_not_internal_ones(client, patron):
    request = own_request(patron)
    add_note(request=request, text="Your book arrives next week", visibility=NoteVisibility.PATRON)
    add_note(request=request, text="Patron is difficult", visibility=NoteVisibility.INTERNAL)
    content = detail(client, request).content.decode()
    assert "Your book arrives next week" in content
    assert "Patron is difficult" not in content


def test_a_submitted_request_offers_cancel(client, patron):
    request = own_request(patron, status=BorrowingStatus.SUBMITTED)
    assert [t.action for t in detail(client, request).context["actions"]] == ["cancel"]


def test_a_request_with_a_lender_offers_to_ask_the_lender_to_cancel(client, patron):
    request = own_request(patron, status=BorrowingStatus.SENT)
    assert [t.action for t in detail(client, request).context["actions"]] == ["request_cancel"]


def test_a_checked_out_loan_offers_a_renewal(client, patron):
    request = own_request(patron, status=BorrowingStatus.CHECKED_OUT)
    assert [t.action for t in detail(client, request).context["actions"]] == ["request_renewal"]


def test_a_conditional_answer_offers_accept_and_refuse_to_the_patron(client, patron):
    request = own_request(patron, status=BorrowingStatus.CONDITIONAL)
    actions = {t.action for t in detail(client, request).context["actions"]}
    assert {"accept_conditions", "reject_conditions"} <= actions


def test_cancelling_moves_the_request_and_logs_the_patron(client, patron):
    request = own_request(patron, status=BorrowingStatus.SUBMITTED)
    response = client.post(reverse("patron-request-action", args=[request.pk, "cancel"]),
                           {"expected_status": BorrowingStatus.SUBMITTED, "confirmed": "1"}, follow=True)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED
    event = Event.objects.get(request=request)
    assert (event.actor_kind, event.actor_user) == (ActorKind.PATRON, patron)
    assert "Cancelled" in response.content.decode()


def test_an_action_on_an_out_of_date_page_changes_nothing_and_says_why(client, patron):
    request = own_request(patron, status=BorrowingStatus.SENT)
    response = client.post(reverse("patron-request-action", args=[request.pk, "cancel"]),
                           {"expected_status": BorrowingStatus.SUBMITTED}, follow=True)
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SENT
    assert "changed meanwhile" in response.content.decode()


def test_a_patron_cannot_perform_a_staff_action(client, patron):
    request = own_request(patron, status=BorrowingStatus.RECEIVED)
    client.post(reverse("patron-request-action", args=[request.pk, "check_out"]),
                {"expected_status": BorrowingStatus.RECEIVED})
    request.refresh_from_db()
    assert request.status == BorrowingStatus.RECEIVED


def test_a_patron_cannot_act_on_another_patrons_request(client, patron):
    other = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    response = client.post(reverse("patron-request-action", args=[other.pk, "cancel"]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == BorrowingStatus.SUBMITTED


def test_actions_need_a_post(client, patron):
    request = own_request(patron, status=BorrowingStatus.SUBMITTED)
    assert client.get(reverse("patron-request-action", args=[request.pk, "cancel"])).status_code == 405


def test_an_unknown_action_is_refused_with_a_message(client, patron):
    request = own_request(patron, status=BorrowingStatus.SUBMITTED)
    response = client.post(reverse("patron-request-action", args=[request.pk, "explode"]), follow=True)
    assert "no action" in response.content.decode()


def test_the_preferences_page_saves_the_patrons_choices(client, patron):
    desk = PickupLocationFactory(library=patron.patron_profile.library, name="Science desk")
    response = client.post(reverse("patron-preferences"), {"pickup_location": desk.pk, "due_date_reminders": "on"})
    assert response.status_code == 302
    profile = patron.patron_profile
    profile.refresh_from_db()
    assert (profile.notify_by_email, profile.due_date_reminders, profile.pickup_location) == (False, True, desk)


def test_the_preferences_page_offers_only_the_patrons_librarys_pickup_locations(client, patron):
    PickupLocationFactory(name="Far away")
    response = client.get(reverse("patron-preferences"))
    assert "Far away" not in response.content.decode()


def test_the_detail_page_runs_the_same_number_of_queries_for_one_event_as_for_ten(client, patron):
    lender = LibraryFactory()
    request = own_request(patron, partner=lender, status=BorrowingStatus.SENT)

    def log(n):
        for _ in range(n):
            Event.objects.create(request=request, action="lender_expects_to_supply", from_status=BorrowingStatus.SENT,
                                 to_status=BorrowingStatus.EXPECTS_TO_SUPPLY, actor_kind=ActorKind.PARTNER,
                                 actor_library=lender)
            add_note(request=request, text="A note for you", visibility=NoteVisibility.PATRON)

    log(1)
    with CaptureQueriesContext(connection) as few:
        assert detail(client, request).status_code == 200
    log(9)
    with CaptureQueriesContext(connection) as many:
        assert detail(client, request).status_code == 200
    assert len(many) == len(few)
