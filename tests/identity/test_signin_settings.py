"""The ILL administrator's sign-in page: each door as the environment sets it, the addresses to register at the
identity provider, never a secret, and what stops a door working, checked against the real test providers."""

# ruff: noqa: F811  (the providers' fixtures, imported below, are the tests' arguments)
from __future__ import annotations

import pytest
from django.urls import reverse

from requests_app import roles
from requests_app.models import Library
from tests.factories import MemberLibraryFactory, StaffFactory
from tests.identity import cas_fixtures
from tests.identity.oidc_provider.server import CLIENT_SECRET, oidc_door, oidc_provider  # noqa: F401
from tests.identity.saml_idp.fixtures import saml_idp, sp_key_pair, switch_on_saml  # noqa: F401

pytestmark = pytest.mark.django_db
cas_server, cas_door = cas_fixtures.cas_server, cas_fixtures.cas_door
SITE = "http://testserver"


def administrator_client(client, symbol: str = "UNI"):
    library = Library.objects.filter(symbol=symbol).first() or MemberLibraryFactory(symbol=symbol)
    client.force_login(StaffFactory(library=library, groups=[roles.ILL_ADMINISTRATOR]))
    return client


def page(client, **params) -> str:
    response = client.get(reverse("policies:signin"), params)
    assert response.status_code == 200
    return response.content.decode()


def door_section(text: str, door: str) -> str:
    start = text.index(f'id="door-{door}"')
    end = text.find('<section class="card', start)
    return text[start:end if end != -1 else None]


def test_with_no_door_switched_on_every_door_reads_off(client, settings):
    settings.ILLMS_SIGNIN_DOORS = []
    text = page(administrator_client(client))
    for door in ("saml", "cas", "oidc", "ldap"):
        assert ">Off<" in door_section(text, door)
    assert "Library password sign-in" in text


def test_staff_who_are_not_administrators_cannot_open_it(client):
    library = MemberLibraryFactory()
    client.force_login(StaffFactory(library=library, groups=[roles.BORROWING_STAFF]))
    assert client.get(reverse("policies:signin")).status_code == 403


def test_a_working_saml_door_gives_the_addresses_to_register_and_names_the_provider(client, settings, saml_idp,
                                                                                     sp_key_pair):
    switch_on_saml(settings, saml_idp, sp_key_pair, SITE)
    section = door_section(page(administrator_client(client)), "saml")
    assert ">On<" in section
    assert f"{SITE}/accounts/saml/metadata/" in section and f"{SITE}/accounts/saml/acs/" in section
    assert f"describes the identity provider {saml_idp.url}/idp/metadata" in section


def test_a_saml_door_whose_metadata_is_missing_says_why_it_does_not_work(client, settings, saml_idp, sp_key_pair,
                                                                       tmp_path):
    from requests_app.identity.saml import config

    switch_on_saml(settings, saml_idp, sp_key_pair, SITE)
    settings.ILLMS_SAML_IDP_METADATA = str(tmp_path / "gone.xml")
    config.forget_loaded()
    section = door_section(page(administrator_client(client)), "saml")
    assert "On, not working" in section
    assert f"metadata file {tmp_path / 'gone.xml'} cannot be read" in section


def test_the_oidc_client_secret_is_never_shown(client, oidc_door):
    text = page(administrator_client(client), check="1")
    section = door_section(text, "oidc")
    assert CLIENT_SECRET not in text
    assert "ILLMS_OIDC_CLIENT_SECRET" in section and ">set<" in section
    assert f"{SITE}/accounts/oidc/callback/" in section


def test_checking_now_finds_the_openid_providers_endpoints(client, oidc_door, oidc_provider):
    section = door_section(page(administrator_client(client), check="1"), "oidc")
    assert "endpoints were found" in section and ">On<" in section


def test_checking_now_finds_the_cas_servers_login_page(client, cas_door, cas_server):
    section = door_section(page(administrator_client(client), check="1"), "cas")
    assert f"login page answers at {cas_server.url.rstrip('/')}/login" in section


def test_a_cas_server_that_does_not_answer_is_named_when_checked(client, settings):
    settings.ILLMS_SIGNIN_DOORS = ["cas"]
    settings.ILLMS_CAS_SERVER_URL = "http://127.0.0.1:9/cas/"  # the discard port: nothing listens
    settings.ILLMS_CAS_TIMEOUT = 2.0
    section = door_section(page(administrator_client(client), check="1"), "cas")
    assert "On, not working" in section and "did not answer at http://127.0.0.1:9/cas/login" in section


def test_a_switched_on_cas_door_without_a_server_says_so_without_a_check(client, settings):
    settings.ILLMS_SIGNIN_DOORS = ["cas"]
    settings.ILLMS_CAS_SERVER_URL = ""
    section = door_section(page(administrator_client(client)), "cas")
    assert "ILLMS_CAS_SERVER_URL is not set" in section


def test_the_door_library_and_the_attribute_mapping_are_shown(client, settings):
    settings.ILLMS_SIGNIN_DOORS = ["cas"]
    settings.ILLMS_SIGNIN_LIBRARIES = {"cas": "UNI"}
    settings.ILLMS_IDENTITY_ATTRIBUTES = {"cas": {"barcode": ("libraryCard",)}}
    section = door_section(page(administrator_client(client)), "cas")
    assert "UNI (ILLMS_CAS_LIBRARY)" in section
    assert "<td>Library card barcode</td><td><code>libraryCard</code></td>" in section
