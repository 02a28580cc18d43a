"""A real CAS 3.0 server (django-mama-cas, tests/identity/cas_server) in a second process on loopback, and the
CAS door's sign-in driven over real HTTP: our live server, the CAS login form, the ticket back to our callback."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import skip_or_fail
from tests.processes import free_loopback_port, stop

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"  # noqa: S105 - the test CAS server's people

PEOPLE = {
    "ada": {"password": PASSWORD, "attributes": {
        "mail": "ada.lovelace@uni.example.edu", "givenName": "Ada", "sn": "Lovelace",
        "eduPersonAffiliation": ["member", "student"], "ou": "Mathematics", "libraryBarcode": "21000000111",
        "employeeNumber": "E-1815", "libraryExpiry": "2027-06-30"}},
    "grace": {"password": PASSWORD, "attributes": {"mail": "grace@uni.example.edu", "displayName": "Grace Hopper",
                                                   "eduPersonAffiliation": "faculty"}},
    "nobody": {"password": PASSWORD, "attributes": {"libraryExpiry": "soon"}},
}


free_port = free_loopback_port


@dataclass
class CasServer:
    url: str  # the CAS base address, ending in /cas/
    users_file: Path
    db_file: Path

    def set_attributes(self, username: str, attributes: dict) -> None:
        people = json.loads(self.users_file.read_text())
        people[username]["attributes"] = attributes
        self.users_file.write_text(json.dumps(people))

    def expire_tickets(self) -> None:
        with sqlite3.connect(self.db_file) as db:
            db.execute("UPDATE mama_cas_serviceticket SET expires = '2000-01-01 00:00:00'")

    def ticket_for(self, service: str, username: str = "ada", password: str = PASSWORD) -> str:
        """Sign in at the CAS login form for ``service`` and return the ticket it sends there (not followed)."""
        response = self.log_in(requests.Session(), service, username, password)
        assert response.status_code == 302, response.text[:500]
        return re.search(r"[?&]ticket=([^&]+)", response.headers["Location"]).group(1)

    def log_in(self, session: requests.Session, login_url: str | None, username: str, password: str,
               service: str | None = None) -> requests.Response:
        """The CAS login form, filled in and posted; the server's answer (a redirect with a ticket), unfollowed."""
        if login_url is None or not login_url.startswith(self.url):
            service, login_url = login_url or service, f"{self.url}login"
            form = session.get(login_url, params={"service": service}, timeout=10)
        else:
            form = session.get(login_url, timeout=10)
        assert form.status_code == 200, form.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return session.post(form.url, data={"csrfmiddlewaretoken": token, "username": username,
                                            "password": password},
                            headers={"Referer": form.url}, allow_redirects=False, timeout=10)


@pytest.fixture(scope="module")
def cas_server(tmp_path_factory):
    try:
        import mama_cas  # noqa: F401
    except ImportError:
        skip_or_fail("needs django-mama-cas (pip install -e .[dev]) for the test CAS server")
    folder = tmp_path_factory.mktemp("cas-server")
    users, db = folder / "users.json", folder / "cas.sqlite3"
    users.write_text(json.dumps(PEOPLE))
    log = (folder / "server.log").open("w")
    # Port 0: the server binds a port the system picks and says which, so workers starting servers at once never
    # race for the same port between a probe and the bind.
    process = subprocess.Popen([sys.executable, "-m", "tests.identity.cas_server.run", "0", str(users), str(db)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = process.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            process.wait(timeout=5)
            pytest.fail(f"the test CAS server did not start: {(folder / 'server.log').read_text()[-2000:]}")
        port = int(line[1])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield CasServer(url=f"http://127.0.0.1:{port}/cas/", users_file=users, db_file=db)
    finally:
        stop(process)
        log.close()


@pytest.fixture
def cas_door(settings, cas_server):
    """The CAS door switched on against the test server (CAS 3.0), signing patrons in to library UNI."""
    from tests.factories import MemberLibraryFactory

    library = MemberLibraryFactory(symbol="UNI", email="ill@uni.example.edu")
    settings.ILLMS_SIGNIN_DOORS = ["cas"]
    settings.ILLMS_CAS_SERVER_URL = cas_server.url
    settings.ILLMS_CAS_VERSION = "3"
    settings.ILLMS_CAS_TIMEOUT = 5.0
    settings.ILLMS_CAS_LOGOUT = True
    settings.ILLMS_SIGNIN_LIBRARIES = {**settings.ILLMS_SIGNIN_LIBRARIES, "cas": "UNI"}
    for username, entry in PEOPLE.items():
        cas_server.set_attributes(username, entry["attributes"])
    return library


def sign_in(live_server, cas_server: CasServer, username: str = "ada", password: str = PASSWORD,
            next_url: str | None = None, session: requests.Session | None = None):
    """Press our CAS button, sign in at the CAS server, come back to our callback; our last answer, unfollowed."""
    session = session or requests.Session()
    start = session.get(f"{live_server.url}/accounts/cas/login/", params={"next": next_url} if next_url else None,
                        allow_redirects=False, timeout=10)
    assert start.status_code == 302 and start.headers["Location"].startswith(cas_server.url), start.text[:500]
    at_cas = cas_server.log_in(session, start.headers["Location"], username, password)
    assert at_cas.status_code == 302, at_cas.text[:500]
    back = at_cas.headers["Location"]
    assert back.startswith(f"{live_server.url}/accounts/cas/callback/?ticket=ST-"), back
    return session, session.get(back, allow_redirects=False, timeout=30)
