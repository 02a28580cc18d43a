"""``make bench``: a fresh PostgreSQL database grown through the sizes, each measure in its own process,
then ``bench/results.json`` and ``bench/results.md`` (targets beside the figures).

    python -m bench [--sizes 10000,100000,1000000] [--only pages,api] [--keep-db]

``DATABASE_URL`` names the database (default ``postgres://postgres@127.0.0.1:5432/illms_bench``); its name
must contain ``bench``, because the run drops and recreates it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from . import report
from .stats import BENCH_ENV, unshipped_settings

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/illms_bench"
DEFAULT_SIZES = "10000,100000,1000000"
#: A database number of its own, so the benchmark's Celery queue is not anybody else's.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PER_SIZE = ("pages", "reports", "api", "intake", "search_write")
JOBS = ("reminders", "invoices", "holdings")


def _fail(message: str) -> None:
    sys.exit(f"make bench: {message}")


def _database(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        _fail(f"the benchmarks need PostgreSQL, and DATABASE_URL is {parts.scheme or 'not'} a PostgreSQL URL. "
              f"Unset it to use {DEFAULT_DATABASE_URL}, or point it at a PostgreSQL database named …bench….")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        _fail(f"the run drops and recreates its database, so its name must contain 'bench' (got {name!r}).")
    return name, parts._replace(path="/postgres").geturl()


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - no Redis here: the invoice PDFs are rendered in-process
        return False


def recreate_database(url: str, *, keep: bool = False) -> bool:
    """A fresh, empty database (``keep``: the existing one, created empty if there is none); whether it is new."""
    import psycopg2

    name, admin_url = _database(url)
    try:
        connection = psycopg2.connect(admin_url)
    except psycopg2.OperationalError as exc:
        _fail(f"cannot reach PostgreSQL ({exc}).")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if keep and exists:
            connection.close()
            return False
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return True


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def run_measure(name: str, **options) -> dict:
    """Run one measure in a child process; its JSON result, with wall time and peak memory."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    command = [sys.executable, "-m", "bench.measure", name, "--out", out]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    started = time.perf_counter()
    print(f"  {name} {' '.join(f'{k}={v}' for k, v in options.items())} …", flush=True)
    completed = subprocess.run(command, cwd=ROOT)
    try:
        if completed.returncode != 0:
            return {"error": f"exit status {completed.returncode}", "wall_seconds": time.perf_counter() - started}
        with open(out) as handle:
            return json.load(handle)
    finally:
        os.unlink(out)


def iterations_for(size: int) -> int:
    return 30 if size <= 100_000 else 20


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES") or DEFAULT_SIZES)
    parser.add_argument("--only", default="", help="Comma-separated measures (pages, reports, api, intake, "
                                                   "search_write, reminders, invoices, holdings); default: all.")
    parser.add_argument("--keep-db", action="store_true", help="Grow the existing database instead of a fresh one.")
    parser.add_argument("--api-seconds", type=float, default=8.0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()
    try:
        sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    except ValueError:
        _fail(f"BENCH_SIZES must be comma-separated numbers of requests, e.g. 10000,100000 (got {args.sizes!r}).")
    if not sizes or sizes[0] < 1000:
        _fail("give at least one size of 1000 requests or more.")
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(PER_SIZE) - set(JOBS)
    if unknown:
        _fail(f"unknown measures: {', '.join(sorted(unknown))}.")
    wanted = only or set(PER_SIZE) | set(JOBS)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    unshipped = unshipped_settings(os.environ)
    if unshipped:
        _fail("the run must measure the shipped configuration, and the environment changes it:\n  "
              + "\n  ".join(unshipped))
    if "REDIS_URL" not in os.environ and _redis_answers(DEFAULT_REDIS_URL):
        os.environ["REDIS_URL"] = DEFAULT_REDIS_URL  # Celery workers render the invoice PDFs in parallel
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    os.chdir(ROOT)
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC)
    if recreate_database(os.environ["DATABASE_URL"], keep=args.keep_db):
        print(f"Fresh database {_database(os.environ['DATABASE_URL'])[0]} …", flush=True)
        # The previous run's invoice PDFs and import files, and the tasks it queued without Redis (the
        # availability checks of the requests it created), belong to the database just dropped.
        shutil.rmtree(ROOT / os.environ["ILLMS_PRIVATE_STORAGE"], ignore_errors=True)
        shutil.rmtree(ROOT / "var" / "bench" / "celery-broker", ignore_errors=True)
    manage("migrate", "--noinput", "--verbosity", "0")
    manage("collectstatic", "--noinput", "--verbosity", "0")

    results: dict = {"run": {"started_at": started_at.isoformat(timespec="seconds"), "sizes": sizes,
                             "machine": machine()}, "sizes": {}, "jobs": {}}
    for size in sizes:
        print(f"Size {size:,} requests", flush=True)
        step = {"grow": run_measure("grow", size=size)}
        if "pages" in wanted:
            step["pages"] = run_measure("pages", iterations=iterations_for(size))
        if "reports" in wanted:
            step["rollup"] = run_measure("rollup")
            step["reports"] = run_measure("reports", iterations=5)
        writes = [name for name in ("api", "intake", "search_write") if name in wanted]
        if writes:  # what they write is taken out again before the next size (bench/cleanup.py)
            last = run_measure("watermark").get("result", {}).get("last_request")
        if "api" in wanted:
            step["api"] = run_measure("api", seconds=args.api_seconds)
        if "intake" in wanted:
            step["intake"] = run_measure("intake", count=600)
        if "search_write" in wanted:
            step["search_write"] = run_measure("search_write", seconds=6)
        if writes and last is not None:
            step["undo_writes"] = run_measure("undo_writes", after=last)
        results["sizes"][str(size)] = step
    print("Jobs", flush=True)
    if "reminders" in wanted:
        results["jobs"]["reminders"] = run_measure("reminders", count=100_000)
    if "invoices" in wanted:
        results["jobs"]["invoices"] = run_measure("invoices", count=1_000)
    if "holdings" in wanted:
        results["jobs"]["holdings"] = run_measure("holdings", count=100_000)
    results["run"]["seconds"] = round(time.perf_counter() - started, 1)
    results["run"]["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results["checks"] = report.checks(results)
    Path(args.out + ".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    Path(args.out + ".md").write_text(report.markdown(results))
    print(report.markdown(results))
    print(f"Written {args.out}.json and {args.out}.md")


def machine() -> dict:
    import psycopg2

    info = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True, check=True).stdout.strip()
    try:
        with open("/proc/meminfo") as meminfo:
            info["memory_gb"] = round(int(meminfo.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        connection = psycopg2.connect(os.environ["DATABASE_URL"])
        info["postgresql"] = connection.server_version
        connection.close()
    except psycopg2.Error:
        pass
    return info


if __name__ == "__main__":
    main()
