"""The CAS door's refusals that need no browser round trip: the Django test client calls our callback, and our
server asks the (real, second-process) CAS server, or a port where none answers, about the ticket."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.identity import cas_fixtures
from tests.identity.cas_fixtures import free_port
from tests.identity.test_cas_signin import nothing_created

# The real CAS server and the door switched on against it (tests/identity/cas_fixtures.py).
cas_server, cas_door = cas_fixtures.cas_server, cas_fixtures.cas_door

pytestmark = pytest.mark.django_db


def test_a_forged_ticket_is_refused_and_creates_nothing(client, cas_server, cas_door):
    response = client.get("/accounts/cas/callback/", {"ticket": "ST-1-forgedforgedforgedforgedforged"})
    assert response.status_code == 403 and "did not accept this sign-in" in response.content.decode()
    assert nothing_created()


def test_logout_of_a_password_sign_in_stays_here(client, cas_door):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response.headers["Location"] == "/accounts/login/"


def test_a_cas_server_that_is_down_gives_a_clear_page_and_creates_nothing(client, settings, cas_door):
    settings.ILLMS_CAS_SERVER_URL = f"http://127.0.0.1:{free_port()}/cas/"  # nothing listens there
    response = client.get("/accounts/cas/callback/", {"ticket": "ST-1-abcdef"})
    assert response.status_code == 503
    assert "The campus sign-in server did not answer" in response.content.decode()
    assert nothing_created()


def test_a_cas_server_that_never_answers_times_out_to_the_same_page(client, settings, cas_door):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections, never says a word
        settings.ILLMS_CAS_SERVER_URL = f"http://127.0.0.1:{silent.getsockname()[1]}/cas/"
        settings.ILLMS_CAS_TIMEOUT = 0.5
        response = client.get("/accounts/cas/callback/", {"ticket": "ST-1-abcdef"})
    assert response.status_code == 503
    assert "The campus sign-in server did not answer" in response.content.decode()
    assert nothing_created()


@pytest.mark.parametrize("query", [
    "", "ticket=", "ticket=garbage", "ticket=PT-1-proxyticket", "ticket=ST-" + "x" * 5000,
    "ticket=ST-%00%ff%fe", "ticket=ST-1%3Cscript%3Ealert(1)%3C/script%3E", "ticket[]=ST-1&ticket=ST-2",
    "ticket=ST-1&service=https://evil.example/", "%ff%fe=%00",
])
def test_garbage_at_the_callback_is_a_refusal_page_never_a_500(client, cas_door, query):
    response = client.get(f"/accounts/cas/callback/?{query}")
    assert response.status_code in (400, 403)
    body = response.content.decode()
    # A NUL character is refused before any view by the site's own middleware, with its own sentence.
    assert "You could not be signed in" in body or "NUL character" in body
    assert nothing_created()


@pytest.mark.parametrize("body", [
    {"logoutRequest": "<samlp:LogoutRequest"}, {"logoutRequest": "<x>ST-1</x>"}, {"logoutRequest": ""}, {},
    {"logoutRequest": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'},
])
def test_garbage_posted_to_the_callback_is_a_refusal_page_never_a_500(client, cas_door, body):
    response = client.post("/accounts/cas/callback/", body)
    assert response.status_code == 400 and "no CAS logout request" in response.content.decode()
    assert nothing_created()


def test_a_logout_request_for_a_ticket_we_never_saw_ends_nothing(client, cas_door):
    request = ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="1" Version="2.0">'
               '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">ada</saml:NameID>'
               '<samlp:SessionIndex>ST-1-unknown</samlp:SessionIndex></samlp:LogoutRequest>')
    assert client.post("/accounts/cas/callback/", {"logoutRequest": request}).status_code == 200


def test_the_start_sends_the_browser_to_the_cas_login_with_our_service(client, cas_server, cas_door):
    response = client.get("/accounts/cas/login/")
    assert response.status_code == 302
    assert response.headers["Location"] == \
        f"{cas_server.url}login?service=" + requests.utils.quote("http://testserver/accounts/cas/callback/", safe="")


def test_the_service_address_follows_the_configured_site_address(client, settings, cas_server, cas_door):
    settings.ILLMS_SITE_URL = "https://ill.uni.example.edu/"
    response = client.get("/accounts/cas/login/")
    assert "service=https%3A%2F%2Fill.uni.example.edu%2Faccounts%2Fcas%2Fcallback%2F" in response.headers["Location"]


def test_the_sign_in_page_shows_the_cas_button(client, cas_door):
    page = client.get("/accounts/login/").content.decode()
    assert "/accounts/cas/login/" in page and "Sign in with your campus account" in page


def test_a_door_without_a_server_address_says_it_is_not_set_up(client, settings, cas_door):
    settings.ILLMS_CAS_SERVER_URL = ""
    for url in ("/accounts/cas/login/", "/accounts/cas/callback/?ticket=ST-1"):
        response = client.get(url)
        assert response.status_code == 503 and "not set up" in response.content.decode()
