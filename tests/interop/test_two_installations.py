"""Two ILLMS installations, each its own server process and database, complete a loan over HTTP.

Each installation runs ``manage.py runserver`` on a loopback port with its own SQLite
file; staff act through the staff pages over HTTP (sign in, press the action buttons),
and the outbox of each installation delivers to the other's ``/iso18626`` endpoint (or,
for the REST variant, A posts our JSON form to B's ``/api/v1/messages/``); each sends the key the other issued to it
(Celery runs tasks eagerly in the web process here, right after each commit).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "two-installations-test"

SETUP = """
from django.contrib.auth.models import User, Group
from requests_app.models import Library, StaffProfile, PatronProfile, IllRequest
from requests_app.roles import sync_roles
sync_roles()
me = Library.objects.create(symbol="{me}", name="Library {me}", is_member=True, agency_id_type="ISIL",
                            agency_id_value="US-{me}")
Library.objects.create(symbol="{other}", name="Library {other}", agency_id_type="ISIL", agency_id_value="US-{other}",
                       iso18626_endpoint="http://127.0.0.1:{other_port}/iso18626")
staff = User.objects.create_user("staff", password="{password}")
staff.groups.add(*Group.objects.filter(name__startswith="ILL staff"))
StaffProfile.objects.create(user=staff, library=me)
"""

BORROWING_REQUEST = """
from django.contrib.auth.models import User
from requests_app.models import Library, PatronProfile, IllRequest
from borrowing.services import submit_request
me = Library.objects.get(symbol="{me}")
patron = User.objects.create_user("patron", password="x", first_name="Pat", last_name="Ron")
PatronProfile.objects.create(user=patron, library=me, card_barcode="P1")
request = submit_request(patron=patron, format="book", title="Braiding Sweetgrass", author="Kimmerer, Robin Wall",
                         isbn="9781571313560")
IllRequest.objects.filter(pk=request.pk).update(status="sourcing", partner=Library.objects.get(symbol="{other}"))
print(request.pk)
"""

ISSUE_KEY = """
from requests_app.models import Library
from requests_app.partners.keys import issue_api_key
print(issue_api_key(library=Library.objects.get(symbol="{other}"), name="ILLMS {other}")[1])
"""

#: Stores the key the other installation issued to us, as its administrator would (encrypted).
USE_KEY = """
from requests_app.partners import authentication
from requests_app.models import Library
authentication.set_outgoing_credential(library=Library.objects.get(symbol="{other}"), actor=None, secret="%s")
"""

USE_REST = """
from requests_app.models import Library
Library.objects.filter(symbol="{other}").update(iso18626_endpoint="",
    rest_endpoint="http://127.0.0.1:{other_port}/api/v1/")
"""

STATE = """
import json
from requests_app.models import IllRequest, OutboxMessage
print(json.dumps({{"requests": [[r.pk, r.role, r.status] for r in IllRequest.objects.order_by("pk")],
                  "outbox": sorted(set(OutboxMessage.objects.values_list("status", flat=True))),
                  "transports": sorted(set(OutboxMessage.objects.values_list("transport", flat=True)))}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Installation:
    def __init__(self, name: str, port: int, other: str, other_port: int, var_dir: Path) -> None:
        self.name, self.port, self.other, self.other_port = name, port, other, other_port
        self.env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
                    "ILLMS_VAR_DIR": str(var_dir), "CELERY_TASK_ALWAYS_EAGER": "1", "DJANGO_LOG_LEVEL": "WARNING"}
        self.process: subprocess.Popen | None = None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code.format(me=self.name, other=self.other, other_port=self.other_port,
                                                      password=PASSWORD)).strip().splitlines()[-1]

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.shell(SETUP)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)

    def _csrf(self, path: str) -> str:
        html = self.opener.open(self.base + path, timeout=30).read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def sign_in(self) -> None:
        token = self._csrf("/accounts/login/")
        data = urllib.parse.urlencode({"username": "staff", "password": PASSWORD, "csrfmiddlewaretoken": token})
        self.opener.open(urllib.request.Request(self.base + "/accounts/login/", data=data.encode(),
                                                headers={"Referer": self.base + "/accounts/login/"}), timeout=30)

    def act(self, role: str, pk: int, action: str, fields: dict | None = None) -> str:
        """Press an action button on the side's desk request page, as a staff member would."""
        page = f"/{role}/requests/{pk}/"
        token = self._csrf(page)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **(fields or {})}).encode()
        response = self.opener.open(urllib.request.Request(
            f"{self.base}{page}actions/{action}/", data=data, headers={"Referer": self.base + page}), timeout=60)
        html = response.read().decode()
        assert "alert-danger" not in html, re.findall(r'alert-danger" role="alert">([^<]+)', html)
        return html

    def state(self) -> dict:
        return json.loads(self.shell(STATE))


@pytest.fixture(params=["iso18626", "rest"])
def installations(request, tmp_path):
    """Two installations; B always answers A over ISO 18626, A reaches B by ``request.param``."""
    port_a, port_b = free_port(), free_port()
    a = Installation("AAA", port_a, "BBB", port_b, tmp_path / "a")
    b = Installation("BBB", port_b, "AAA", port_a, tmp_path / "b")
    try:
        a.start()
        b.start()
        # Each installation authenticates the other: A sends with the key B issued to it, and B with A's.
        a.shell(USE_KEY % b.shell(ISSUE_KEY))
        b.shell(USE_KEY % a.shell(ISSUE_KEY))
        if request.param == "rest":
            a.shell(USE_REST)
        a.sign_in()
        b.sign_in()
        yield a, b
    finally:
        a.stop()
        b.stop()


def status(installation: Installation, role: str) -> str:
    return next(s for _, r, s in installation.state()["requests"] if r == role)


def test_two_installations_on_loopback_ports_complete_a_loan_over_real_http(installations, request):
    a, b = installations
    borrowing_id = int(a.shell(BORROWING_REQUEST))

    a.act("borrowing", borrowing_id, "send_to_lender")
    lending_id, role, lending_status = b.state()["requests"][0]
    assert (role, lending_status) == ("lending", LendingStatus.NEW)

    for action in ("print_pull_slip", "will_supply"):
        b.act("lending", lending_id, action)
    b.act("lending", lending_id, "ship", {"ship-shipping_method": "Mail"})
    assert status(a, "borrowing") == BorrowingStatus.SHIPPED

    for action in ("receive", "notify_patron", "check_out", "check_in", "return_ship"):
        a.act("borrowing", borrowing_id, action)
    assert status(b, "lending") == LendingStatus.RETURN_SHIPPED

    b.act("lending", lending_id, "check_in")
    assert status(a, "borrowing") == BorrowingStatus.COMPLETED
    assert status(b, "lending") == LendingStatus.COMPLETED
    assert a.state()["outbox"] == ["delivered"]
    assert b.state()["outbox"] == ["delivered"]
    assert a.state()["transports"] == [request.node.callspec.params["installations"]]
    assert b.state()["transports"] == ["iso18626"]
