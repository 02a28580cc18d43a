"""Settings from the environment: the embedded default, PostgreSQL, Redis and production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("ILLMS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """Run manage.py in a child process with exactly ``env`` (plus PATH), as a fresh machine would."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


SHOW = ("from django.conf import settings; from django.db import connection; from illms.celery import app; "
        "connection.ensure_connection(); "
        "print(connection.vendor, app.conf.broker_url.split(':')[0], settings.DEBUG)")


def test_with_nothing_set_the_system_runs_on_sqlite_with_a_file_system_broker(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path)}
    manage("migrate", "--noinput", "-v0", env=env)
    out = manage("shell", "-c", SHOW, env=env).stdout.split()[-3:]
    assert out == ["sqlite", "filesystem", "True"]
    assert (tmp_path / "illms.sqlite3").exists()


def test_database_url_switches_to_postgresql(tmp_path):
    import psycopg2

    try:
        psycopg2.connect(PG_URL.replace("postgres://", "postgresql://"), connect_timeout=3).close()
    except psycopg2.OperationalError:
        skip_or_fail(f"PostgreSQL is not reachable at {PG_URL}")
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DATABASE_URL": PG_URL}
    assert manage("shell", "-c", SHOW, env=env).stdout.split()[-3] == "postgresql"


def test_our_postgresql_connections_run_without_jit_compilation_unless_asked(tmp_path):
    import psycopg2

    try:
        plain = psycopg2.connect(PG_URL.replace("postgres://", "postgresql://"), connect_timeout=3)
    except psycopg2.OperationalError:
        skip_or_fail(f"PostgreSQL is not reachable at {PG_URL}")
    with plain.cursor() as cursor:
        cursor.execute("SHOW jit")
        server_default = cursor.fetchone()[0]
    plain.close()
    show = ("from django.db import connection; cursor = connection.cursor(); cursor.execute('SHOW jit'); "
            "print(cursor.fetchone()[0])")
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DATABASE_URL": PG_URL}
    assert manage("shell", "-c", show, env=env).stdout.split()[-1] == "off"
    assert manage("shell", "-c", show, env={**env, "ILLMS_POSTGRES_JIT": "1"}).stdout.split()[-1] == server_default


def test_redis_url_switches_the_celery_broker_to_redis(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/15"}
    out = manage("shell", "-c", "from illms.celery import app; print(app.conf.broker_url)", env=env).stdout
    assert out.strip().splitlines()[-1] == "redis://127.0.0.1:6379/15"



def test_the_brokers_visibility_timeout_is_minutes_and_comes_from_the_environment(tmp_path):
    show = "from illms.celery import app; print(app.conf.broker_transport_options['visibility_timeout'])"
    env = {"ILLMS_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/15"}
    assert int(manage("shell", "-c", show, env=env).stdout.split()[-1]) == 900
    env["ILLMS_BROKER_VISIBILITY_TIMEOUT"] = "120"
    assert manage("shell", "-c", show, env=env).stdout.split()[-1] == "120"


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Q2vL7pR4mZ8nB1cW6tY0hJ5dF3gS" * 2,
    "DJANGO_ALLOWED_HOSTS": "ill.example.edu",
}


def test_the_production_profile_passes_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={"ILLMS_VAR_DIR": str(tmp_path), **PRODUCTION},
                    check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_production_profile_refuses_to_start_without_a_secret_key(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "ill.example.edu"}
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_email_url_configures_smtp(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "EMAIL_URL": "smtp+tls://ill:secret@mail.example.edu:587"}
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    out = manage("shell", "-c", code, env=env).stdout.strip().splitlines()[-1].split()
    assert out == ["django.core.mail.backends.smtp.EmailBackend", "mail.example.edu", "587", "True"]


SHOW_SIGN_IN = ("from django.conf import settings as s; d = s.CONTENT_SECURITY_POLICY['DIRECTIVES']; "
                "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.ILLMS_TRUSTED_PROXY_COUNT, "
                "s.ILLMS_STAFF_SESSION_IDLE_SECONDS, s.SESSION_COOKIE_AGE, d['img-src'][-1], d['script-src'][-1], "
                "d.get('report-uri', ['-'])[0])")


def test_sign_in_session_and_policy_defaults(tmp_path):
    out = manage("shell", "-c", SHOW_SIGN_IN, env={"ILLMS_VAR_DIR": str(tmp_path)}).stdout.split()[-8:]
    assert out == ["10", "3600", "0", "28800", "1209600", "data:", "'self'", "-"]


def test_sign_in_session_and_policy_settings_come_from_the_environment(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "ILLMS_SIGNIN_FAILURE_LIMIT": "5", "ILLMS_SIGNIN_LOCKOUT_MINUTES": "15",
           "ILLMS_TRUSTED_PROXY_COUNT": "2", "ILLMS_STAFF_SESSION_IDLE_MINUTES": "30",
           "ILLMS_PATRON_SESSION_DAYS": "3", "ILLMS_CSP_EXTRA_IMG_SRC": "https://cdn.example.edu",
           "ILLMS_CSP_EXTRA_SCRIPT_SRC": "https://stats.example.edu",
           "ILLMS_CSP_REPORT_URI": "https://errors.example.edu/csp"}
    out = manage("shell", "-c", SHOW_SIGN_IN, env=env).stdout.split()[-8:]
    assert out == ["5", "900", "2", "1800", "259200", "https://cdn.example.edu", "https://stats.example.edu",
                   "https://errors.example.edu/csp"]


def test_a_fiscal_year_start_that_is_no_month_stops_the_site_with_a_message(tmp_path):
    result = manage("check", env={"ILLMS_VAR_DIR": str(tmp_path), "ILLMS_FISCAL_YEAR_START_MONTH": "13"},
                    check=False)
    assert result.returncode != 0
    assert "ILLMS_FISCAL_YEAR_START_MONTH must be a month" in result.stderr


DEMO_SHOW = ("from django.conf import settings; "
             "print(settings.DEBUG, settings.SECRET_KEY, getattr(settings, 'SECURE_SSL_REDIRECT', False), "
             "settings.SESSION_COOKIE_SECURE, settings.EMAIL_BACKEND.rsplit('.', 1)[-1])")


def test_the_demo_runs_with_debug_off_and_a_secret_key_of_its_own_kept_in_var(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "ILLMS_DEMO": "1"}
    debug, key, ssl_redirect, secure_cookie, email = manage("shell", "-c", DEMO_SHOW, env=env).stdout.split()[-5:]
    assert (debug, ssl_redirect, secure_cookie, email) == ("False", "False", "False", "EmailBackend")
    key_file = tmp_path / "demo-secret-key"
    assert key == key_file.read_text().strip() and len(key) >= 50 and "insecure" not in key
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert manage("shell", "-c", DEMO_SHOW, env=env).stdout.split()[-4] == key  # the same key every start


def test_a_secret_key_set_in_the_environment_wins_over_the_demos(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "ILLMS_DEMO": "1", "DJANGO_SECRET_KEY": "from-the-operator"}
    assert manage("shell", "-c", DEMO_SHOW, env=env).stdout.split()[-4] == "from-the-operator"
    assert not (tmp_path / "demo-secret-key").exists()

