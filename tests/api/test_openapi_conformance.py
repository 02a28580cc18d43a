"""The REST API does what its OpenAPI document says: schemathesis, every check, over real HTTP.

A live server holds the demo installation (``seed_demo``: member libraries, partners, requests in every
state of both workflows); schemathesis reads ``/api/schema/`` from it and runs its phases (coverage,
fuzzing, stateful link-following) with every check, once as a partner library with its API key and once
as ILL staff with a browser's session (the session cookie, and the CSRF token as cookie and header). Any
failure of any check fails the test and prints schemathesis' report.

The runs are bounded and derandomized (``generation.deterministic``, a fixed number of examples per
operation) so that they fit CI and fail the same way twice. ``schemathesis_hooks.py`` teaches
schemathesis the identifier formats the document names.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.crypto import get_random_string

from requests_app.models import Library
from requests_app.partners.keys import issue_api_key

ROOT = Path(__file__).resolve().parents[2]
#: Test cases per operation and phase: enough to reach every operation's errors, small enough for CI.
MAX_EXAMPLES = 10
#: Seconds one run may take before it counts as hung (it takes well under 90 s).
TIMEOUT = 300

CONFIG = """\
hooks = "tests.api.schemathesis_hooks"
color = false

[cache]
enabled = false

[generation]
deterministic = true
max-examples = {max_examples}
database = "none"
# PostgreSQL text cannot hold NUL: every text field and query parameter refuses it with 400, as the
# partner guide says; a NUL is a negative case, never a valid one.
allow-x00 = false
# A query parameter the document does not name is ignored, as HTTP APIs do (OpenAPI leaves them open).
allow-extra-parameters = false

[phases.coverage]
unexpected-methods = ["DELETE", "PATCH"]
generate-duplicate-query-parameters = false

{auth}
"""


@pytest.fixture
def installation(transactional_db, settings, live_server):
    """The demo installation behind a live server, with no throttling (schemathesis sends many calls)."""
    settings.ILLMS_THROTTLE_API_KEY_RATE = settings.ILLMS_THROTTLE_PARTNER_RATE = "off"
    settings.ILLMS_THROTTLE_UNAUTHENTICATED_RATE = "off"
    call_command("seed_demo", verbosity=0)
    return live_server


def run_schemathesis(live_server, tmp_path: Path, auth: str, env: dict[str, str] | None = None) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(max_examples=MAX_EXAMPLES, auth=auth))
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"{live_server.url}/api/schema/", "--checks", "all", "--workers", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    assert result.returncode == 0, f"schemathesis found failures:\n{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout and "generated" in result.stdout, result.stdout


def test_the_api_answers_a_partner_as_its_document_says(installation, tmp_path):
    _, key = issue_api_key(library=Library.objects.get(symbol="NFC"), name="schemathesis")
    run_schemathesis(installation, tmp_path, f'[auth.openapi.partnerApiKey]\nbearer = "{key}"')


def test_the_api_answers_staff_as_its_document_says(installation, tmp_path, django_user_model):
    browser = Client()
    browser.force_login(django_user_model.objects.get(username="illadmin"))
    session = browser.cookies["sessionid"].value
    csrf_token = get_random_string(32, string.ascii_letters + string.digits)
    run_schemathesis(installation, tmp_path, f'[auth.openapi.cookieAuth]\napi_key = "{session}"',
                     env={"ILLMS_CSRF_TOKEN": csrf_token})
