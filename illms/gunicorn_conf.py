"""gunicorn's settings for the ``web`` service, from the environment (docs/deployment.md).

``gunicorn -c python:illms.gunicorn_conf illms.wsgi:application``. Scale out by running more ``web`` containers
behind the proxy (``docker compose up -d --scale web=N``); scale up with ILLMS_WEB_WORKERS per container.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from error
    if number < 1:
        raise SystemExit(f"{name} must be at least 1, not {number}")
    return number


bind = os.environ.get("ILLMS_WEB_BIND", "0.0.0.0:8000")
# Two sync workers per core plus one is gunicorn's own advice for a mostly-waiting-on-the-database app.
workers = _int("ILLMS_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _int("ILLMS_WEB_THREADS", 1)
# A request longer than this is killed and logged (a PDF of a large invoice takes a few seconds).
timeout = _int("ILLMS_WEB_TIMEOUT", 60)
graceful_timeout = 30
# Workers are replaced after this many requests, so a slow leak never grows without bound.
max_requests = _int("ILLMS_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10)
# The proxy in front speaks HTTP/1.1 keep-alive to us.
keepalive = 5
accesslog = "-"
errorlog = "-"
