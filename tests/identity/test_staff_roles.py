"""A provider's staff value or group, mapped to roles, makes and keeps a staff account (ILLMS_IDENTITY_STAFF_ROLES)."""

import pytest
from django.contrib.auth.models import Group

from requests_app import roles
from requests_app.identity.mapping import read_attributes
from requests_app.identity.provisioning import provision
from requests_app.models import PatronProfile, StaffProfile
from tests.factories import MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

ADMIN = {"eduPersonPrincipalName": "ada@example.edu", "givenName": "Ada", "sn": "Lovelace",
         "illStaff": ["ill-admins"], "eduPersonAffiliation": ["staff"]}


@pytest.fixture(autouse=True)
def mapping(settings):
    settings.ILLMS_IDENTITY_STAFF_ROLES = {"ill-admins": roles.ILL_ADMINISTRATOR, "ill-billing": roles.BILLING_STAFF,
                                           "ill-borrowing": roles.BORROWING_STAFF,
                                           "directory": roles.DIRECTORY_ADMINISTRATOR}


@pytest.fixture
def library():
    return MemberLibraryFactory(symbol="UNI")


def role_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_a_mapped_staff_value_makes_a_staff_account_of_the_library_with_its_role_and_no_patron_profile(library):
    user = provision(read_attributes(ADMIN, door="saml"))
    assert StaffProfile.objects.get(user=user).library == library
    assert role_names(user) == {roles.ILL_ADMINISTRATOR}
    assert user.is_staff, "an ILL administrator has the Django admin"
    assert not PatronProfile.objects.filter(user=user).exists()
    assert not user.has_usable_password()


def test_a_mapped_group_among_the_affiliations_gives_its_role_too(library):
    user = provision(read_attributes({"sub": "k1", "preferred_username": "kim", "groups": ["ill-billing"]},
                                     door="oidc"))
    assert role_names(user) == {roles.BILLING_STAFF} and not user.is_staff


def test_roles_become_the_providers_at_every_sign_in(library):
    user = provision(read_attributes(ADMIN, door="saml"))
    user.groups.add(Group.objects.get(name=roles.REPORTING))
    again = provision(read_attributes({**ADMIN, "illStaff": ["ill-borrowing"]}, door="saml"))
    assert again.pk == user.pk
    assert role_names(again) == {roles.BORROWING_STAFF}


def test_a_staff_account_released_without_a_mapped_value_keeps_no_role(library):
    user = provision(read_attributes(ADMIN, door="saml"))
    provision(read_attributes({**ADMIN, "illStaff": ["true"]}, door="saml"))
    assert role_names(user) == set()


def test_an_installation_role_is_never_given_by_the_provider(library):
    user = provision(read_attributes({**ADMIN, "illStaff": ["directory"]}, door="saml"))
    assert role_names(user) == set() and not user.is_superuser


def test_an_existing_staff_account_of_the_same_name_is_linked_and_given_the_mapped_role(library):
    clerk = StaffFactory(username="ada@example.edu", library=library, groups=[roles.LENDING_STAFF])
    user = provision(read_attributes(ADMIN, door="saml"))
    assert user.pk == clerk.pk
    assert role_names(user) == {roles.ILL_ADMINISTRATOR}


def test_without_a_mapping_a_staff_value_makes_no_staff_account(settings, library):
    settings.ILLMS_IDENTITY_STAFF_ROLES = {}
    user = provision(read_attributes(ADMIN, door="saml"))
    assert not StaffProfile.objects.filter(user=user).exists()
    assert PatronProfile.objects.filter(user=user).exists()
