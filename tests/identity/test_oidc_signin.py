"""The OpenID Connect door against a real provider (django-oauth-toolkit in a second process), over real HTTP:
our site is the live server, a requests session is the browser that follows the provider's sign-in form."""
# ruff: noqa: F811  (the fixtures oidc_door and oidc_provider, imported below, are the tests' arguments)

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from requests_app.models import ExternalIdentity, PatronCategory
from tests.identity.oidc_provider.server import csrf_token, oidc_door, oidc_provider, provider_sign_in  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def start(live_server, next_url: str = "") -> tuple[requests.Session, requests.Response]:
    """A fresh browser that clicks our OIDC button and lands on the provider's sign-in form."""
    browser = requests.Session()
    query = f"?next={quote(next_url)}" if next_url else ""
    return browser, browser.get(f"{live_server.url}/accounts/oidc/start/{query}", timeout=30)


def sign_in(live_server, username: str, next_url: str = "") -> tuple[requests.Session, requests.Response]:
    browser, page = start(live_server, next_url)
    return browser, provider_sign_in(browser, page, username)


def test_the_sign_in_page_shows_the_oidc_button(live_server, oidc_door):
    page = requests.get(f"{live_server.url}/accounts/login/", timeout=10).text
    assert 'data-door="oidc"' in page and "/accounts/oidc/start/" in page


def test_a_first_sign_in_creates_the_patron_with_the_mapped_claims(live_server, oidc_door):
    browser, answer = sign_in(live_server, "ada")
    assert answer.status_code == 200, (answer.url, [r.url for r in answer.history], answer.text[:3000])
    assert urlsplit(answer.url).netloc == urlsplit(live_server.url).netloc
    user = get_user_model().objects.get(username="ada")
    profile = user.patron_profile
    assert (user.first_name, user.last_name, user.email) == ("Ada", "Lovelace", "ada@uni.example.edu")
    assert (profile.library, profile.card_barcode, profile.category, profile.department) == \
        (oidc_door, "21000000101", PatronCategory.UNDERGRADUATE, "Mathematics")
    assert ExternalIdentity.objects.filter(user=user, door="oidc").count() == 1
    assert not user.has_usable_password()
    assert "/accounts/logout/" in answer.text  # signed in: the page offers to sign out


def test_a_second_sign_in_refreshes_the_patron_from_the_new_claims(live_server, oidc_door, oidc_provider):
    sign_in(live_server, "ada")
    oidc_provider.set_claims("ada", family_name="King", department="Computing",
                             eduperson_affiliation=["graduate"], email="ada.king@uni.example.edu")
    sign_in(live_server, "ada")
    user = get_user_model().objects.get()
    assert (user.last_name, user.email, user.patron_profile.department, user.patron_profile.category) == \
        ("King", "ada.king@uni.example.edu", "Computing", PatronCategory.GRADUATE)
    assert ExternalIdentity.objects.count() == 1


def test_next_is_kept_through_the_provider(live_server, oidc_door):
    _browser, answer = sign_in(live_server, "ben", next_url="/requests/help/?topic=1")
    assert answer.url == f"{live_server.url}/requests/help/?topic=1"


def test_an_outside_next_is_not_followed(live_server, oidc_door):
    _browser, answer = sign_in(live_server, "ben", next_url="https://evil.example.org/steal")
    assert urlsplit(answer.url).netloc == urlsplit(live_server.url).netloc
    assert get_user_model().objects.filter(username="ben").exists()


def test_a_refusal_by_provisioning_reaches_the_person_as_the_refusal_page(live_server, oidc_door, oidc_provider):
    oidc_provider.set_claims("ada", library_symbol="NOPE")
    _browser, answer = sign_in(live_server, "ada")
    assert answer.status_code == 403 and answer.url.endswith("/accounts/oidc/refused/")
    assert "names the library NOPE" in answer.text
    assert not get_user_model().objects.exists() and not ExternalIdentity.objects.exists()


def test_the_refusal_page_says_it_once_then_the_general_message(live_server, oidc_door, oidc_provider):
    oidc_provider.set_claims("ada", library_symbol="NOPE")
    browser, _answer = sign_in(live_server, "ada")
    again = browser.get(f"{live_server.url}/accounts/oidc/refused/", timeout=10)
    assert again.status_code == 403 and "did not complete" in again.text


def test_an_unreachable_provider_is_a_clear_page_and_the_site_still_starts(live_server, oidc_door, settings):
    settings.ILLMS_OIDC_ISSUER = "http://127.0.0.1:8859/o"  # nothing listens there
    _browser, answer = start(live_server)
    assert answer.status_code == 503 and "cannot be reached just now" in answer.text
    assert requests.get(f"{live_server.url}/accounts/login/", timeout=10).status_code == 200


def test_a_provider_that_goes_down_before_the_code_is_exchanged_is_a_clear_page(live_server, oidc_door, settings):
    browser, page = start(live_server)
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:8859/o/token/"
    answer = provider_sign_in(browser, page, "ada")
    assert answer.status_code == 503 and "cannot be reached just now" in answer.text
    assert not get_user_model().objects.exists()


def test_explicit_endpoints_need_no_discovery(live_server, oidc_door, oidc_provider, settings):
    base = oidc_provider.issuer
    settings.ILLMS_OIDC_ISSUER = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{base}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{base}/.well-known/jwks.json"
    sign_in(live_server, "ada")
    assert get_user_model().objects.get().patron_profile.card_barcode == "21000000101"


def test_logout_goes_on_to_the_providers_end_session_and_back(live_server, oidc_door, oidc_provider):
    browser, home = sign_in(live_server, "ada")
    answer = browser.post(f"{live_server.url}/accounts/logout/", data={"csrfmiddlewaretoken": csrf_token(home.text)},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    end_session = urlsplit(answer.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{oidc_provider.issuer}/logout/"
    query = parse_qs(end_session.query)
    assert query["post_logout_redirect_uri"] == [f"{live_server.url}/accounts/login/"] and query["id_token_hint"]
    back = browser.get(answer.headers["Location"], timeout=10)
    assert back.url == f"{live_server.url}/accounts/login/"
    # Signed out at the provider too: the next sign-in asks for the password again.
    again = browser.get(f"{live_server.url}/accounts/oidc/start/", timeout=10)
    assert "Test provider: sign in" in again.text


def test_a_password_logout_stays_local(live_server, oidc_door, client):
    from tests.factories import PASSWORD, UserFactory

    UserFactory(username="desk")
    assert client.login(username="desk", password=PASSWORD)
    answer = client.post("/accounts/logout/")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
