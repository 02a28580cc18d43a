"""After the password, a staff member with an authenticator app gives its code (or a recovery code) to get in."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from requests_app import roles
from tests.factories import (
    PASSWORD,
    MemberLibraryFactory,
    PatronFactory,
    StaffFactory,
    give_authenticator,
    totp_code,
)

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/"
ADDRESS = "192.0.2.44"


def sign_in(client, user, *, url: str = LOGIN, next_url: str = ""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(url, data, REMOTE_ADDR=ADDRESS)


def give_code(client, code: str):
    return client.post(VERIFY, {"code": code}, REMOTE_ADDR=ADDRESS)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def lender():
    """Lending staff (two factors optional) who set up an authenticator app."""
    user = StaffFactory(library=MemberLibraryFactory(), groups=[roles.LENDING_STAFF])
    give_authenticator(user, recovery_codes=("aaaabbbb", "ccccdddd"))
    return user


def test_the_right_password_of_staff_with_an_authenticator_asks_for_the_code_and_signs_nobody_in(client, lender):
    response = sign_in(client, lender)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert not signed_in(client)
    assert "Your code" in client.get(VERIFY).content.decode()


def test_the_authenticators_code_signs_in_and_goes_on_to_the_page_asked_for(client, lender):
    sign_in(client, lender, next_url="/lending/queue/")
    response = give_code(client, totp_code(lender.totpdevice_set.get()))
    assert response.status_code == 302 and response["Location"] == "/lending/queue/"
    assert int(client.session[SESSION_KEY]) == lender.pk
    assert client.session[DEVICE_ID_SESSION_KEY] == lender.totpdevice_set.get().persistent_id


def test_a_wrong_code_is_refused_with_a_clear_message_and_signs_nobody_in(client, lender):
    sign_in(client, lender)
    response = give_code(client, "000000" if totp_code(lender.totpdevice_set.get()) != "000000" else "111111")
    assert response.status_code == 400
    assert "That code is wrong or was already used" in response.content.decode()
    assert not signed_in(client)


def test_a_code_already_used_cannot_sign_in_again(client, lender):
    code = totp_code(lender.totpdevice_set.get())
    sign_in(client, lender)
    give_code(client, code)
    client.post("/accounts/logout/")
    sign_in(client, lender)
    response = give_code(client, code)
    assert response.status_code == 400 and "already used" in response.content.decode()
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(client, lender):
    sign_in(client, lender)
    assert give_code(client, "AAAA-BBBB").status_code == 302, "typed in capitals with a dash, as shown in groups"
    assert signed_in(client)
    client.post("/accounts/logout/")
    sign_in(client, lender)
    response = give_code(client, "aaaabbbb")
    assert response.status_code == 400 and "wrong or was already used" in response.content.decode()
    assert lender.staticdevice_set.get().token_set.count() == 1


def test_after_a_wrong_code_the_next_try_waits_and_says_so(client, lender):
    sign_in(client, lender)
    give_code(client, "12345x")
    give_code(client, "999999" if totp_code(lender.totpdevice_set.get()) != "999999" else "888888")
    response = give_code(client, totp_code(lender.totpdevice_set.get()))
    assert response.status_code == 400
    assert "Too many wrong codes in a row: wait" in response.content.decode()
    assert not signed_in(client)


def test_wrong_codes_count_with_wrong_passwords_and_lock_the_account_for_this_address(client, lender, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, lender)
    for wrong in ("zzzzzzz1", "zzzzzzz2"):
        assert give_code(client, wrong).status_code == 400
    response = give_code(client, "zzzzzzz3")
    assert response.status_code == 429 and "Sign-in locked" in response.content.decode()
    assert AccessAttempt.objects.get(username=lender.username).failures_since_start == 3
    assert give_code(client, totp_code(lender.totpdevice_set.get())).status_code == 429


def test_the_code_page_without_a_password_first_sends_to_the_sign_in(client, lender):
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_staff_of_an_optional_role_without_an_authenticator_are_signed_in_by_the_password(client):
    user = StaffFactory(groups=[roles.BORROWING_STAFF])
    assert sign_in(client, user)["Location"] == "/"
    assert signed_in(client)


def test_patrons_are_never_asked_for_a_code(client):
    patron = PatronFactory()
    assert sign_in(client, patron)["Location"] == "/"
    assert signed_in(client)


def test_the_admin_login_asks_for_the_code_too_and_then_opens_the_admin(client):
    root = StaffFactory(username="root", is_staff=True, is_superuser=True, groups=[])
    device = give_authenticator(root)
    response = sign_in(client, root, url="/admin/login/")
    assert response["Location"] == VERIFY and not signed_in(client)
    assert give_code(client, totp_code(device))["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_is_the_sites_sign_in(client):
    page = client.get("/admin/login/?next=/admin/").content.decode()
    assert 'name="password"' in page and 'href="/static/css/illms.css"' in page


def test_an_admin_page_without_the_second_step_done_sends_to_the_sign_in(client):
    root = StaffFactory(username="root", is_staff=True, is_superuser=True, groups=[])
    give_authenticator(root)
    sign_in(client, root, url="/admin/login/")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_role_name_no_role_has_is_a_warning_of_the_system_check(settings):
    from requests_app.two_factor.checks import role_names_are_roles

    settings.ILLMS_2FA_REQUIRED_ROLES = ["ILL administrator", "ILL admins"]
    settings.ILLMS_IDENTITY_STAFF_ROLES = {"dir": roles.DIRECTORY_ADMINISTRATOR}
    assert [w.id for w in role_names_are_roles()] == ["illms.W301", "illms.W302"]


def test_the_default_role_names_pass_the_system_check():
    from requests_app.two_factor.checks import role_names_are_roles

    assert role_names_are_roles() == []
