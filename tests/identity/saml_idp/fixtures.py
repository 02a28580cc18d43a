"""Fixtures for the SAML door: a pysaml2 identity provider in a second process on a loopback port, key pairs made
at fixture time, and metadata exchanged through files in a temporary directory.

A missing ``xmlsec1`` skips these tests with the reason, or fails them under CI / ILLMS_REQUIRE_SERVICES.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import html as lxml_html

from tests.conftest import REQUIRE_SERVICES
from tests.processes import stop

IDP_SCRIPT = Path(__file__).with_name("idp.py")
MUST_RUN = REQUIRE_SERVICES or os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse"

ALICE = {
    "eduPersonPrincipalName": ["alice@example.edu"], "mail": ["alice.liddell@example.edu"],
    "givenName": ["Alice"], "sn": ["Liddell"], "eduPersonAffiliation": ["member", "student"],
    "ou": ["Mathematics"], "libraryBarcode": ["21000000123"],
}


def needs_xmlsec1() -> None:
    if shutil.which("xmlsec1") is None:
        reason = "needs the xmlsec1 program (apt-get install xmlsec1)"
        if MUST_RUN:
            pytest.fail(f"{reason} (CI or ILLMS_REQUIRE_SERVICES is set, so this is a failure, not a skip)")
        pytest.skip(reason)


def make_key_pair(directory: Path, name: str, common_name: str) -> tuple[Path, Path]:
    """A self-signed RSA certificate and its key, as PEM files ``name.crt`` and ``name.key``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


@dataclass
class TestIdentityProvider:
    url: str
    directory: Path

    @property
    def metadata_file(self) -> Path:
        return self.directory / "idp_metadata.xml"

    def configure(self, **state) -> None:
        """Rewrite ``state.json`` (read by the IdP at every request): users and how it answers."""
        state.setdefault("users", {"alice": {"password": PASSWORD, "attributes": ALICE}})
        (self.directory / "state.json").write_text(json.dumps(state))

    def trust_service_provider(self, metadata_xml: str) -> None:
        (self.directory / "sp_metadata.xml").write_text(metadata_xml)

    def sign_in(self, sso_location: str, username: str = "alice", password: str = PASSWORD) -> tuple[str, dict]:
        """Follow the AuthnRequest to the IdP, sign in on its form: the address and fields of its POST form."""
        page = requests.get(sso_location, timeout=10)
        assert page.status_code == 200, page.text
        form = lxml_html.fromstring(page.text).forms[0]
        fields = {**dict(form.fields), "username": username, "password": password}
        answer = requests.post(form.action, data=fields, timeout=10)
        assert answer.status_code == 200, answer.text
        form = lxml_html.fromstring(answer.text).forms[0]
        return form.action, dict(form.fields)


@pytest.fixture(scope="module")
def saml_idp(tmp_path_factory):
    needs_xmlsec1()
    directory = tmp_path_factory.mktemp("saml_idp")
    make_key_pair(directory, "idp", "Test university IdP")
    make_key_pair(directory, "stranger", "An IdP nobody registered")
    port = int(os.environ.get("ILLMS_TEST_SAML_IDP_PORT", "0"))  # 0: a free port, so workers never clash
    process = subprocess.Popen([sys.executable, str(IDP_SCRIPT), "--port", str(port), "--dir", str(directory)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (directory / "ready").exists():
            if process.poll() is not None:
                pytest.fail(f"the test IdP did not start: {process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the test IdP did not start within 30 seconds")
            time.sleep(0.1)
        port = int((directory / "ready").read_text())
        idp = TestIdentityProvider(url=f"http://127.0.0.1:{port}", directory=directory)
        idp.configure()
        yield idp
    finally:
        stop(process)


@pytest.fixture(scope="module")
def sp_key_pair(tmp_path_factory):
    return make_key_pair(tmp_path_factory.mktemp("saml_sp"), "sp", "ILLMS test service provider")


def switch_on_saml(settings, idp: TestIdentityProvider, key_pair, site_url: str) -> str:
    """Point the SAML door at the test IdP, and register our metadata with it; returns our metadata XML."""
    from requests_app.identity.saml import config

    cert, key = key_pair
    settings.ILLMS_SIGNIN_DOORS = ["saml"]
    settings.ILLMS_SITE_URL = site_url
    settings.ILLMS_SAML_IDP_METADATA = str(idp.metadata_file)
    settings.ILLMS_SAML_ENTITY_ID = ""
    settings.ILLMS_SAML_CERT_FILE = str(cert)
    settings.ILLMS_SAML_KEY_FILE = str(key)
    settings.ILLMS_SAML_XMLSEC_BINARY = "xmlsec1"
    config.forget_loaded()
    from saml2.metadata import create_metadata_string

    metadata = create_metadata_string(None, config=config.service_provider(site_url, with_idp=False)).decode()
    idp.trust_service_provider(metadata)
    return metadata


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
