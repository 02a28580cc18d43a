"""Session lifetimes: staff are signed out after eight idle hours; a patron's session lasts its configured age."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from illms.middleware import LAST_ACTIVITY_KEY
from tests.factories import PASSWORD, MemberLibraryFactory, PatronFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

EIGHT_HOURS = 8 * 60 * 60
QUEUE = "/borrowing/queue/"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(library=MemberLibraryFactory()))
    client.get(QUEUE)
    return client


def set_last_activity(client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds_ago
    session.save()


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_a_staff_members_idle_time_starts_when_they_sign_in(client):
    staff = StaffFactory(library=MemberLibraryFactory())
    client.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    assert abs(client.session[LAST_ACTIVITY_KEY] - time.time()) < 5


def test_staff_idle_longer_than_eight_hours_are_signed_out_and_sent_to_the_login_page(staff_client):
    set_last_activity(staff_client, EIGHT_HOURS + 1)
    response = staff_client.get(QUEUE + "?status=sourcing")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fborrowing%2Fqueue%2F%3Fstatus%3Dsourcing"
    assert not signed_in(staff_client)


def test_the_login_page_says_why_an_idle_staff_member_was_signed_out(staff_client):
    set_last_activity(staff_client, EIGHT_HOURS + 1)
    page = staff_client.get(QUEUE, follow=True).content.decode()
    assert "You were signed out after 8 hours without activity. Sign in again to go on." in page
    assert "Sign in" in page


def test_staff_idle_for_less_than_eight_hours_stay_signed_in(staff_client):
    set_last_activity(staff_client, EIGHT_HOURS - 60)
    assert staff_client.get(QUEUE).status_code == 200
    assert signed_in(staff_client)


def test_the_idle_timeout_follows_the_setting(staff_client, settings):
    settings.ILLMS_STAFF_SESSION_IDLE_SECONDS = 30 * 60
    set_last_activity(staff_client, 31 * 60)
    assert staff_client.get(QUEUE).status_code == 302
    assert not signed_in(staff_client)


def test_activity_is_written_to_the_session_at_most_once_a_minute(staff_client):
    set_last_activity(staff_client, 30)
    recorded = staff_client.session[LAST_ACTIVITY_KEY]
    staff_client.get(QUEUE)
    assert staff_client.session[LAST_ACTIVITY_KEY] == recorded
    set_last_activity(staff_client, 61)
    staff_client.get(QUEUE)
    assert abs(staff_client.session[LAST_ACTIVITY_KEY] - time.time()) < 5


def test_a_request_within_the_minute_does_not_save_the_session(staff_client):
    set_last_activity(staff_client, 30)
    row = Session.objects.get(session_key=staff_client.session.session_key)
    Session.objects.filter(pk=row.pk).update(expire_date=row.expire_date - timedelta(hours=1))
    staff_client.get(QUEUE)
    assert Session.objects.get(pk=row.pk).expire_date == row.expire_date - timedelta(hours=1)


def test_an_idle_staff_members_htmx_request_is_redirected_to_the_login_page_by_htmx(staff_client):
    set_last_activity(staff_client, EIGHT_HOURS + 1)
    response = staff_client.get(QUEUE, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fborrowing%2Fqueue%2F"
    assert not signed_in(staff_client)


def test_an_idle_staff_members_api_call_is_answered_as_unauthenticated(staff_client):
    set_last_activity(staff_client, EIGHT_HOURS + 1)
    response = staff_client.get("/api/v1/requests/")
    assert response.status_code in {401, 403}
    assert response["Content-Type"].startswith("application/json")
    assert not signed_in(staff_client)


def test_an_admin_account_without_a_staff_profile_is_timed_out_too(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.get("/admin/")
    set_last_activity(client, EIGHT_HOURS + 1)
    assert client.get("/admin/").status_code == 302
    assert not signed_in(client)


def test_a_staff_member_who_signs_in_again_starts_a_fresh_idle_period(client):
    staff = StaffFactory(library=MemberLibraryFactory())
    client.force_login(staff)
    client.get(QUEUE)
    set_last_activity(client, EIGHT_HOURS + 1)
    client.get(QUEUE)
    client.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    assert client.get(QUEUE).status_code == 200


# Patrons


@pytest.fixture
def patron():
    return PatronFactory()


def test_a_patrons_session_is_not_tracked_for_idleness(client, patron):
    client.force_login(patron)
    assert client.get("/requests/").status_code == 200
    assert LAST_ACTIVITY_KEY not in client.session


def test_a_patrons_session_lasts_fourteen_days_from_sign_in(client, patron):
    response = client.post("/accounts/login/", {"username": patron.username, "password": PASSWORD})
    assert response.cookies["sessionid"]["max-age"] == 14 * 24 * 60 * 60
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    assert abs(expiry - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)


def test_the_patron_session_age_follows_the_setting(client, patron, settings):
    settings.SESSION_COOKIE_AGE = 2 * 24 * 60 * 60
    response = client.post("/accounts/login/", {"username": patron.username, "password": PASSWORD})
    assert response.cookies["sessionid"]["max-age"] == 2 * 24 * 60 * 60


def test_a_patron_whose_session_has_expired_must_sign_in_again(client, patron):
    client.post("/accounts/login/", {"username": patron.username, "password": PASSWORD})
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/requests/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
