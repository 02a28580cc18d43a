"""A switched-on SAML door that cannot work (no xmlsec1, unreadable metadata) closes alone: the site answers,
``manage.py check`` warns, and the sign-in button leads to the reason."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from requests_app.identity.saml import config
from requests_app.identity.saml.checks import saml_door_works

pytestmark = pytest.mark.django_db


@pytest.fixture
def door(settings, tmp_path):
    (tmp_path / "sp.crt").write_text("x")
    (tmp_path / "sp.key").write_text("x")
    (tmp_path / "idp.xml").write_text("<not-metadata/>")
    settings.ILLMS_SIGNIN_DOORS = ["saml"]
    settings.ILLMS_SITE_URL = "http://testserver"
    settings.ILLMS_SAML_IDP_METADATA = str(tmp_path / "idp.xml")
    settings.ILLMS_SAML_CERT_FILE = str(tmp_path / "sp.crt")
    settings.ILLMS_SAML_KEY_FILE = str(tmp_path / "sp.key")
    config.forget_loaded()
    yield settings
    config.forget_loaded()


def test_without_xmlsec1_the_button_says_saml_is_not_available(client, door):
    door.ILLMS_SAML_XMLSEC_BINARY = "/nonexistent/xmlsec1"
    assert 'data-door' in client.get(reverse("login")).content.decode()
    response = client.get(reverse("signin-saml"))
    assert response.status_code == 503
    assert "SAML sign-in is not available: the xmlsec1 program is not installed" in response.content.decode()


def test_without_xmlsec1_check_warns_and_the_site_still_runs(client, door):
    door.ILLMS_SAML_XMLSEC_BINARY = "/nonexistent/xmlsec1"
    warnings = saml_door_works()
    assert [w.id for w in warnings] == ["illms.W201"] and "xmlsec1" in warnings[0].msg
    call_command("check")  # a warning, not an error
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.parametrize("source", ["missing.xml", "idp.xml", "http://127.0.0.1:9/metadata"])
def test_metadata_that_cannot_be_read_is_a_clear_page_and_a_warning(client, door, tmp_path, source):
    if shutil_which_xmlsec1() is None:
        pytest.skip("needs the xmlsec1 program to reach the metadata (apt-get install xmlsec1)")
    door.ILLMS_SAML_IDP_METADATA = source if source.startswith("http") else str(tmp_path / source)
    response = client.get(reverse("signin-saml"))
    assert response.status_code == 503
    assert "SAML sign-in is not available" in response.content.decode()
    assert saml_door_works()[0].id == "illms.W201"
    assert client.post(reverse("saml-acs"), {"SAMLResponse": "x"}).status_code == 503


def shutil_which_xmlsec1():
    import shutil

    return shutil.which("xmlsec1")
