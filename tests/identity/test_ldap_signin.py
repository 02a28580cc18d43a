"""The LDAP door against a real OpenLDAP slapd (tests/identity/ldap_fixtures.py): the campus user name and
password typed into our sign-in form are bound at the directory, and the entry makes or refreshes the patron."""

# ruff: noqa: F811  (the directory's fixtures, imported below, are the tests' arguments)
from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse

from requests_app.models import ExternalIdentity, PatronCategory, PatronProfile
from tests.identity.ldap_fixtures import PASSWORD, ldap_door, silent_server, slapd  # noqa: F401

pytestmark = pytest.mark.django_db


def sign_in(client, username: str = "ada", password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def nothing_created() -> bool:
    return not get_user_model().objects.exists() and not ExternalIdentity.objects.exists() \
        and not PatronProfile.objects.exists()


def test_the_first_sign_in_creates_the_patron_with_the_directorys_attributes(client, ldap_door):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == reverse("home")
    user = get_user_model().objects.get()
    profile = user.patron_profile
    assert (user.username, user.first_name, user.last_name, user.email) == \
        ("ada", "Ada", "Lovelace", "ada.lovelace@uni.example")
    assert (profile.library, profile.category, profile.department, profile.card_barcode, profile.institution_id,
            profile.expires_on) == (ldap_door, PatronCategory.UNDERGRADUATE, "Mathematics", "21000000111", "E-1815",
                                    dt.date(2027, 6, 30))
    assert (ExternalIdentity.objects.get().door, ExternalIdentity.objects.get().subject) == ("ldap", "ada")
    assert not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk


def test_the_second_sign_in_refreshes_the_patron_from_the_changed_entry(client, ldap_door, slapd):
    sign_in(client)
    slapd.set_attributes("ada", {"sn": ["King"], "mail": ["ada.king@uni.example"], "employeeType": ["faculty"],
                                 "libraryExpiry": ["20290131000000Z"]})
    client.logout()
    response = sign_in(client)
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert (user.last_name, user.email) == ("King", "ada.king@uni.example")
    assert (user.patron_profile.category, user.patron_profile.expires_on, user.patron_profile.department) == \
        (PatronCategory.FACULTY, dt.date(2029, 1, 31), "Mathematics")
    assert ExternalIdentity.objects.count() == 1


def test_next_is_followed_when_it_points_into_the_site(client, ldap_door):
    response = sign_in(client, next="/help/")
    assert response.status_code == 302 and response.headers["Location"] == "/help/"


def test_a_wrong_password_is_refused_with_a_clear_message_and_creates_nothing(client, ldap_door):
    response = sign_in(client, password="not the password")
    assert response.status_code == 200
    assert "Your user name or password was not accepted" in page_text(response)
    assert nothing_created() and "_auth_user_id" not in client.session


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(client, ldap_door):
    response = sign_in(client, username="nosuchperson")
    assert "Your user name or password was not accepted" in page_text(response)
    assert nothing_created()


@pytest.mark.parametrize("username", ["*", "ada)(uid=*", "*)(|(uid=*", "ad*", "ada\\2a", "ada\x01"])
def test_a_filter_injection_in_the_user_name_is_refused_and_creates_nothing(client, ldap_door, username):
    response = sign_in(client, username=username)
    assert response.status_code == 200
    assert "A campus user name cannot contain *, (, ), \\ or control characters" in page_text(response)
    assert nothing_created()


def test_a_disabled_account_is_refused_with_its_reason_and_creates_nothing(client, ldap_door):
    response = sign_in(client, username="dora")
    assert "Your campus account is disabled at your institution" in page_text(response)
    assert nothing_created()


def test_an_unreadable_expiry_date_is_refused_with_its_reason_and_creates_nothing(client, ldap_door, slapd):
    slapd.set_attributes("ada", {"libraryExpiry": ["soon"]})
    response = sign_in(client)
    assert "is not a date" in page_text(response)
    assert nothing_created()


def test_a_search_filter_that_finds_several_people_is_refused(client, ldap_door, settings):
    settings.ILLMS_LDAP_USER_SEARCH_FILTER = "(|(uid=%(user)s)(objectClass=inetOrgPerson))"  # too wide
    response = sign_in(client)
    assert "matches more than one account" in page_text(response)
    assert nothing_created()


def test_a_directory_that_is_down_gives_a_clear_refusal_and_creates_nothing(client, ldap_door, settings):
    from tests.identity.ldap_fixtures import free_port

    settings.ILLMS_LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()}"  # nothing listens there
    response = sign_in(client)
    assert response.status_code == 200
    assert "directory cannot be reached just now" in page_text(response)
    assert nothing_created()


def test_a_directory_that_never_answers_is_given_up_after_the_timeout(client, ldap_door, settings, silent_server):
    import time

    settings.ILLMS_LDAP_SERVER_URI, settings.ILLMS_LDAP_TIMEOUT = silent_server, 1.0
    started = time.monotonic()
    response = sign_in(client)
    assert time.monotonic() - started < 10
    assert "directory cannot be reached just now" in page_text(response)
    assert nothing_created()


def test_the_next_directory_server_is_tried_when_the_first_is_down(client, ldap_door, slapd, settings):
    from tests.identity.ldap_fixtures import free_port

    settings.ILLMS_LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()} {slapd.uri}"
    assert sign_in(client).status_code == 302


def test_a_refused_service_account_is_named_as_the_sites_problem(client, ldap_door, settings):
    settings.ILLMS_LDAP_BIND_PASSWORD = "wrong"  # noqa: S105
    response = sign_in(client)
    assert "its service account was refused" in page_text(response)
    assert nothing_created()


def test_refusals_count_toward_the_lockout_like_wrong_passwords(client, ldap_door, settings):
    settings.AXES_FAILURE_LIMIT = 2
    sign_in(client, password="wrong once")
    sign_in(client, username="ada)(uid=*")
    assert AccessAttempt.objects.filter(username="ada").get().failures_since_start == 1
    sign_in(client, password="wrong twice")
    locked = sign_in(client)  # the right password, now refused
    assert locked.status_code == 429
    assert nothing_created()


def test_a_library_password_account_still_signs_in_with_its_own_password(client, ldap_door):
    from tests.factories import PASSWORD as LIBRARY_PASSWORD
    from tests.factories import StaffFactory

    staff = StaffFactory(username="desk")
    response = sign_in(client, username="desk", password=LIBRARY_PASSWORD)
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == staff.pk
    assert not ExternalIdentity.objects.exists()


def test_with_the_door_switched_off_the_directory_is_not_asked(client, ldap_door, settings):
    settings.ILLMS_SIGNIN_DOORS = []
    response = sign_in(client)
    assert "Please enter a correct username and password" in page_text(response)
    assert nothing_created()


def test_ldaps_with_the_institutions_ca_signs_in(client, ldap_door, slapd, settings):
    settings.ILLMS_LDAP_SERVER_URI = slapd.ldaps_uri
    settings.ILLMS_LDAP_CA_FILE = str(slapd.ca_file)
    assert sign_in(client).status_code == 302


def test_start_tls_with_the_institutions_ca_signs_in(client, ldap_door, slapd, settings):
    settings.ILLMS_LDAP_START_TLS = True
    settings.ILLMS_LDAP_CA_FILE = str(slapd.ca_file)
    assert sign_in(client).status_code == 302


def test_ldaps_whose_certificate_is_not_trusted_is_refused(client, ldap_door, slapd, settings):
    settings.ILLMS_LDAP_SERVER_URI = slapd.ldaps_uri  # no CA file: the system's CAs do not know the test CA
    response = sign_in(client)
    assert "directory cannot be reached just now" in page_text(response)
    assert nothing_created()


def test_a_direct_bind_with_a_dn_template_signs_in_without_a_service_account(client, ldap_door, settings):
    from tests.identity.ldap_fixtures import PEOPLE

    settings.ILLMS_LDAP_BIND_DN = settings.ILLMS_LDAP_BIND_PASSWORD = ""
    settings.ILLMS_LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{PEOPLE}"
    assert sign_in(client).status_code == 302
    assert get_user_model().objects.get().patron_profile.card_barcode == "21000000111"


def test_a_direct_bind_refuses_a_wrong_password(client, ldap_door, settings):
    from tests.identity.ldap_fixtures import PEOPLE

    settings.ILLMS_LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{PEOPLE}"
    response = sign_in(client, password="nope")
    assert "Your user name or password was not accepted" in page_text(response)
    assert nothing_created()


def test_a_group_mapped_to_a_category_sets_the_patrons_category(client, ldap_door, settings):
    settings.ILLMS_LDAP_GROUP_CATEGORIES = {"ill-faculty": ("faculty",)}
    assert sign_in(client, username="grace").status_code == 302
    assert get_user_model().objects.get().patron_profile.category == PatronCategory.FACULTY  # not "member": public


def test_a_group_named_by_its_dn_counts_too(client, ldap_door, settings):
    from tests.identity.ldap_fixtures import GROUPS

    settings.ILLMS_LDAP_GROUP_CATEGORIES = {f"cn=ill-faculty,{GROUPS}".lower(): ("faculty",)}
    sign_in(client, username="grace")
    assert get_user_model().objects.get().patron_profile.category == PatronCategory.FACULTY


def test_groups_are_read_from_memberof_without_a_group_search(client, ldap_door, settings):
    settings.ILLMS_LDAP_GROUP_SEARCH_BASE = ""
    settings.ILLMS_LDAP_GROUP_CATEGORIES = {"ill-faculty": ("faculty",)}
    sign_in(client, username="grace")
    assert get_user_model().objects.get().patron_profile.category == PatronCategory.FACULTY


def test_a_staff_group_gives_a_staff_account_with_its_roles_and_no_patron_profile(client, ldap_door, settings):
    from requests_app import roles

    settings.ILLMS_LDAP_STAFF_GROUPS = {"ill-staff": ("borrowing", "lending"), "ill-admins": ("administrator",)}
    assert sign_in(client, username="sam").status_code == 302
    user = get_user_model().objects.get()
    assert user.staff_profile.library == ldap_door and not hasattr(user, "patron_profile")
    assert set(user.groups.values_list("name", flat=True)) == \
        {roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.ILL_ADMINISTRATOR}
    assert (user.first_name, user.email, user.has_usable_password()) == ("Sam", "sam.clerk@uni.example", False)


def test_leaving_a_staff_group_takes_its_role_away_at_the_next_sign_in(client, ldap_door, settings):
    from requests_app import roles

    settings.ILLMS_LDAP_STAFF_GROUPS = {"ill-staff": ("borrowing",), "ill-admins": ("administrator",)}
    sign_in(client, username="sam")
    client.logout()
    settings.ILLMS_LDAP_STAFF_GROUPS = {"ill-staff": ("borrowing",)}  # as if sam had left ill-admins
    sign_in(client, username="sam")
    assert list(get_user_model().objects.get().groups.values_list("name", flat=True)) == [roles.BORROWING_STAFF]


def test_someone_in_no_staff_group_is_a_patron(client, ldap_door, settings):
    settings.ILLMS_LDAP_STAFF_GROUPS = {"ill-staff": ("borrowing",)}
    sign_in(client, username="ada")
    user = get_user_model().objects.get()
    assert hasattr(user, "patron_profile") and not hasattr(user, "staff_profile")


def test_a_staff_group_member_is_linked_to_the_staff_account_of_their_user_name(client, ldap_door, settings):
    from requests_app import roles
    from tests.factories import StaffFactory

    settings.ILLMS_LDAP_STAFF_GROUPS = {"ill-staff": ("lending",)}
    staff = StaffFactory(username="sam", library=ldap_door, groups=[roles.BORROWING_STAFF])
    assert sign_in(client, username="sam").status_code == 302  # the directory's password, not the library's
    assert int(client.session["_auth_user_id"]) == staff.pk
    assert ExternalIdentity.objects.get().user == staff
    assert list(staff.groups.values_list("name", flat=True)) == [roles.LENDING_STAFF]
