"""`make bench` measures the configuration production runs, and refuses to measure another."""

from bench.stats import BENCH_ENV, unshipped_settings


def test_the_benchmarks_own_environment_is_the_shipped_one():
    assert unshipped_settings(BENCH_ENV) == []


def test_a_run_with_connections_closed_after_each_request_is_refused():
    [reason] = unshipped_settings({"DJANGO_CONN_MAX_AGE": "0"})
    assert reason.startswith("DJANGO_CONN_MAX_AGE=0")


def test_a_run_with_debug_on_is_refused():
    assert unshipped_settings({"DJANGO_DEBUG": "1"})[0].startswith("DJANGO_DEBUG=1")


def test_a_database_url_overriding_the_connection_age_is_refused():
    assert "conn_max_age" in unshipped_settings({"DATABASE_URL": "postgres://h/illms_bench?conn_max_age=0"})[0]


def test_production_settings_keep_connections_between_requests():
    import subprocess
    import sys

    code = ("from django.conf import settings; import django; django.setup(); "
            "print(settings.DATABASES['default']['CONN_MAX_AGE'], settings.DATABASES['default']['CONN_HEALTH_CHECKS'])")
    env = {"DJANGO_SETTINGS_MODULE": "illms.settings", "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50,
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["60", "True"]
