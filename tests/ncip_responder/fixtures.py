"""Fixtures for the NCIP tests: where the official schema lies, and the responder in a second process.

The schema is not part of this repository: it sits in ``shared/ncip/`` next to the checkout (as the
ISO 18626 schemas sit in ``shared/iso18626/``). Without it the tests skip, except in CI (``CI=true``) or
when ``ILLMS_REQUIRE_SERVICES`` is set, where a missing schema is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
#: <repo root>/../shared/ncip
SCHEMA_DIR = ROOT.parent / "shared" / "ncip"
SCHEMA_FILENAME = "ncip_v2_02.xsd"


def _missing_schema_is_a_failure() -> bool:
    if os.environ.get("CI", "").strip().lower() == "true":
        return True
    return os.environ.get("ILLMS_REQUIRE_SERVICES", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def ncip_schema_dir() -> Path:
    """The folder holding ncip_v2_02.xsd; skips (or, in CI, fails) without it."""
    path = SCHEMA_DIR / SCHEMA_FILENAME
    if not path.is_file():
        reason = (f"the official NCIP 2.02 schema is missing: expected {path} "
                  "(the shared/ncip folder next to the repository checkout)")
        if _missing_schema_is_a_failure():
            pytest.fail(f"{reason}; CI or ILLMS_REQUIRE_SERVICES is set, so this is a failure, not a skip")
        pytest.skip(reason)
    return SCHEMA_DIR


@dataclass
class Responder:
    """The running responder: its NCIP address and its control endpoint."""

    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/ncip"

    def _post(self, command: str, values: dict | None = None) -> dict:
        request = urllib.request.Request(f"{self.base}/_control/{command}", data=json.dumps(values or {}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return json.loads(answer.read())

    def _get(self, what: str):
        with urllib.request.urlopen(f"{self.base}/_control/{what}", timeout=5) as answer:  # noqa: S310 - loopback
            return json.loads(answer.read())

    def reset(self) -> None:
        self._post("reset")

    def settings(self, **values) -> None:
        self._post("settings", values)

    def slow(self, seconds: float) -> None:
        self.settings(slow=seconds)

    def down(self, down: bool = True) -> None:
        self.settings(down=down)

    def offer_only(self, services) -> None:
        self.settings(services=sorted(str(s) for s in services))

    def add_user(self, user_id: str, **fields) -> None:
        self._post("users", {user_id: {"name": "", "email": "", "category": "faculty", "blocked": "",
                                       "expires": None, **fields}})

    def add_item(self, barcode: str, **fields) -> None:
        self._post("items", {barcode: {"title": "", "status": "Available", "user": "", "due": None,
                                       "temporary": False, "call_number": "", "location": "", **fields}})

    def desk_check_out(self, barcode: str, user: str, due: str) -> None:
        """The ILS's circulation desk checks ``barcode`` out to ``user`` (no NCIP message: as a person would)."""
        self._post("items", {barcode: {"status": "On Loan", "user": user, "due": due}})

    def desk_check_in(self, barcode: str, status: str = "Available On Shelf") -> None:
        """The ILS's circulation desk checks ``barcode`` in."""
        self._post("items", {barcode: {"status": status, "user": "", "due": None}})

    def state(self) -> dict:
        return self._get("state")

    def item(self, barcode: str) -> dict | None:
        return self.state()["items"].get(barcode)

    def log(self) -> list[dict]:
        return self._get("log")

    def services_received(self) -> list[str]:
        return [entry["service"] for entry in self.log()]


@pytest.fixture(scope="session")
def ncip_responder_process(ncip_schema_dir: Path, tmp_path_factory):
    """One responder per test process, on a port the system picks."""
    log_path = tmp_path_factory.mktemp("ncip-responder") / "responder.log"
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "tests.ncip_responder", "--schema-dir", str(ncip_schema_dir)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            process.wait(timeout=5)
            pytest.fail(f"the NCIP responder did not start: {log_path.read_text()[-2000:]}")
        yield Responder(base=f"http://{line.removeprefix('listening on ')}")
    finally:
        stop(process)
        log.close()


@pytest.fixture
def ils(ncip_responder_process: Responder) -> Responder:
    """The responder, emptied for this test."""
    ncip_responder_process.reset()
    return ncip_responder_process
