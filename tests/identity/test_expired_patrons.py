"""A patron whose library account has expired cannot request, and is told whom to ask."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from borrowing.services import patrons
from requests_app.identity.verification import register_patron_check, unregister_patron_check
from tests.factories import MemberLibraryFactory, PatronFactory

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def expired():
    library = MemberLibraryFactory(name="Demo University Library", email="ill@demo.example.edu")
    return PatronFactory(profile__library=library, profile__expires_on=YESTERDAY)


def test_an_expired_patron_is_refused_with_the_day_and_whom_to_contact(expired):
    refusal = patrons.request_refusal(patron=expired)
    assert refusal.code == "patron_expired"
    assert "ill@demo.example.edu" in refusal.messages[0] and str(YESTERDAY.year) in refusal.messages[0]


def test_a_patron_expiring_today_may_still_request():
    patron = PatronFactory(profile__expires_on=timezone.localdate())
    assert patrons.request_refusal(patron=patron) is None


def test_the_desk_is_told_the_record_must_be_renewed(expired):
    refusal = patrons.request_refusal(patron=expired, staff=True)
    assert "renewed in the library's records" in refusal.messages[0]


def test_the_request_page_tells_an_expired_patron_before_they_type_anything(client, expired):
    client.force_login(expired)
    page = client.get(reverse("patron-request-new")).content.decode()
    assert "expired on" in page and "ill@demo.example.edu" in page


def test_a_blocked_patron_without_a_reason_is_told_whom_to_contact():
    library = MemberLibraryFactory(name="Demo University Library", email="ill@demo.example.edu")
    patron = PatronFactory(profile__library=library, profile__blocked=True)
    assert "ill@demo.example.edu" in patrons.request_refusal(patron=patron).messages[0]


def test_a_blocked_patron_is_told_the_reason_and_whom_to_contact():
    library = MemberLibraryFactory(name="Demo University Library", email="ill@demo.example.edu")
    patron = PatronFactory(profile__library=library, profile__blocked=True, profile__blocked_reason="Unpaid fines.")
    message = patrons.request_refusal(patron=patron).messages[0]
    assert "Unpaid fines. Please contact the interlibrary loan office of Demo University Library" in message
    assert "ill@demo.example.edu" in message


def test_a_blocked_patron_who_has_also_expired_is_told_of_the_block():
    patron = PatronFactory(profile__blocked=True, profile__expires_on=YESTERDAY)
    assert patrons.request_refusal(patron=patron).code == "patron_blocked"


def test_a_registered_live_check_can_refuse_a_patron():
    def ils_says_no(profile, *, staff):
        return ValidationError("The library system does not know you.", code="ils_unknown")

    register_patron_check(ils_says_no)
    try:
        assert patrons.request_refusal(patron=PatronFactory()).code == "ils_unknown"
    finally:
        unregister_patron_check(ils_says_no)
