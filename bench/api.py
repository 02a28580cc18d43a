"""The partner API under gunicorn (2 workers), driven over loopback by a small keep-alive load generator.

wrk is not installed everywhere, so the load comes from Python threads, each with its own
``http.client`` connection. The same generator measures ``/bench/constant/`` (a DRF view answering a
constant) in the same run: our endpoints are reported as a share of that ceiling, which cancels
out the speed of the machine and of the load generator itself.

References stand beside them: the constant behind the partner API's authentication, the list answering
an empty page (its updated-since in the future), what every list call costs before it reads a single
request; and the framework-free list and create of ``bench/bare.py`` (plain WSGI on psycopg2, the same rows
and key check) on a gunicorn of the same workers: the list's target is its share of that twin.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.db.models import Count
from django.utils import timezone

from requests_app.models import IllRequest, Library
from requests_app.partners.keys import issue_api_key

from .stats import percentile, process_peak_mb

WORKERS = 2
THREADS = 4
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the benchmark's settings, as a production deployment runs it (sync workers)."""

    def __init__(self, workers: int = WORKERS, app: str = "illms.wsgi:application") -> None:
        self.port = _free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), app, "--workers", str(workers),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--keep-alive", "5"],
            cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def worker_peak_mb(self) -> float | None:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return None
        peaks = [p for p in (process_peak_mb(int(pid)) for pid in children) if p is not None]
        return max(peaks) if peaks else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def load(port: int, scenario: Callable[[http.client.HTTPConnection], int], seconds: float,
         threads: int = THREADS) -> dict:
    """Run ``scenario`` (one HTTP exchange, returns the status) in ``threads`` loops for ``seconds``."""
    stop = threading.Event()
    samples: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads

    def loop(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            start = time.perf_counter()
            try:
                status = scenario(connection)
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0
            if status >= 400 or status == 0:
                errors[index] += 1
            samples[index].append(time.perf_counter() - start)
        connection.close()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    flat = [s * 1000 for per in samples for s in per]
    return {"requests": len(flat), "errors": sum(errors), "rps": round(len(flat) / elapsed, 1),
            "median_ms": round(percentile(flat, 50), 1), "p95_ms": round(percentile(flat, 95), 1)}


def _exchange(connection: http.client.HTTPConnection, method: str, path: str, headers: dict,
              body: bytes | None = None) -> tuple[int, bytes]:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def measure(*, seconds: float) -> dict:
    # The partner that sends us the most requests, calling with its own key.
    partner = Library.objects.get(pk=IllRequest.objects.filter(role="lending").values("partner")
                                  .annotate(n=Count("pk")).order_by("-n").values("partner")[:1])
    member = Library.objects.filter(is_member=True).order_by("symbol").first()
    _, key = issue_api_key(library=partner, name="benchmark")
    auth = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    since = (timezone.now() - dt.timedelta(days=30)).isoformat().replace("+00:00", "Z")
    first_page = f"/api/v1/requests/?updated_since={since}&page_size=50"
    future = (timezone.now() + dt.timedelta(days=365)).isoformat().replace("+00:00", "Z")
    empty_page = f"/api/v1/requests/?updated_since={future}&page_size=50"

    def constant(connection) -> int:
        return _exchange(connection, "GET", "/bench/constant/", {"Accept": "application/json"})[0]

    def authenticated(connection) -> int:
        return _exchange(connection, "GET", "/bench/authenticated/", auth)[0]

    def list_empty(connection) -> int:
        return _exchange(connection, "GET", empty_page, auth)[0]

    cursors = threading.local()

    def list_pages(connection) -> int:
        """A partner syncing: the first page changed in the last 30 days, then ``next`` up to five pages."""
        path = getattr(cursors, "next", None) or first_page
        status, body = _exchange(connection, "GET", path, auth)
        cursors.pages = getattr(cursors, "pages", 0) + 1
        following = json.loads(body).get("next") if status == 200 else None
        if following and cursors.pages < 5:
            parts = urlsplit(following)
            cursors.next = f"{parts.path}?{parts.query}"
        else:
            cursors.next, cursors.pages = None, 0
        return status

    def create(connection) -> int:
        body = json.dumps({
            "supplying_library": member.symbol, "requesting_agency_request_id": uuid.uuid4().hex,
            "service_type": "Loan", "format": "book", "title": "The history of interlibrary loan",
            "author": "Smith, Ada", "isbn": "978-0-306-40615-7", "publication_date": "2019",
        }).encode()
        return _exchange(connection, "POST", "/api/v1/requests/", {**auth, "Content-Type": "application/json"},
                         body)[0]

    def post_required_fields(connection, path: str) -> int:
        """A new request with only the fields the framework-free create checks, posted to ``path``."""
        body = json.dumps({
            "supplying_library": member.symbol, "requesting_agency_request_id": uuid.uuid4().hex,
            "service_type": "Loan", "format": "book", "title": "The history of interlibrary loan",
        }).encode()
        return _exchange(connection, "POST", path, {**auth, "Content-Type": "application/json"}, body)[0]

    def create_floor(connection) -> int:
        """The framework-free create's work behind our doors (bench/urls.py ``CreateFloor``): what any create can
        reach through Django, DRF and the partner authentication on this machine."""
        return post_required_fields(connection, "/bench/create-floor/")

    bare_first_page = f"/bare/requests/?updated_since={since}&page_size=50"

    def bare_list_pages(connection) -> int:
        """The framework-free twin of ``list_pages``: the same rows and key check, plain WSGI (bench/bare.py)."""
        path = getattr(cursors, "bare_next", None) or bare_first_page
        status, body = _exchange(connection, "GET", path, auth)
        cursors.bare_pages = getattr(cursors, "bare_pages", 0) + 1
        following = json.loads(body).get("next") if status == 200 else None
        if following and cursors.bare_pages < 5:
            cursors.bare_next = following
        else:
            cursors.bare_next, cursors.bare_pages = None, 0
        return status

    def bare_create(connection) -> int:
        return post_required_fields(connection, "/bare/requests/")

    # The references on a server of their own with the same workers: what the same work costs without Django and
    # DRF (bench/bare.py), measured in this run on this machine. Both lists read the same rows: the framework-free
    # list runs first, and the creates (ours, then the framework-free one, each adding thousands of requests from
    # this partner, changed now) only after both lists.
    def reference(label: str, scenario) -> dict:
        bare = Server(app="bench.bare:application")
        try:
            load(bare.port, scenario, seconds=1.0)
            return {"label": label, **load(bare.port, scenario, seconds=seconds)}
        finally:
            bare.stop()

    references = {"bare_list": reference("framework-free list: the same rows and key check (ceiling)",
                                         bare_list_pages)}
    server = Server()
    try:
        results = {}
        for name, label, scenario in (("constant", "constant DRF endpoint (ceiling)", constant),
                                      ("authenticated", "the constant behind partner authentication (reference)",
                                       authenticated),
                                      ("list_empty", "the list answering an empty page (reference)", list_empty),
                                      ("list", "list: updated since, cursor pages", list_pages),
                                      ("create", "create a request", create),
                                      ("create_floor", "the framework-free create's writes behind our doors "
                                                       "(reference)", create_floor)):
            load(server.port, scenario, seconds=1.0)  # warm up: connections, caches, the first queries
            results[name] = {"label": label, **load(server.port, scenario, seconds=seconds)}
        results["server_peak_mb"] = server.worker_peak_mb()
    finally:
        server.stop()
    references["bare_create"] = reference("framework-free create: the same rows written (reference)",
                                          bare_create)
    results.update(references)
    ceiling = results["constant"]["rps"] or 1
    for name in ("authenticated", "list_empty", "list", "create", "create_floor", "bare_list", "bare_create"):
        results[name]["ratio"] = round(results[name]["rps"] / ceiling, 3)
    results["constant"]["ratio"] = 1.0
    # The list's target is set against its framework-free twin, which itself reaches only about a third of
    # the constant endpoint: no implementation of the list can come near the constant.
    results["list"]["ratio_to_bare"] = round(results["list"]["rps"] / (results["bare_list"]["rps"] or 1), 3)
    results["create"]["ratio_to_bare"] = round(results["create"]["rps"] / (results["bare_create"]["rps"] or 1), 3)
    results["create"]["ratio_to_floor"] = round(results["create"]["rps"] / (results["create_floor"]["rps"] or 1), 3)
    results["workers"], results["client_threads"] = WORKERS, THREADS
    return results
