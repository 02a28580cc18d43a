"""One function turns a provider's attributes into an account and patron profile, for every door."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from requests_app.identity.mapping import UnreadableAttribute, parse_mapping, read_attributes
from requests_app.identity.provisioning import IdentityRefused, provision
from requests_app.models import ExternalIdentity, PatronCategory, PatronProfile
from tests.factories import MemberLibraryFactory, PatronProfileFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SAML = {
    "eduPersonPrincipalName": ["jdoe@example.edu"], "mail": ["jane.doe@example.edu"], "givenName": ["Jane"],
    "sn": ["Doe"], "eduPersonAffiliation": ["member", "student"], "ou": ["Chemistry"],
    "libraryBarcode": ["21000000777"], "libraryExpiry": ["2027-06-30"],
}


@pytest.fixture
def library():
    return MemberLibraryFactory(symbol="UNI")


def test_a_first_sign_in_creates_a_patron_from_the_attributes(library):
    user = provision(read_attributes(SAML, door="saml"))
    profile = user.patron_profile
    assert (user.username, user.first_name, user.last_name, user.email) == \
        ("jdoe@example.edu", "Jane", "Doe", "jane.doe@example.edu")
    assert (profile.library, profile.card_barcode, profile.category, profile.department, profile.expires_on) == \
        (library, "21000000777", PatronCategory.UNDERGRADUATE, "Chemistry", dt.date(2027, 6, 30))


def test_the_new_account_has_no_password_anyone_could_use(library):
    user = provision(read_attributes(SAML, door="saml"))
    assert not user.has_usable_password()


def test_a_second_sign_in_refreshes_the_details_and_keeps_the_account(library):
    first = provision(read_attributes(SAML, door="saml"))
    again = provision(read_attributes({**SAML, "eduPersonAffiliation": ["faculty"], "sn": ["Doe-Smith"],
                                       "libraryExpiry": ["2028-01-31"]}, door="saml"))
    again.patron_profile.refresh_from_db()
    assert again.pk == first.pk and again.last_name == "Doe-Smith"
    assert (again.patron_profile.category, again.patron_profile.expires_on) == \
        (PatronCategory.FACULTY, dt.date(2028, 1, 31))
    assert get_user_model().objects.count() == 1 and ExternalIdentity.objects.count() == 1


def test_oids_are_read_as_their_friendly_names(library):
    user = provision(read_attributes({"urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "oid@example.edu",
                                      "urn:oid:2.5.4.42": "Olu", "urn:oid:2.5.4.4": "Ade"}, door="saml"))
    assert (user.username, user.first_name, user.last_name) == ("oid@example.edu", "Olu", "Ade")


def test_scoped_affiliations_count_by_their_value_and_faculty_wins_over_student():
    attributes = read_attributes({"uid": "x", "eduPersonScopedAffiliation": ["student@example.edu",
                                                                              "faculty@example.edu"]}, door="saml")
    assert attributes.category == PatronCategory.FACULTY


def test_a_library_maps_its_own_attribute_names(settings, library):
    settings.ILLMS_IDENTITY_ATTRIBUTES = {"cas": parse_mapping("barcode=cardNumber;department=dept")}
    user = provision(read_attributes({"user": "kim", "cardNumber": "999", "dept": "Law"}, door="cas"))
    assert (user.patron_profile.card_barcode, user.patron_profile.department) == ("999", "Law")


def test_a_mapping_naming_an_unknown_field_is_refused_with_its_name():
    with pytest.raises(ValueError, match="colour=x"):
        parse_mapping("email=mail;colour=x")


def test_an_expiry_that_is_no_date_is_refused_by_name():
    with pytest.raises(UnreadableAttribute, match="next summer"):
        read_attributes({**SAML, "libraryExpiry": ["next summer"]}, door="saml")


def test_ldap_times_are_read_as_dates():
    assert read_attributes({"uid": "a", "libraryExpiry": "20270630000000Z"}, door="ldap").expires_on == \
        dt.date(2027, 6, 30)


def test_no_subject_is_refused_and_creates_nothing(library):
    with pytest.raises(IdentityRefused, match="did not say who you are"):
        provision(read_attributes({"mail": "who@example.edu"}, door="saml"))
    assert not get_user_model().objects.exists()


def test_a_user_name_taken_by_a_local_account_never_links_to_it(library):
    local = UserFactory(username="jdoe@example.edu")
    user = provision(read_attributes(SAML, door="saml"))
    assert user.pk != local.pk and user.username != local.username


def test_a_loaded_patron_is_found_by_card_and_linked_at_first_sign_in(library):
    loaded = PatronProfileFactory(library=library, card_barcode="21000000777")
    user = provision(read_attributes(SAML, door="saml"))
    assert user.pk == loaded.user.pk
    assert PatronProfile.objects.count() == 1


def test_a_card_already_linked_at_this_door_is_not_taken_by_another_subject(library):
    provision(read_attributes(SAML, door="saml"))
    with pytest.raises(IdentityRefused, match="registered to another account"):
        provision(read_attributes({**SAML, "eduPersonPrincipalName": ["impostor@example.edu"]}, door="saml"))
    assert get_user_model().objects.count() == 1


def test_the_library_is_chosen_by_its_attribute(library):
    other = MemberLibraryFactory(symbol="LAW")
    user = provision(read_attributes({**SAML, "librarySymbol": "law"}, door="saml"))
    assert user.patron_profile.library == other


def test_an_unknown_library_symbol_is_refused_by_name(library):
    with pytest.raises(IdentityRefused, match="NOPE"):
        provision(read_attributes({**SAML, "librarySymbol": "NOPE"}, door="saml"))
    assert not get_user_model().objects.exists()


def test_with_several_libraries_and_no_choice_the_person_is_told_to_use_their_library(library):
    MemberLibraryFactory(symbol="LAW")
    with pytest.raises(IdentityRefused, match="which library"):
        provision(read_attributes(SAML, door="saml"))


def test_the_door_names_the_library_in_a_consortium(library):
    law = MemberLibraryFactory(symbol="LAW")
    user = provision(read_attributes(SAML, door="saml"), door_library="LAW")
    assert user.patron_profile.library == law


def test_staff_released_as_staff_sign_in_to_their_own_account_without_a_patron_profile(library):
    clerk = StaffFactory(username="clerk", library=library)
    user = provision(read_attributes({"uid": "clerk", "illStaff": "true"}, door="ldap"))
    assert user.pk == clerk.pk and not PatronProfile.objects.filter(user=clerk).exists()


def test_staff_are_not_linked_by_name_without_the_staff_attribute(library):
    clerk = StaffFactory(username="clerk", library=library)
    user = provision(read_attributes({"uid": "clerk"}, door="ldap"))
    assert user.pk != clerk.pk


def test_a_switched_off_account_is_refused(library):
    user = provision(read_attributes(SAML, door="saml"))
    user.is_active = False
    user.save()
    with pytest.raises(IdentityRefused, match="switched off"):
        provision(read_attributes(SAML, door="saml"))
