"""ILLMS behind a real pgbouncer in transaction mode: migrations, the demo, the nightly reminders and the invoice
run, each statement on whatever server connection pgbouncer lends (ILLMS_PGBOUNCER=1, docs/deployment.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import skip_or_fail
from tests.illms.test_settings import PG_URL, manage
from tests.processes import free_loopback_port, stop, wait_until_listening

ROOT = Path(__file__).resolve().parents[2]


def _postgres_reachable() -> None:
    try:
        psycopg2.connect(PG_URL.replace("postgres://", "postgresql://"), connect_timeout=3).close()
    except psycopg2.OperationalError:
        skip_or_fail(f"needs PostgreSQL at {PG_URL}")


@pytest.fixture(scope="module")
def pgbouncer():
    """pgbouncer (Debian package pgbouncer) on a free loopback port, pooling by transaction for 127.0.0.1:5432."""
    _postgres_reachable()
    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if binary is None:
        skip_or_fail("needs pgbouncer (Debian package pgbouncer)")
    # pgbouncer refuses to run as root and drops to the postgres user, who must read its configuration and write
    # its log: a folder of its own outside pytest's private temporary folders.
    folder = Path(tempfile.mkdtemp(prefix="illms-pgbouncer-"))
    folder.chmod(0o777)
    (folder / "users.txt").write_text('"postgres" ""\n')
    for _attempt in range(3):
        port = free_loopback_port()
        (folder / "pgbouncer.ini").write_text(f"""[databases]
* = host=127.0.0.1 port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
""")
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        process = subprocess.Popen([binary, *user, str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT)
        if wait_until_listening(process, port, seconds=10):
            break
        stop(process)
    else:
        log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
        pytest.fail(f"pgbouncer did not start: {log[-2000:]}")
    try:
        yield port
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_behind_pgbouncer(pgbouncer):
    name = f"illms_pgbouncer_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG_URL.replace("postgres://", "postgresql://"), connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
        cursor.execute(f"ALTER DATABASE \"{name}\" SET jit = off")
    try:
        yield f"postgres://postgres@127.0.0.1:{pgbouncer}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pgbouncer_transactions(port: int, database: str) -> int:
    """The transactions pgbouncer has pooled for ``database`` (its admin console's SHOW STATS)."""
    console = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="pgbouncer")
    console.autocommit = True
    with console.cursor() as cursor:
        cursor.execute("SHOW STATS")
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    console.close()
    return sum(int(row["total_xact_count"]) for row in rows if row["database"] == database)


JOBS = ("from borrowing.tasks import send_reminders; from billing.tasks import create_monthly_invoices; "
        "from requests_app.tasks import purge_patron_data; "
        "print('reminders', send_reminders()); print('invoices', create_monthly_invoices()); "
        "print('purge', purge_patron_data())")


def test_migrations_the_demo_and_the_nightly_jobs_run_behind_pgbouncer_in_transaction_mode(
        database_behind_pgbouncer, pgbouncer, tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DATABASE_URL": database_behind_pgbouncer, "ILLMS_PGBOUNCER": "1",
           "CELERY_TASK_ALWAYS_EAGER": "1", "DJANGO_DEBUG": "1", "DJANGO_LOG_LEVEL": "WARNING"}
    manage("migrate", "--noinput", "-v0", env=env)
    manage("seed_demo", env=env)
    jobs = manage("shell", "-c", JOBS, env=env)
    assert "reminders" in jobs.stdout and "invoices" in jobs.stdout and "purge" in jobs.stdout
    assert pgbouncer_transactions(pgbouncer, database_behind_pgbouncer.rsplit("/", 1)[1]) > 100


def test_illms_pgbouncer_turns_server_side_cursors_and_startup_options_off(tmp_path):
    show = ("from django.db import connection; s = connection.settings_dict; "
            "print(s['DISABLE_SERVER_SIDE_CURSORS'], repr(s.get('OPTIONS', {}).get('options', '')))")
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://postgres@127.0.0.1:6432/illms",
           "ILLMS_PGBOUNCER": "1", "DJANGO_DEBUG": "1"}
    assert manage("shell", "-c", show, env=env).stdout.split()[-2:] == ["True", "''"]


def test_our_code_holds_no_server_side_cursor_a_pooler_would_break():
    """QuerySet.iterator() is a cursor across commits on PostgreSQL; jobs read in keyset batches instead."""
    offenders = []
    for folder in ["illms", "requests_app", "borrowing", "lending", "billing"]:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if ".iterator(" in path.read_text(encoding="utf-8"):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], "use requests_app.utilities.batches.keyset_batches"


