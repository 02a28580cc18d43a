"""Staff coming through an identity door: our code is asked unless the provider asserted a second factor we trust;
patrons are never asked (their institution's sign-in is their factor). Against the real pysaml2 identity provider
and the real CAS server (django-mama-cas), each in a second process."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from requests_app import roles
from requests_app.two_factor.policy import asserted_mfa
from requests_app.two_factor.signin import SETTLED
from tests.factories import MemberLibraryFactory, StaffFactory, give_authenticator
from tests.identity import cas_fixtures
from tests.identity.saml_idp.fixtures import ALICE, path_of, saml_idp, sp_key_pair, switch_on_saml  # noqa: F401
from tests.identity.saml_idp.fixtures import PASSWORD as IDP_PASSWORD

pytestmark = pytest.mark.django_db
cas_server, cas_door = cas_fixtures.cas_server, cas_fixtures.cas_door
SITE = "http://testserver"
REFEDS_MFA = "https://refeds.org/profile/mfa"
STAFF_ALICE = {**ALICE, "illStaff": ["true"]}


@pytest.fixture
def door(settings, saml_idp, sp_key_pair):  # noqa: F811
    switch_on_saml(settings, saml_idp, sp_key_pair, SITE)
    yield saml_idp
    saml_idp.configure()


@pytest.fixture
def alice_at_the_desk():
    """Alice's staff account (ILL administrator: two factors required), with her authenticator app."""
    user = StaffFactory(username="alice@example.edu", library=MemberLibraryFactory(symbol="UNI"),
                        groups=[roles.ILL_ADMINISTRATOR])
    give_authenticator(user)
    return user


def sign_in(client, idp):
    start = client.get(reverse("signin-saml"))["Location"]
    action, fields = idp.sign_in(start)
    return client.post(path_of(action), fields)


def test_staff_whose_provider_asserts_mfa_are_signed_in_without_our_code(client, door, alice_at_the_desk):
    door.configure(users={"alice": {"password": IDP_PASSWORD, "attributes": STAFF_ALICE}},
                   class_ref=REFEDS_MFA)
    response = sign_in(client, door)
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session[SESSION_KEY]) == alice_at_the_desk.pk
    assert client.session[SETTLED] == "identity_provider"


def test_staff_whose_provider_asserts_a_password_only_give_our_code(client, door, alice_at_the_desk):
    door.configure(users={"alice": {"password": IDP_PASSWORD, "attributes": STAFF_ALICE}})
    response = sign_in(client, door)
    assert response["Location"] == reverse("two-factor-verify")
    assert SESSION_KEY not in client.session


def test_with_the_providers_second_factor_not_trusted_staff_give_our_code(client, door, alice_at_the_desk, settings):
    settings.ILLMS_2FA_TRUST_IDP_MFA = False
    door.configure(users={"alice": {"password": IDP_PASSWORD, "attributes": STAFF_ALICE}},
                   class_ref=REFEDS_MFA)
    assert sign_in(client, door)["Location"] == reverse("two-factor-verify")


def test_a_patron_through_the_door_is_never_asked_for_a_code(client, door):
    MemberLibraryFactory(symbol="UNI")
    door.configure()
    response = sign_in(client, door)
    assert response["Location"] == "/" and SESSION_KEY in client.session


@pytest.mark.parametrize(("values", "trusted"), [
    (["https://refeds.org/profile/mfa"], True), (["mfa", "pwd"], True), (["MFA"], True),
    (["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"], False), (["pwd"], False), ([], False),
    ([None, ""], False)])
def test_the_values_that_count_as_the_providers_second_factor(values, trusted):
    assert asserted_mfa(values) is trusted


def test_a_library_names_its_own_providers_second_factor_values(settings):
    settings.ILLMS_2FA_IDP_MFA_VALUES = ["mfa-duo"]
    assert asserted_mfa(["mfa-duo"]) and not asserted_mfa(["mfa"])
