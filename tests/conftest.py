import os

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

#: Set by .ci/run: a test that needs a service which is missing fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("ILLMS_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (ILLMS_REQUIRE_SERVICES is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A read-only replica of the test database, as a streaming replica is read-only (illms/replica.py).

    Nothing reads from it unless a test switches ``ILLMS_REPLICA_READS`` on (tests/illms/test_replica.py): a
    query sent there really crosses that second connection, and a write sent there fails.
    """
    from django.conf import settings
    from django.db import connections

    from illms.replica import REPLICA

    primary = connections["default"].settings_dict
    entry = {**primary, "OPTIONS": {**primary.get("OPTIONS", {})}, "TEST": {**primary.get("TEST", {}),
                                                                           "MIRROR": "default"}}
    if primary["ENGINE"].startswith("django.db.backends.postgresql"):
        entry["OPTIONS"]["options"] = f"{entry['OPTIONS'].get('options', '')} -c default_transaction_read_only=on"
    elif primary["ENGINE"] == "django.db.backends.sqlite3":
        entry["OPTIONS"]["init_command"] = "PRAGMA query_only=ON;"
    settings.DATABASES[REPLICA] = entry
    connections.settings[REPLICA] = entry


@pytest.fixture
def postgres(db):
    """Tests of real row locks and concurrency need PostgreSQL."""
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: run with DATABASE_URL=postgres://…")


class SignInClient(Client):
    """Django's test client, whose ``login()`` signs in as the login page does: with a request.

    ``Client.login()`` calls ``authenticate()`` without one, which django-axes' backend refuses (it counts
    failures per account and client address). Passing a request from this client's own address keeps the
    lockout on in every test, exactly as in production.
    """

    def login(self, **credentials) -> bool:
        credentials.setdefault("request", RequestFactory(**self.defaults).post(reverse("login")))
        return super().login(**credentials)


@pytest.fixture
def client() -> SignInClient:
    return SignInClient()


@pytest.fixture(scope="session")
def compiled_translations():
    """locale/*.po compiled (``make install`` does it; a bare ``pytest`` may run before it), read afresh."""
    import shutil

    from django.utils.translation import trans_real

    from illms.management.commands.compile_translations import compile_all

    compile_all(msgfmt=shutil.which("msgfmt"))
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in another language leaves it active in the process (LocaleMiddleware): the next test starts anew."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 is slow on purpose; tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Uploaded and generated files go to a fresh folder per test."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private")}}}


@pytest.fixture(autouse=True)
def _fresh_partner_key_cache():
    """Each test looks its partner keys and our member libraries up afresh (the caches are per process, and tests
    share the process)."""
    from requests_app.partners.keys import forget_key
    from requests_app.partners.members import forget_members

    forget_key()
    forget_members()
    yield
    forget_key()
    forget_members()


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    from illms.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test counts its throttles from zero: a key prefix of its own in the cache (Redis or process
    memory), instead of flushing a cache other test processes share."""
    from uuid import uuid4

    prefix = f"test-{uuid4().hex}"
    settings.CACHES = {alias: {**config, "KEY_PREFIX": prefix} for alias, config in settings.CACHES.items()}


def pytest_terminal_summary(terminalreporter):
    """Say where the browser tests left their screenshots of the pages, for a reviewer to look at."""
    from tests.url_walk import screenshot_folder

    folder = screenshot_folder()
    shots = list(folder.rglob("*.png")) if folder.is_dir() else []
    if shots:
        terminalreporter.write_line(f"Screenshots of the pages ({len(shots)} files): {folder}")


@pytest.fixture(scope="session")
def zebra_catalogue(tmp_path_factory):
    """A real Zebra SRU server with partners' records (``tests.catalogue_servers``), on a free loopback port."""
    from tests.catalogue_servers import start_zebra

    process, catalogue = start_zebra(tmp_path_factory.mktemp("zebra"))
    yield catalogue
    process.terminate()
    try:
        process.wait(timeout=5)
    except Exception:
        process.kill()


@pytest.fixture
def silent_catalogue():
    """A catalogue address that accepts the connection and never answers."""
    from tests.catalogue_servers import SilentServer

    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture
def unpaywall(settings):
    """Unpaywall replayed from recorded responses on a loopback port, and the settings pointing at it."""
    from tests.stub_services import RecordedService

    service = RecordedService("unpaywall")
    settings.ILLMS_UNPAYWALL_URL = service.url
    settings.ILLMS_UNPAYWALL_EMAIL = "ill@library.example.edu"
    yield service
    service.stop()
