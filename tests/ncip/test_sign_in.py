"""The library's ILS checks patrons as they sign in (NCIP LookupUser), against the test responder over real HTTP.

The password form and a real door (CAS, against its test server in a second process) both end in the same
sign-in step, which asks the ILS; what the ILS says is written on the patron's profile.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.urls import reverse

from borrowing.services.requests import submit_request
from requests_app.models import NcipCall, NcipCallStatus, PatronCategory, PatronProfile, RequestFormat
from tests.factories import PASSWORD, MemberLibraryFactory, PatronProfileFactory, StaffFactory
from tests.identity import cas_fixtures

cas_server, cas_door = cas_fixtures.cas_server, cas_fixtures.cas_door

pytestmark = pytest.mark.django_db
NEXT_YEAR = dt.date.today() + dt.timedelta(days=365)


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", email="ill@home.example.edu")


@pytest.fixture
def patron(home):
    return PatronProfileFactory(library=home, card_barcode="21000001", category=PatronCategory.UNDERGRADUATE)


def sign_in(client, profile: PatronProfile):
    return client.post(reverse("login"), {"username": profile.user.username, "password": PASSWORD})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_patron_the_ils_blocks_is_not_signed_in_and_is_told_the_ils_reason(client, home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001", blocked="Fines over 50.00")
    response = sign_in(client, patron)
    assert response.status_code == 403 and not signed_in(client)
    page = response.content.decode()
    assert "Fines over 50.00" in page and "ill@home.example.edu" in page
    patron.refresh_from_db()
    assert (patron.blocked, patron.blocked_reason, patron.blocked_by_ils) == (True, "Fines over 50.00", True)


def test_a_patron_whose_account_expired_in_the_ils_is_not_signed_in(client, home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001", expires="2025-06-30")
    response = sign_in(client, patron)
    assert response.status_code == 403 and "expired on 2025-06-30" in response.content.decode()
    patron.refresh_from_db()
    assert patron.expires_on == dt.date(2025, 6, 30)


def test_a_patron_in_good_standing_is_signed_in_with_the_ils_category_and_expiry(client, home, patron, connect,
                                                                                 ils):
    connect(home)
    ils.add_user("21000001", category="FACULTY", expires=NEXT_YEAR.isoformat())
    response = sign_in(client, patron)
    assert response.status_code == 302 and signed_in(client)
    patron.refresh_from_db()
    assert (patron.category, patron.expires_on, patron.refreshed_from) == (PatronCategory.FACULTY, NEXT_YEAR, "ils")
    assert ils.services_received() == ["LookupUser"] and ils.log()[0]["valid"]


def test_a_category_the_ils_gives_that_is_not_ours_leaves_the_patrons_own(client, home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001", category="Borrower type 7")
    sign_in(client, patron)
    patron.refresh_from_db()
    assert patron.category == PatronCategory.UNDERGRADUATE


def test_the_block_is_lifted_at_the_next_sign_in_once_the_ils_lifts_it(client, home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001", blocked="Lost items")
    sign_in(client, patron)
    ils.add_user("21000001", blocked="")
    client.cookies.clear()
    assert sign_in(client, patron).status_code == 302 and signed_in(client)
    patron.refresh_from_db()
    assert (patron.blocked, patron.blocked_reason, patron.blocked_by_ils) == (False, "", False)


def test_a_block_the_desk_set_is_not_lifted_by_the_ils(client, home, patron, connect, ils):
    PatronProfile.objects.filter(pk=patron.pk).update(blocked=True, blocked_reason="Rude to the ILL office")
    connect(home)
    ils.add_user("21000001")
    assert sign_in(client, patron).status_code == 302  # a block stops requesting, not signing in
    patron.refresh_from_db()
    assert (patron.blocked, patron.blocked_reason) == (True, "Rude to the ILL office")


def test_when_the_ils_does_not_answer_the_patron_is_signed_in_and_it_is_logged(client, home, patron, connect, ils,
                                                                              caplog):
    connect(home)
    ils.add_user("21000001", blocked="Fines over 50.00")
    ils.slow(2)  # the patron check's time limit is one second
    with caplog.at_level(logging.WARNING, logger="requests_app.ncip.patrons"):
        response = sign_in(client, patron)
    assert response.status_code == 302 and signed_in(client)
    assert any("signed in without the ILS's word" in record.getMessage() for record in caplog.records)
    patron.refresh_from_db()
    assert not patron.blocked


def test_a_request_right_after_a_sign_in_the_ils_did_not_answer_is_flagged_as_unverified_at_submission(
        client, home, patron, connect, ils):
    connect(home)
    ils.add_user("21000001")
    ils.down()
    assert sign_in(client, patron).status_code == 302
    request = submit_request(patron=patron.user, title="Middlemarch", format=RequestFormat.BOOK)
    call = NcipCall.objects.get(request=request, service="LookupUser")
    assert call.status == NcipCallStatus.FAILED
    assert "at submission" in call.answer and "The request was accepted without the ILS's word" in call.last_error


def test_a_patron_the_ils_does_not_know_is_signed_in_and_refused_only_when_requesting(client, home, patron,
                                                                                     connect, ils):
    connect(home)
    assert sign_in(client, patron).status_code == 302 and signed_in(client)
    page = client.get(reverse("patron-request-form", args=["book"])).content.decode()
    assert "does not know your library account" in page


def test_the_ils_block_holds_at_a_request_while_the_ils_does_not_answer(home, patron, connect, ils, client):
    from django.core.cache import cache
    from django.core.exceptions import ValidationError

    connect(home)
    ils.add_user("21000001", blocked="Lost items")
    sign_in(client, patron)
    cache.clear()
    ils.down()
    with pytest.raises(ValidationError, match="Lost items"):
        submit_request(patron=PatronProfile.objects.get(pk=patron.pk).user, title="Middlemarch",
                       format=RequestFormat.BOOK)


def test_a_request_after_the_ils_lifted_its_block_is_accepted_and_lifts_it_here(home, patron, connect, ils, client):
    from django.core.cache import cache

    connect(home)
    ils.add_user("21000001", blocked="Lost items")
    sign_in(client, patron)
    cache.clear()
    ils.add_user("21000001", blocked="")
    submit_request(patron=PatronProfile.objects.get(pk=patron.pk).user, title="Middlemarch",
                   format=RequestFormat.BOOK)
    assert not PatronProfile.objects.get(pk=patron.pk).blocked


def test_staff_are_never_asked_about_at_sign_in(client, home, connect, ils):
    connect(home)
    staff = StaffFactory(library=home)
    PatronProfileFactory(user=staff, library=home, card_barcode="21000009")  # staff who borrow too
    ils.add_user("21000009", blocked="Fines over 50.00")
    response = client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 302 and signed_in(client)  # past the sign-in step, which asks about patrons
    assert ils.log() == []


def test_nothing_is_asked_when_the_patron_check_is_off(client, home, patron, connect, ils):
    connect(home, check_patrons=False)
    ils.add_user("21000001", blocked="Fines over 50.00")
    assert sign_in(client, patron).status_code == 302 and ils.log() == []


@pytest.mark.django_db(transaction=True)
def test_a_patron_signing_in_through_cas_whom_the_ils_blocks_is_refused(live_server, cas_server, cas_door,
                                                                        connect, ils):
    connect(cas_door)
    ils.add_user("21000000111", blocked="Overdue items")
    session, response = cas_fixtures.sign_in(live_server, cas_server)
    assert response.status_code == 403 and "Overdue items" in response.text
    home = session.get(f"{live_server.url}/", allow_redirects=False, timeout=10)
    assert 'action="/accounts/logout/"' not in home.text  # not signed in
    assert PatronProfile.objects.get(card_barcode="21000000111").blocked_by_ils
