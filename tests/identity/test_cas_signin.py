"""The CAS door against a real CAS 3.0 server in a second process: our live server sends the browser (here
``requests``) to the CAS login form, the CAS server sends it back with a service ticket, and our server validates
the ticket over HTTP with attribute release before it makes or refreshes the patron."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from django.contrib.auth import get_user_model

from requests_app.models import ExternalIdentity, PatronCategory, PatronProfile
from tests.identity import cas_fixtures
from tests.identity.cas_fixtures import sign_in

# The real CAS server and the door switched on against it (tests/identity/cas_fixtures.py).
cas_server, cas_door = cas_fixtures.cas_server, cas_fixtures.cas_door

pytestmark = pytest.mark.django_db(transaction=True)


def nothing_created() -> bool:
    return not get_user_model().objects.exists() and not ExternalIdentity.objects.exists() \
        and not PatronProfile.objects.exists()


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def test_the_first_sign_in_creates_the_patron_with_the_released_attributes(live_server, cas_server, cas_door):
    session, response = sign_in(live_server, cas_server)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    user = get_user_model().objects.get()
    profile = user.patron_profile
    assert (user.username, user.first_name, user.last_name, user.email) == \
        ("ada", "Ada", "Lovelace", "ada.lovelace@uni.example.edu")
    assert (profile.library, profile.category, profile.department, profile.card_barcode, profile.institution_id,
            profile.expires_on) == (cas_door, PatronCategory.UNDERGRADUATE, "Mathematics", "21000000111", "E-1815",
                                    dt.date(2027, 6, 30))
    assert ExternalIdentity.objects.get().door == "cas" and ExternalIdentity.objects.get().subject == "ada"
    assert not user.has_usable_password()
    home = session.get(f"{live_server.url}/", allow_redirects=False, timeout=10)
    assert home.status_code == 200 and 'action="/accounts/logout/"' in home.text  # signed in here


def test_the_second_sign_in_refreshes_the_patron_from_the_new_attributes(live_server, cas_server, cas_door):
    sign_in(live_server, cas_server)
    cas_server.set_attributes("ada", {"mail": "ada@maths.uni.example.edu", "givenName": "Ada", "sn": "King",
                                      "eduPersonAffiliation": ["faculty"], "libraryExpiry": "2029-01-31"})
    _session, response = sign_in(live_server, cas_server)
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert (user.last_name, user.email) == ("King", "ada@maths.uni.example.edu")
    assert (user.patron_profile.category, user.patron_profile.expires_on, user.patron_profile.department) == \
        (PatronCategory.FACULTY, dt.date(2029, 1, 31), "Mathematics")
    assert ExternalIdentity.objects.count() == 1


def test_cas_2_validation_signs_in_too(live_server, cas_server, cas_door, settings):
    settings.ILLMS_CAS_VERSION = "2"
    _session, response = sign_in(live_server, cas_server, username="grace")
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert (user.first_name, user.last_name, user.patron_profile.category) == \
        ("Grace", "Hopper", PatronCategory.FACULTY)


def test_next_is_kept_through_the_cas_server(live_server, cas_server, cas_door):
    _session, response = sign_in(live_server, cas_server, next_url="/help/?topic=requests")
    assert response.status_code == 302 and response.headers["Location"] == "/help/?topic=requests"


@pytest.mark.parametrize("outside", ["https://evil.example/steal", "//evil.example/", "http:/\\evil.example"])
def test_an_outside_next_is_not_followed(live_server, cas_server, cas_door, outside):
    _session, response = sign_in(live_server, cas_server, next_url=outside)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_forged_ticket_is_refused_by_the_cas_server_and_creates_nothing(live_server, cas_server, cas_door):
    response = requests.get(f"{live_server.url}/accounts/cas/callback/",
                            params={"ticket": "ST-1-forgedforgedforgedforgedforged"}, allow_redirects=False, timeout=30)
    assert response.status_code == 403
    assert "did not accept this sign-in" in page_text(response)
    assert nothing_created()


def test_a_reused_ticket_is_refused_and_creates_nothing_more(live_server, cas_server, cas_door):
    session, first = sign_in(live_server, cas_server)
    assert first.status_code == 302
    ticket_url = first.request.url
    replay = requests.get(ticket_url, allow_redirects=False, timeout=30)
    assert replay.status_code == 403 and "did not accept this sign-in" in page_text(replay)
    assert get_user_model().objects.count() == 1 and ExternalIdentity.objects.count() == 1
    assert "sessionid" not in replay.cookies


def test_a_ticket_issued_for_another_service_is_refused_and_creates_nothing(live_server, cas_server, cas_door):
    ticket = cas_server.ticket_for("https://other-app.example.edu/cas/callback/")
    response = requests.get(f"{live_server.url}/accounts/cas/callback/", params={"ticket": ticket},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 403 and "did not accept this sign-in" in page_text(response)
    assert nothing_created()


def test_an_expired_ticket_is_refused_and_creates_nothing(live_server, cas_server, cas_door):
    ticket = cas_server.ticket_for(f"{live_server.url}/accounts/cas/callback/")
    cas_server.expire_tickets()
    response = requests.get(f"{live_server.url}/accounts/cas/callback/", params={"ticket": ticket},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 403 and "did not accept this sign-in" in page_text(response)
    assert nothing_created()


def test_a_wrong_password_at_the_cas_server_sends_no_ticket(live_server, cas_server, cas_door):
    session = requests.Session()
    start = session.get(f"{live_server.url}/accounts/cas/login/", allow_redirects=False, timeout=10)
    answer = cas_server.log_in(session, start.headers["Location"], "ada", "wrong password")
    assert answer.status_code == 200 and "ticket=" not in answer.headers.get("Location", "")
    assert nothing_created()


def test_an_unreadable_attribute_is_refused_with_its_reason_and_creates_nothing(live_server, cas_server, cas_door):
    _session, response = sign_in(live_server, cas_server, username="nobody")
    assert response.status_code == 403 and "is not a date" in page_text(response)
    assert nothing_created()


def test_logout_goes_on_to_the_cas_servers_logout_and_back_to_our_sign_in_page(live_server, cas_server, cas_door):
    session, _response = sign_in(live_server, cas_server)
    login_page = session.get(f"{live_server.url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    logout = session.post(f"{live_server.url}/accounts/logout/", data={"csrfmiddlewaretoken": token},
                          allow_redirects=False, timeout=10)
    assert logout.status_code == 302
    assert logout.headers["Location"] == \
        f"{cas_server.url}logout?service=" + requests.utils.quote(f"{live_server.url}/accounts/login/", safe="")
    at_cas = session.get(logout.headers["Location"], allow_redirects=False, timeout=10)
    assert at_cas.status_code == 302 and at_cas.headers["Location"] == f"{live_server.url}/accounts/login/"
    # Signed out at both ends: our button leads to the CAS login form again, not straight back with a ticket.
    start = session.get(f"{live_server.url}/accounts/cas/login/", allow_redirects=False, timeout=10)
    form = session.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert form.status_code == 200 and 'name="password"' in form.text


def test_signing_out_at_the_cas_server_ends_our_session_too(live_server, cas_server, cas_door):
    session, _response = sign_in(live_server, cas_server)
    assert 'action="/accounts/logout/"' in session.get(f"{live_server.url}/", timeout=10).text
    at_cas = session.get(f"{cas_server.url}logout", allow_redirects=False, timeout=30)  # single logout, back channel
    assert at_cas.status_code == 302
    home = session.get(f"{live_server.url}/", timeout=10)
    assert 'action="/accounts/logout/"' not in home.text


def test_a_server_that_answers_no_cas_gives_a_clear_page(live_server, client, settings, cas_door):
    settings.ILLMS_CAS_SERVER_URL = f"{live_server.url}/help/"  # a web page, not a CAS server
    response = client.get("/accounts/cas/callback/", {"ticket": "ST-1-abcdef"})
    assert response.status_code == 502 and "cannot read" in response.content.decode()
    assert nothing_created()
