"""docker-compose.yml and the Dockerfile agree with the app: read as files, no Docker engine needed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ["web", "worker", "messages-worker", "beat"]
BATCH_QUEUES = {"celery", "pdf", "imports"}
BACKING_SERVICES = ["postgres", "redis"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def environment(service: dict) -> dict[str, str]:
    """A service's environment as a mapping, whether written as a mapping or a list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def interpolated(value: str) -> str:
    """``value`` with compose's ``${VAR…}`` references replaced by a stand-in, as compose would fill them."""
    return re.sub(r"\$\{[^}]*\}", "x", value)


def command_words(command: str | list[str]) -> list[str]:
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def dockerfile_cmd() -> list[str]:
    """The Dockerfile's last CMD (exec or shell form)."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    cmds = [line.split(None, 1)[1] for line in lines if line.upper().startswith("CMD ")]
    assert cmds, "the Dockerfile has no CMD"
    text = cmds[-1].strip()
    return json.loads(text) if text.startswith("[") else text.split()


def test_the_five_services_are_there(services):
    assert {*APP_SERVICES, *BACKING_SERVICES} <= set(services)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_reads_only_settings_the_app_knows(services, name):
    settings_text = "".join((ROOT / "illms" / module).read_text(encoding="utf-8")
                            for module in ["settings.py", "gunicorn_conf.py"])
    unknown = [key for key in environment(services[name]) if f'"{key}"' not in settings_text]
    assert not unknown, f"{name} sets variables illms/settings.py and illms/gunicorn_conf.py never read: {unknown}"


def test_the_app_services_share_one_environment(services):
    web, *others = (environment(services[name]) for name in APP_SERVICES)
    assert all(other == web for other in others)


def test_production_runs_with_debug_off_and_a_secret_key_from_outside(services):
    env = environment(services["web"])
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DJANGO_SECRET_KEY"].startswith("${"), "the secret key must come from .env, not this file"


def test_database_url_points_at_the_postgres_service(services):
    url = urlsplit(interpolated(environment(services["web"])["DATABASE_URL"]))
    postgres = environment(services["postgres"])
    assert url.scheme in {"postgres", "postgresql"}
    assert url.hostname == "postgres"
    assert url.username == postgres["POSTGRES_USER"]
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_redis_url_points_at_the_redis_service(services):
    url = urlsplit(environment(services["web"])["REDIS_URL"])
    assert (url.scheme, url.hostname) == ("redis", "redis")


@pytest.mark.parametrize(("name", "probe"), [("postgres", "pg_isready"), ("redis", "redis-cli ping")])
def test_postgres_and_redis_have_healthchecks(services, name, probe):
    assert probe in " ".join(command_words(services[name]["healthcheck"]["test"]))


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(services, name):
    depends_on = services[name]["depends_on"]
    assert isinstance(depends_on, dict), "depends_on needs the long form to carry a condition"
    for backing in BACKING_SERVICES:
        assert depends_on[backing]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_after_migrations_ran(services, name):
    migrate = services["migrate"]
    assert command_words(migrate["command"])[-2:] == ["migrate", "--noinput"]
    assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_web_has_a_healthcheck_on_healthz(services):
    test = " ".join(command_words(services["web"]["healthcheck"]["test"]))
    assert "/healthz" in test


def test_the_postgres_data_is_on_a_named_volume(compose, services):
    volumes = [v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in services["postgres"]["volumes"]]
    sources = [v.split(":")[0] for v in volumes if v.split(":")[1] == "/var/lib/postgresql/data"]
    assert sources and sources[0] in (compose.get("volumes") or {})


def test_private_files_are_on_a_named_volume_where_the_app_keeps_them(compose, services):
    for name in ["web", "worker", "messages-worker"]:
        private = environment(services[name])["ILLMS_PRIVATE_STORAGE"]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        assert mounts.get(private) in (compose.get("volumes") or {}), f"{name} loses its private files on restart"


def test_the_worker_runs_celery_worker_and_beat_uses_the_database_scheduler(services):
    assert command_words(services["worker"]["command"])[:4] == ["celery", "-A", "illms", "worker"]
    beat = command_words(services["beat"]["command"])
    assert beat[:4] == ["celery", "-A", "illms", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat


def test_the_dockerfile_runs_gunicorn_on_the_wsgi_app():
    command = dockerfile_cmd()
    assert command[0] == "gunicorn"
    assert command[1] == "illms.wsgi:application"
    assert "python:illms.gunicorn_conf" in command


def test_gunicorn_listens_on_port_8000_of_every_interface_of_its_container(monkeypatch):
    monkeypatch.delenv("ILLMS_WEB_BIND", raising=False)
    assert gunicorn_settings(monkeypatch).bind == "0.0.0.0:8000"


def test_the_web_service_is_built_from_the_dockerfile_and_keeps_its_gunicorn_command(services):
    build = services["web"]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    assert (ROOT / context / "Dockerfile").is_file()
    assert command_words(services["web"].get("command") or dockerfile_cmd())[0] == "gunicorn"


def worker_queues(service: dict) -> set[str]:
    words = command_words(service["command"])
    assert words[:4] == ["celery", "-A", "illms", "worker"]
    return set(words[words.index("-Q") + 1].split(",")) if "-Q" in words else set()


def test_the_workers_together_take_every_queue(services):
    from django.conf import settings

    taken = worker_queues(services["worker"]) | worker_queues(services["messages-worker"])
    assert taken == set(settings.ILLMS_CELERY_QUEUES)


def test_partner_messages_and_e_mails_have_a_worker_no_batch_job_can_occupy(services):
    queues = worker_queues(services["messages-worker"])
    assert {"protocol", "email"} <= queues
    assert not queues & BATCH_QUEUES


def test_the_web_service_publishes_no_host_port_so_it_can_be_scaled(services):
    assert "ports" not in services["web"]
    assert "8000" in [str(port) for port in services["web"].get("expose", [])]


def test_the_proxy_publishes_the_port_on_loopback_and_spreads_requests_over_the_web_replicas(compose, services):
    proxy = services["proxy"]
    assert [interpolated(port) for port in proxy["ports"]] == ["127.0.0.1:x:80"]
    config = compose["configs"][proxy["configs"][0]["source"]]["content"]
    assert "resolver 127.0.0.11" in config, "without a resolver nginx keeps the replicas it saw at start-up"
    assert "http://web:8000" in config
    assert "X-Forwarded-Proto $$http_x_forwarded_proto" in config
    assert "$$proxy_add_x_forwarded_for" in config


def test_two_proxies_are_trusted_for_the_client_address(services):
    assert interpolated(environment(services["web"])["ILLMS_TRUSTED_PROXY_COUNT"]) == "x"
    assert ":-2}" in environment(services["web"])["ILLMS_TRUSTED_PROXY_COUNT"]


def gunicorn_settings(monkeypatch, **env):
    import importlib

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import illms.gunicorn_conf

    return importlib.reload(illms.gunicorn_conf)


def test_gunicorn_takes_its_worker_count_from_the_environment(monkeypatch):
    assert gunicorn_settings(monkeypatch, ILLMS_WEB_WORKERS="7").workers == 7


def test_gunicorn_refuses_a_worker_count_that_is_not_a_number(monkeypatch):
    with pytest.raises(SystemExit, match="ILLMS_WEB_WORKERS must be a whole number"):
        gunicorn_settings(monkeypatch, ILLMS_WEB_WORKERS="three")


def test_the_dockerfile_runs_gunicorn_with_the_environment_config():
    command = dockerfile_cmd()
    assert command[command.index("--config") + 1] == "python:illms.gunicorn_conf"
