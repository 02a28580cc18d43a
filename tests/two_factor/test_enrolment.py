"""Setting up an authenticator app: required roles before they reach anything, other staff when they choose."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from requests_app import roles
from tests.factories import PASSWORD, MemberLibraryFactory, StaffFactory, give_authenticator, totp_code

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ENROL = "/accounts/two-factor/set-up/"
CODES = "/accounts/two-factor/recovery-codes/"
SECURITY = "/accounts/security/"


def sign_in(client, user, next_url: str = ""):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD, "next": next_url})


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def device_being_set_up(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


@pytest.fixture
def administrator():
    return StaffFactory(library=MemberLibraryFactory(), groups=[roles.ILL_ADMINISTRATOR], is_staff=True)


@pytest.mark.parametrize("role", [roles.ILL_ADMINISTRATOR, roles.BILLING_STAFF])
def test_a_role_that_requires_two_factors_is_sent_to_set_up_an_authenticator_after_the_password(client, role):
    user = StaffFactory(groups=[role])
    assert sign_in(client, user)["Location"] == ENROL
    assert not signed_in(client)


def test_a_superuser_is_sent_to_set_up_an_authenticator(client):
    root = StaffFactory(username="root", is_superuser=True, is_staff=True, groups=[])
    assert sign_in(client, root)["Location"] == ENROL


def test_the_set_up_page_shows_the_qr_code_and_the_secret_as_text(client, administrator):
    sign_in(client, administrator)
    page = client.get(ENROL).content.decode()
    device = device_being_set_up(administrator)
    assert "<svg" in page and "QR code for your app" in page
    secret = re.search(r"<code[^>]*data-secret>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    import base64
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0], "the QR code is drawn here, not fetched"


def test_a_required_role_cannot_reach_any_page_before_the_set_up_is_done(client, administrator):
    sign_in(client, administrator)
    for page in ("/borrowing/queue/", "/admin/", "/policies/", SECURITY):
        response = client.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"], page
    assert client.get(ENROL).status_code == 200, "only the set-up page"


def test_the_set_up_page_keeps_the_same_secret_when_reloaded(client, administrator):
    sign_in(client, administrator)
    client.get(ENROL)
    first = device_being_set_up(administrator).key
    client.get(ENROL)
    assert device_being_set_up(administrator).key == first


def test_a_wrong_code_does_not_finish_the_set_up(client, administrator):
    sign_in(client, administrator)
    client.get(ENROL)
    code = totp_code(device_being_set_up(administrator))
    response = client.post(ENROL, {"code": "000000" if code != "000000" else "111111"})
    assert response.status_code == 400 and "That code does not match" in response.content.decode()
    assert not signed_in(client)
    assert not TOTPDevice.objects.filter(user=administrator, confirmed=True).exists()


def test_the_apps_code_finishes_the_set_up_signs_in_and_shows_ten_recovery_codes(client, administrator):
    sign_in(client, administrator, next_url="/policies/")
    client.get(ENROL)
    device = device_being_set_up(administrator)
    response = client.post(ENROL, {"code": totp_code(device)})
    assert response["Location"] == CODES
    assert int(client.session[SESSION_KEY]) == administrator.pk
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(CODES).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", page)
    assert len(codes) == 10
    assert sorted(codes) == sorted(administrator.staticdevice_set.get().token_set.values_list("token", flat=True))
    assert client.post(CODES)["Location"] == "/policies/"


def test_the_recovery_codes_download_as_a_text_file_and_are_shown_only_once(client, administrator):
    sign_in(client, administrator)
    client.get(ENROL)
    client.post(ENROL, {"code": totp_code(device_being_set_up(administrator))})
    download = client.get(CODES + "?download=1")
    assert download["Content-Disposition"] == 'attachment; filename="illms-recovery-codes.txt"'
    tokens = administrator.staticdevice_set.get().token_set.values_list("token", flat=True)
    assert all(token in download.content.decode() for token in tokens)
    client.post(CODES)
    assert client.get(CODES)["Location"] == SECURITY


def test_the_code_that_confirmed_the_set_up_cannot_sign_in_afterwards(client, administrator):
    sign_in(client, administrator)
    client.get(ENROL)
    code = totp_code(device_being_set_up(administrator))
    client.post(ENROL, {"code": code})
    client.post("/accounts/logout/")
    assert sign_in(client, administrator)["Location"] == "/accounts/two-factor/"
    assert client.post("/accounts/two-factor/", {"code": code}).status_code == 400


def test_an_optional_role_reaches_its_pages_without_setting_up_anything(client):
    user = StaffFactory(groups=[roles.BORROWING_STAFF])
    sign_in(client, user)
    assert client.get("/borrowing/queue/").status_code == 200


def test_an_optional_role_sets_up_an_authenticator_from_its_security_page(client):
    user = StaffFactory(groups=[roles.LENDING_STAFF])
    sign_in(client, user)
    assert "Set up an authenticator app" in client.get(SECURITY).content.decode()
    client.get(ENROL)
    assert client.post(ENROL, {"code": totp_code(device_being_set_up(user))})["Location"] == CODES
    assert client.post(CODES)["Location"] == SECURITY
    client.post("/accounts/logout/")
    assert sign_in(client, user)["Location"] == "/accounts/two-factor/", "from now on the code is asked"


def test_an_optional_role_turns_two_factors_off_with_its_password(client):
    user = StaffFactory(groups=[roles.LENDING_STAFF])
    device = give_authenticator(user)
    sign_in(client, user)
    client.post("/accounts/two-factor/", {"code": totp_code(device)})
    assert client.post("/accounts/security/turn-off/", {"off-password": "wrong"}).status_code == 302
    assert TOTPDevice.objects.filter(user=user).exists(), "a wrong password changes nothing"
    client.post("/accounts/security/turn-off/", {"off-password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_required_role_cannot_turn_two_factors_off(client, administrator):
    device = give_authenticator(administrator)
    sign_in(client, administrator)
    client.post("/accounts/two-factor/", {"code": totp_code(device)})
    response = client.post("/accounts/security/turn-off/", {"off-password": PASSWORD}, follow=True)
    assert "Your role requires two factors" in response.content.decode()
    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(client, administrator):
    device = give_authenticator(administrator, recovery_codes=("aaaabbbb",))
    sign_in(client, administrator)
    client.post("/accounts/two-factor/", {"code": totp_code(device)})
    client.post("/accounts/security/recovery-codes/", {"codes-password": "wrong"})
    assert list(administrator.staticdevice_set.get().token_set.values_list("token", flat=True)) == ["aaaabbbb"]
    response = client.post("/accounts/security/recovery-codes/", {"codes-password": PASSWORD})
    assert response["Location"] == CODES
    tokens = set(administrator.staticdevice_set.get().token_set.values_list("token", flat=True))
    assert len(tokens) == 10 and "aaaabbbb" not in tokens


def test_replacing_the_authenticator_needs_the_password_and_removes_the_old_one(client, administrator):
    old = give_authenticator(administrator)
    sign_in(client, administrator)
    client.post("/accounts/two-factor/", {"code": totp_code(old)})
    client.get(ENROL)
    new = device_being_set_up(administrator)
    response = client.post(ENROL, {"code": totp_code(new), "confirm-password": "wrong"})
    assert response.status_code == 400 and "That is not your password" in response.content.decode()
    client.post(ENROL, {"code": totp_code(new), "confirm-password": PASSWORD})
    assert list(TOTPDevice.objects.filter(user=administrator).values_list("pk", flat=True)) == [new.pk]


def test_the_security_page_is_for_staff_only(client):
    from tests.factories import PatronFactory

    client.force_login(PatronFactory())
    assert client.get(SECURITY)["Location"] == "/"
