"""The LDAP door on the ILL administrator's sign-in page: what it is configured with (never the service account's
password), what stops it working, and "Check the providers now" binding the service account at a real slapd."""

# ruff: noqa: F811  (the directory's fixtures, imported below, are the tests' arguments)
from __future__ import annotations

import pytest

from tests.identity.ldap_fixtures import PEOPLE, SERVICE_DN, SERVICE_PASSWORD, free_port, ldap_door, slapd  # noqa: F401
from tests.identity.test_signin_settings import administrator_client, door_section, page

pytestmark = pytest.mark.django_db


def test_checking_now_binds_the_service_account_and_reads_the_user_search_base(client, ldap_door):
    section = door_section(page(administrator_client(client), check="1"), "ldap")
    assert ">On<" in section
    assert f"accepted {SERVICE_DN} and shows the user search base {PEOPLE}" in section


def test_the_service_accounts_password_is_never_shown(client, ldap_door):
    text = page(administrator_client(client), check="1")
    assert SERVICE_PASSWORD not in text
    assert "ILLMS_LDAP_BIND_PASSWORD" in door_section(text, "ldap") and ">set<" in door_section(text, "ldap")


def test_a_refused_service_account_is_named_when_checked(client, ldap_door, settings):
    settings.ILLMS_LDAP_BIND_PASSWORD = "wrong"  # noqa: S105
    section = door_section(page(administrator_client(client), check="1"), "ldap")
    assert "On, not working" in section and f"refused {SERVICE_DN}: invalidCredentials" in section


def test_a_directory_that_does_not_answer_is_named_when_checked(client, ldap_door, settings):
    settings.ILLMS_LDAP_SERVER_URI = uri = f"ldap://127.0.0.1:{free_port()}"
    section = door_section(page(administrator_client(client), check="1"), "ldap")
    assert "On, not working" in section and f"did not answer at {uri}" in section


def test_the_page_without_a_check_does_not_ask_the_directory(client, ldap_door, settings):
    settings.ILLMS_LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()}"
    section = door_section(page(administrator_client(client)), "ldap")
    assert ">On<" in section and "did not answer" not in section


def test_a_switched_on_door_without_a_directory_says_what_is_missing(client, settings):
    settings.ILLMS_SIGNIN_DOORS = ["ldap"]
    settings.ILLMS_LDAP_SERVER_URI = settings.ILLMS_LDAP_USER_SEARCH_BASE = settings.ILLMS_LDAP_USER_DN_TEMPLATE = ""
    section = door_section(page(administrator_client(client)), "ldap")
    assert "ILLMS_LDAP_SERVER_URI is not set" in section
    assert "Set ILLMS_LDAP_USER_SEARCH_BASE (search, then bind) or ILLMS_LDAP_USER_DN_TEMPLATE" in section


def test_plain_ldap_without_start_tls_is_pointed_out(client, ldap_door):
    section = door_section(page(administrator_client(client)), "ldap")
    assert "passwords go to an ldap:// address unencrypted" in section


def test_the_group_maps_are_shown(client, ldap_door, settings):
    settings.ILLMS_LDAP_STAFF_GROUPS = {"ill-staff": ("borrowing", "lending")}
    section = door_section(page(administrator_client(client)), "ldap")
    assert "ill-staff → borrowing, lending" in section
