"""Pytest fixtures: the test OpenID provider in a second process, and a door of ours configured against it.

Import them into a test module: ``from tests.identity.oidc_provider.server import oidc_door, oidc_provider``.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.processes import stop

ROOT = Path(__file__).resolve().parents[3]
#: One provider per test process: pytest-xdist's workers gw0, gw1 each get their own port.
PORT = 8851 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
CLIENT_ID = "illms-test-client"
CLIENT_SECRET = "illms-test-secret-0123456789"

#: The people the provider knows (password ``pw-<username>``) and the claims it releases for them.
PEOPLE = {
    "ada": {"preferred_username": "ada", "given_name": "Ada", "family_name": "Lovelace", "name": "Ada Lovelace",
            "email": "ada@uni.example.edu", "eduperson_affiliation": ["member", "student"],
            "library_barcode": "21000000101", "department": "Mathematics"},
    "ben": {"preferred_username": "ben", "given_name": "Ben", "family_name": "Okafor",
            "email": "ben@uni.example.edu", "eduperson_affiliation": ["faculty"], "library_barcode": "21000000102",
            "department": "Physics"},
}


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass
class Provider:
    url: str
    issuer: str
    state: Path
    key_pem: str
    process: subprocess.Popen

    def set_claims(self, username: str, **claims) -> None:
        people = json.loads((self.state / "claims.json").read_text())
        people[username] = {**people[username], **claims}
        (self.state / "claims.json").write_text(json.dumps(people))

    def reset_claims(self) -> None:
        (self.state / "claims.json").write_text(json.dumps(PEOPLE))

    def kid(self) -> str:
        return requests.get(f"{self.issuer}/.well-known/jwks.json", timeout=5).json()["keys"][0]["kid"]


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test OpenID provider stopped:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the test OpenID provider did not answer at {url}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def oidc_provider(live_server, tmp_path_factory):
    """django-oauth-toolkit's OpenID provider on 127.0.0.1:8851, our application registered with the live
    server's callback; stopped after the module."""
    state = tmp_path_factory.mktemp("oidc-provider")
    key_pem = pem(new_private_key())
    (state / "key.pem").write_text(key_pem)
    (state / "claims.json").write_text(json.dumps(PEOPLE))
    url = f"http://127.0.0.1:{PORT}"
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.identity.oidc_provider.settings",
        "OIDC_PROVIDER_STATE": str(state), "OIDC_PROVIDER_ISSUER": f"{url}/o",
        "OIDC_PROVIDER_CLIENT_ID": CLIENT_ID, "OIDC_PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_REDIRECT_URI": f"{live_server.url}/accounts/oidc/callback/",
        "OIDC_PROVIDER_POST_LOGOUT_URI": f"{live_server.url}/accounts/login/",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "tests.identity.oidc_provider.setup"], cwd=ROOT, env=env, check=True,
                   timeout=120)
    log = state / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"{url}/o/.well-known/openid-configuration", process, log)
        yield Provider(url=url, issuer=f"{url}/o", state=state, key_pem=key_pem, process=process)
    finally:
        stop(process)


@pytest.fixture
def oidc_door(oidc_provider, settings):
    """Our OIDC door switched on against the test provider, by discovery, with a member library to sign in to."""
    from requests_app.identity.oidc.provider import forget_discovery
    from tests.factories import MemberLibraryFactory

    oidc_provider.reset_claims()
    settings.ILLMS_SIGNIN_DOORS = ["oidc"]
    settings.ILLMS_OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT",
                 "OIDC_OP_JWKS_ENDPOINT", "ILLMS_OIDC_END_SESSION_ENDPOINT"):
        setattr(settings, name, "")
    forget_discovery()
    library = MemberLibraryFactory(symbol="UNI", name="University Library")
    yield library
    forget_discovery()


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_NEXT = re.compile(r'name="next" value="([^"]*)"')


def csrf_token(page: str) -> str:
    found = _CSRF.search(page)
    assert found, f"no CSRF token in the page:\n{page[:2000]}"
    return html.unescape(found.group(1))


def provider_sign_in(browser: requests.Session, page: requests.Response, username: str,
                     password: str | None = None) -> requests.Response:
    """Fill in the provider's sign-in form ``page`` and follow the redirects back to us."""
    assert "Test provider: sign in" in page.text, page.text[:2000]
    found_next = _NEXT.search(page.text)
    return browser.post(page.url, data={
        "csrfmiddlewaretoken": csrf_token(page.text), "username": username,
        "password": password if password is not None else f"pw-{username}",
        "next": html.unescape(found_next.group(1)) if found_next else "",
    }, timeout=30)
