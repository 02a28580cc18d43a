"""The LDAP door's pieces that need no directory: escaping, Active Directory's refusal codes, group maps."""

import pytest

from requests_app.identity import ldap as directory
from requests_app.identity.fields import CATEGORIES, STAFF_ROLES, parse_group_map
from requests_app.models import PatronCategory


def test_the_user_name_is_escaped_as_a_filter_value(settings):
    settings.ILLMS_LDAP_USER_SEARCH_FILTER = "(&(objectClass=person)(uid=%(user)s))"
    assert directory.user_filter("a*b(c)\\d") == r"(&(objectClass=person)(uid=a\2ab\28c\29\5cd))"


def test_the_user_name_is_escaped_as_an_rdn_value_in_a_dn_template(settings):
    settings.ILLMS_LDAP_USER_DN_TEMPLATE = "uid=%(user)s,ou=people,dc=uni,dc=example"
    assert directory.bind_name("x,ou=admins") == r"uid=x\,ou\=admins,ou=people,dc=uni,dc=example"


def test_a_principal_name_template_is_not_escaped_as_a_dn(settings):
    settings.ILLMS_LDAP_USER_DN_TEMPLATE = "%(user)s@uni.example.edu"
    assert directory.bind_name("o'brien") == "o'brien@uni.example.edu"


@pytest.mark.parametrize(("message", "code"), [
    ("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 533, v3839", "disabled"),
    ("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839", "locked"),
    ("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 532, v3839", "password_expired"),
    ("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839", ""),
    ("", ""),
])
def test_active_directorys_refusal_codes_are_read(message, code):
    assert directory.ad_reason(message) == code


def test_a_group_map_keeps_a_dns_own_equals_signs_and_commas():
    assert parse_group_map("cn=ILL Staff,ou=groups,dc=uni=borrowing, lending;admins=administrator",
                           allowed=STAFF_ROLES) == {"cn=ill staff,ou=groups,dc=uni": ("borrowing", "lending"),
                                                    "admins": ("administrator",)}


def test_a_group_map_naming_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="superuser is none of"):
        parse_group_map("ill-staff=superuser", allowed=STAFF_ROLES)


def test_the_group_categories_are_the_patron_categories():
    assert set(CATEGORIES) == set(PatronCategory.values)


def test_manage_py_check_says_nothing_while_the_door_is_off(settings):
    from requests_app.identity.ldap.checks import ldap_door_works

    settings.ILLMS_SIGNIN_DOORS = []
    assert ldap_door_works() == []


def test_manage_py_check_warns_of_a_door_with_no_directory(settings):
    from requests_app.identity.ldap.checks import ldap_door_works

    settings.ILLMS_SIGNIN_DOORS = ["ldap"]
    settings.ILLMS_LDAP_SERVER_URI = settings.ILLMS_LDAP_USER_SEARCH_BASE = settings.ILLMS_LDAP_USER_DN_TEMPLATE = ""
    assert [w.id for w in ldap_door_works()] == ["illms.W202", "illms.W202"]


def test_manage_py_check_warns_of_passwords_sent_unencrypted(settings):
    from requests_app.identity.ldap.checks import ldap_door_works

    settings.ILLMS_SIGNIN_DOORS = ["ldap"]
    settings.ILLMS_LDAP_SERVER_URI, settings.ILLMS_LDAP_USER_SEARCH_BASE = "ldap://ldap.uni.example", "dc=uni"
    settings.ILLMS_LDAP_START_TLS = False
    warnings = ldap_door_works()
    assert [w.id for w in warnings] == ["illms.W203"] and "ldap://ldap.uni.example" in warnings[0].msg


def test_manage_py_check_is_content_with_start_tls(settings):
    from requests_app.identity.ldap.checks import ldap_door_works

    settings.ILLMS_SIGNIN_DOORS = ["ldap"]
    settings.ILLMS_LDAP_SERVER_URI, settings.ILLMS_LDAP_USER_SEARCH_BASE = "ldap://ldap.uni.example", "dc=uni"
    settings.ILLMS_LDAP_START_TLS = True
    assert ldap_door_works() == []


def test_a_user_name_typed_with_its_windows_domain_is_refused_with_the_way_to_type_it():
    with pytest.raises(directory.DirectoryRefused, match=r"Type it alone, without a domain and \\ before it"):
        directory.check_username("UNI\\ada")
