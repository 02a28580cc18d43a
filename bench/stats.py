"""Small helpers shared by the measures: percentiles, timing loops, peak memory, the Django set-up."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from collections.abc import Callable

#: The environment every benchmark process runs with: production-like settings (DEBUG off, no query
#: log, the manifest static storage, persistent connections), e-mail kept in memory.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "illms.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_LOG_LEVEL": "WARNING",
    "EMAIL_URL": "memorymail://",
    "DJANGO_STATIC_ROOT": os.path.join("var", "bench", "static"),
    "ILLMS_PRIVATE_STORAGE": os.path.join("var", "bench", "private"),
}


#: Settings the environment may not change for a run: production's values are what the figures are for.
#: (name, production value or None for "must not be set", why)
SHIPPED = (
    ("DJANGO_DEBUG", "0", "production runs with debug off"),
    ("DJANGO_CONN_MAX_AGE", None, "production keeps its connections (the settings' default); a run with another "
                                  "value measures a configuration nobody ships"),
    ("CELERY_TASK_ALWAYS_EAGER", None, "production queues tasks for the workers"),
    ("ILLMS_POSTGRES_JIT", None, "production leaves JIT off"),
)


def unshipped_settings(environ) -> list[str]:
    """Why the environment would make the run measure something production does not use (empty: it would not)."""
    reasons = []
    for name, shipped, why in SHIPPED:
        value = environ.get(name)
        if value is None or (shipped is not None and value == shipped):
            continue
        reasons.append(f"{name}={value}: {why}" + (f" (it must be {shipped})." if shipped else "; unset it."))
    url = environ.get("DATABASE_URL", "")
    if "conn_max_age" in url.lower():
        reasons.append("DATABASE_URL sets conn_max_age: production keeps the settings' default; remove it.")
    return reasons


def setup_django() -> None:
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://… (see docs/performance.md).")
    # As a serving process does once loaded (illms/wsgi.py): the measures run in the shipped configuration.
    from illms.startup import freeze_heap

    freeze_heap()


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by linear interpolation, as PostgreSQL's ``percentile_cont``."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1)}


def timed(fn: Callable[[], object], iterations: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def process_peak_mb(pid: int) -> float | None:
    """Another process's peak resident memory (``VmHWM``), while it runs."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
