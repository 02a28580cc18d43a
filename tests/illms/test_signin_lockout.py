"""Sign-in throttling (django-axes): an account is locked for one address after ten wrong passwords in a row."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse

from requests_app import roles
from tests.factories import PASSWORD, MemberLibraryFactory, PatronFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
HOME_ADDRESS = "192.0.2.10"
OTHER_ADDRESS = "198.51.100.20"


def sign_in(client, username: str, password: str, *, url: str = LOGIN, address: str = HOME_ADDRESS, **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def fail(client, username: str, times: int, **kwargs) -> None:
    for _ in range(times):
        sign_in(client, username, "not the password", **kwargs)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def staff():
    return StaffFactory(library=MemberLibraryFactory(), username="bea")


def test_a_wrong_password_is_answered_with_the_sign_in_form_again(client, staff):
    response = sign_in(client, staff.username, "not the password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_the_right_password_after_nine_wrong_ones_signs_in(client, staff):
    fail(client, staff.username, 9)
    assert sign_in(client, staff.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_tenth_wrong_password_locks_the_account_for_this_address(client, staff):
    fail(client, staff.username, 9)
    response = sign_in(client, staff.username, "not the password")
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username=staff.username, ip_address=HOME_ADDRESS).failures_since_start == 10


def test_eleventh_sign_in_is_refused_even_with_the_right_password(client, staff):
    fail(client, staff.username, 10)
    response = sign_in(client, staff.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lockout_page_says_the_account_is_locked_for_this_address_and_when_to_try_again(client, staff):
    fail(client, staff.username, 10)
    response = sign_in(client, staff.username, PASSWORD)
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert f"<strong>{staff.username}</strong>" in page
    assert f"from your address ({HOME_ADDRESS}) is locked" in page
    assert "Try again after" in page and "60 minutes from now" in page
    assert response["Retry-After"] == "3600"
    assert 'href="/static/css/illms.css"' in page, "the page has the site's look"
    assert "Traceback" not in page


def test_a_lock_for_one_address_does_not_lock_another_address(client, staff):
    fail(client, staff.username, 10, address=HOME_ADDRESS)
    assert sign_in(client, staff.username, PASSWORD, address=OTHER_ADDRESS).status_code == 302
    assert signed_in(client)


def test_a_lock_of_one_account_does_not_lock_another_account_from_the_same_address(client, staff):
    other = PatronFactory(username="pat")
    fail(client, staff.username, 10)
    assert sign_in(client, other.username, PASSWORD).status_code == 302


def test_a_right_password_starts_the_count_again(client, staff):
    fail(client, staff.username, 9)
    sign_in(client, staff.username, PASSWORD)
    client.logout()
    fail(client, staff.username, 9)
    assert sign_in(client, staff.username, PASSWORD).status_code == 302


def test_the_lock_ends_once_the_cool_off_has_passed_since_the_last_try(client, staff):
    fail(client, staff.username, 10)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=61))
    assert sign_in(client, staff.username, PASSWORD).status_code == 302


def test_the_failure_limit_and_cool_off_follow_the_settings(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=5)
    fail(client, staff.username, 3)
    response = sign_in(client, staff.username, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "300"


def test_the_django_admin_login_is_locked_too(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    fail(client, admin.username, 10, url=ADMIN_LOGIN)
    response = sign_in(client, admin.username, PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert not signed_in(client)


def test_a_lock_from_the_admin_login_also_holds_on_the_site_login(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    fail(client, admin.username, 10, url=ADMIN_LOGIN)
    assert sign_in(client, admin.username, PASSWORD, url=LOGIN).status_code == 429


def test_failures_and_the_lockout_are_logged(client, staff, caplog):
    with caplog.at_level(logging.WARNING):
        fail(client, staff.username, 10)
        sign_in(client, staff.username, PASSWORD)
    messages = [record.getMessage() for record in caplog.records]
    assert any("New login failure" in m and staff.username in m for m in messages)
    assert any("Locking out" in m and staff.username in m and HOME_ADDRESS in m for m in messages)
    assert any(m.startswith(f"Sign-in refused: '{staff.username}' is locked for address {HOME_ADDRESS}")
               for m in messages)
    assert AccessFailureLog.objects.filter(username=staff.username, ip_address=HOME_ADDRESS).count() == 11
    assert not any(PASSWORD in m for m in messages)


# Unlocking


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="installer", is_staff=True, is_superuser=True))
    return client


def test_deleting_the_lockout_in_the_admin_lets_the_right_password_in(client, staff):
    fail(client, staff.username, 10)
    attempt = AccessAttempt.objects.get(username=staff.username)
    client.force_login(UserFactory(username="installer", is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "Locked Out" in listing.content.decode()
    response = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, staff.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_an_ill_administrator_cannot_see_or_lift_lockouts_in_the_admin(client, staff):
    fail(client, staff.username, 10)
    attempt = AccessAttempt.objects.get()
    ill_admin = StaffFactory(library=staff.staff_profile.library, groups=[roles.ILL_ADMINISTRATOR], is_staff=True)
    client.force_login(ill_admin)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert "Access attempts" not in client.get(reverse("admin:index")).content.decode()
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_the_axes_reset_username_command_unlocks_the_account(client, staff):
    fail(client, staff.username, 10)
    call_command("axes_reset_username", staff.username)
    assert sign_in(client, staff.username, PASSWORD).status_code == 302


# Behind reverse proxies


PROXY = "192.0.2.1"


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, staff, settings):
    settings.ILLMS_TRUSTED_PROXY_COUNT = 1
    fail(client, staff.username, 10, address=PROXY, HTTP_X_FORWARDED_FOR=HOME_ADDRESS)
    assert AccessAttempt.objects.get().ip_address == HOME_ADDRESS
    assert sign_in(client, staff.username, PASSWORD, address=PROXY,
                   HTTP_X_FORWARDED_FOR=OTHER_ADDRESS).status_code == 302


def test_a_client_cannot_escape_the_lock_by_writing_its_own_forwarded_for(client, staff, settings):
    settings.ILLMS_TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        sign_in(client, staff.username, "not the password", address=PROXY,
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {HOME_ADDRESS}")
    response = sign_in(client, staff.username, PASSWORD, address=PROXY,
                       HTTP_X_FORWARDED_FOR=f"203.0.113.99, {HOME_ADDRESS}")
    assert response.status_code == 429


def test_without_a_trusted_proxy_forwarded_for_is_ignored(client, staff):
    for n in range(10):
        sign_in(client, staff.username, "not the password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert sign_in(client, staff.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_a_forwarded_for_that_is_no_address_counts_by_the_connecting_address(client, staff, settings):
    settings.ILLMS_TRUSTED_PROXY_COUNT = 1
    response = sign_in(client, staff.username, "not the password", address=PROXY, HTTP_X_FORWARDED_FOR="junk")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == PROXY


def test_the_test_clients_login_goes_through_the_lockout_too(client, staff):
    fail(client, staff.username, 10, address="127.0.0.1")
    assert not client.login(username=staff.username, password=PASSWORD)
