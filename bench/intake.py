"""ISO 18626 intake in one process: real XML messages posted to ``/iso18626`` through the whole stack
(middleware, the hardened parser, the codec's validation, the partner look-up, the checks answered at once,
the stored message, the confirmation), each one a partner's new loan or copy request to one of our member
libraries. With the shipped ``ILLMS_ISO18626_APPLY=by_worker`` the figure is the *acknowledged* rate: the
worker's part (creating the request and its event) is measured beside it, as the worker drains what was
acknowledged (``applied_per_second``), and over HTTP with a real Celery worker on the ``protocol`` queue
applying while gunicorn takes messages in (time-to-applied, from receipt to applied, p50/p95).

Each new request has its availability check queued for a Celery worker (``lending.tasks``); with
Redis as the cache, requests arriving together share one queued check (``availability.queue_check``).
Queuing is part of the intake figure, the checks are not. They are measured right after, as a worker
runs them: the run's tasks are taken from the broker one by one and executed in this process
(requests checked per second). The tasks go to a queue of the run's own, so that no worker of another
process takes them and none is left behind.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import threading
import time
import uuid
from queue import Empty

from django.db import connection
from django.test import Client
from django.utils import timezone

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import Library
from requests_app.partners.keys import issue_api_key

from .generator import MEMBERS
from .stats import percentile

#: The queue the run's availability checks go to (the task's own routing, to a queue no worker reads).
AVAILABILITY_QUEUE = "bench-intake-availability"
#: The queue the in-process run's apply tasks go to: the run applies what it acknowledged itself, timed.
APPLY_QUEUE = "bench-intake-apply"


def _agency(library: Library) -> m.AgencyId:
    return m.AgencyId(type=m.TypedValue(value=library.agency_id_type), value=library.agency_id_value)


def _request(member: Library, partner: Library, rnd: random.Random) -> bytes:
    copy = rnd.random() < 0.5
    bibliographic = (
        m.BibliographicInfo(title=f"On the {rnd.choice(['history', 'theory', 'practice'])} of lending",
                            author="Smith, Ada", bibliographic_item_ids=(
                                m.BibliographicItemId(code=m.TypedValue(value="ISBN"), value="9780306406157"),))
        if not copy else
        m.BibliographicInfo(title="Interlibrary loan at scale", author="Garcia, Grace",
                            title_of_component="Journal of library networks", bibliographic_item_ids=(
                                m.BibliographicItemId(code=m.TypedValue(value="ISSN"), value="0378-5955"),))
    )
    message = m.Request(
        header=m.RequestHeader(supplying_agency_id=_agency(member), requesting_agency_id=_agency(partner),
                               timestamp=timezone.now(), requesting_agency_request_id=uuid.uuid4().hex[:20]),
        bibliographic_info=bibliographic,
        service_info=m.ServiceInfo(service_type=m.ServiceType.COPY if copy else m.ServiceType.LOAN,
                                   request_type=m.RequestType.NEW),
    )
    return xml.encode(message)


def _route_checks_to_own_queue():
    from illms.celery import app
    from lending.tasks import check_new_request_availability, check_new_requests_availability
    from requests_app.partners.tasks import apply_inbound_messages

    tasks = {task.name: task for task in (check_new_request_availability, check_new_requests_availability)}
    app.conf.task_routes = {**{name: {"queue": AVAILABILITY_QUEUE} for name in tasks},
                            apply_inbound_messages.name: {"queue": APPLY_QUEUE}}
    return app, tasks


def _forget_queued_applies(app) -> int:
    """The in-process run's queued apply tasks, taken off their queue unrun (the run applied the messages)."""
    taken = 0
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(APPLY_QUEUE)
        try:
            while True:
                try:
                    queue.get(block=True, timeout=0.2).ack()
                except Empty:
                    return taken
                taken += 1
        finally:
            queue.close()


def _drain() -> tuple[int, float]:
    """Apply everything acknowledged, as one worker does (``intake.apply_pending``): how many, and the seconds."""
    from requests_app.partners import intake

    started = time.perf_counter()
    done = intake.apply_pending()
    return done, time.perf_counter() - started


def _applied_since(since) -> dict:
    """Time from receipt to applied (ms) of the messages received since ``since``, and how many wait still."""
    from requests_app.models import InboundMessage, InboundState

    rows = list(InboundMessage.objects.filter(received_at__gte=since).values_list("state", "received_at",
                                                                                  "applied_at"))
    spans = [(applied - received).total_seconds() * 1000 for state, received, applied in rows
             if state == InboundState.APPLIED and applied is not None]
    applied_at = [applied for state, _received, applied in rows if state == InboundState.APPLIED and applied]
    seconds = (max(applied_at) - min(applied_at)).total_seconds() if len(applied_at) > 1 else None
    return {"applied": len(spans), "waiting": sum(state == InboundState.PENDING for state, _r, _a in rows),
            "failed": sum(state == InboundState.FAILED for state, _r, _a in rows),
            "time_to_applied_p50_ms": round(percentile(spans, 50), 1) if spans else None,
            "time_to_applied_p95_ms": round(percentile(spans, 95), 1) if spans else None,
            "applied_per_second_while_receiving": round(len(applied_at) / seconds, 1) if seconds else None}


class _ProtocolWorker:
    """A Celery worker on the ``protocol`` queue with the benchmark's settings, as production runs one."""

    def __init__(self) -> None:
        import os
        import subprocess
        import sys
        from pathlib import Path

        root = Path(__file__).resolve().parent.parent
        subprocess.run([str(Path(sys.executable).with_name("celery")), "-A", "illms", "purge", "-f", "-Q", "protocol"],
                       cwd=root, capture_output=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"})
        (root / "var" / "bench").mkdir(parents=True, exist_ok=True)
        self.log = open(root / "var" / "bench" / "protocol-worker.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "illms", "worker", "-Q", "protocol", "--pool=solo",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=root, env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}, stdout=self.log,
            stderr=subprocess.STDOUT)
        # Messages are sent once it is ready (on a busy machine it takes seconds to start): time to applied is
        # then what a running worker gives, not its start-up.
        log, deadline = root / "var" / "bench" / "protocol-worker.log", time.monotonic() + 90
        while time.monotonic() < deadline and " ready." not in log.read_text() and self.process.poll() is None:
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - it would not stop: it is killed
            self.process.kill()
        self.log.close()


def _run_queued_checks(app, tasks) -> tuple[int, int, float]:
    """Take the run's queued checks from the broker and run each as a worker would.

    Returns how many tasks ran, how many requests they checked, and the seconds from the first take
    to the last acknowledgement.
    """
    done, checked, started, finished = 0, 0, time.perf_counter(), None
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(AVAILABILITY_QUEUE)
        try:
            while True:
                try:
                    message = queue.get(block=True, timeout=0.5)
                except Empty:
                    return done, checked, (finished or started) - started
                task = tasks.get(message.headers.get("task"))
                if task is None:
                    raise RuntimeError(f"unexpected task in {AVAILABILITY_QUEUE}: {message.headers.get('task')}")
                args, kwargs, _embed = message.decode()
                result = task(*args, **kwargs)
                message.ack()
                done += 1
                checked += 1 if result is None else result  # one request's check, or the shared check's count
                finished = time.perf_counter()
        finally:
            queue.close()


def _over_http(bodies: list[tuple[bytes, str]], clients: int = 2) -> dict:
    """The same kind of messages posted over loopback HTTP to gunicorn with one sync worker.

    Beside the in-process figure, not instead of it: a production worker, with gunicorn's HTTP and
    without the test client, fed by ``clients`` keep-alive connections (so it never waits for the
    next message) from this process, which runs on the other core. Their shelf checks go to the
    broker's default queue, which the run purges before the jobs.
    """
    from .api import Server

    server = Server(workers=1)
    headers = {"Content-Type": "application/xml"}
    pending = iter(bodies[20:])
    lock = threading.Lock()
    samples: list[float] = []
    failed = 0

    def post(connection: http.client.HTTPConnection, message: tuple[bytes, str]) -> bool:
        body, authorization = message
        connection.request("POST", "/iso18626", body=body, headers={**headers, "Authorization": authorization})
        response = connection.getresponse()
        content = response.read()
        return response.status == 200 and b"messageStatus>OK<" in content

    def loop() -> None:
        nonlocal failed
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while True:
            with lock:
                body = next(pending, None)
            if body is None:
                break
            start = time.perf_counter()
            ok = post(connection, body)
            with lock:
                samples.append((time.perf_counter() - start) * 1000)
                failed += not ok
        connection.close()

    from requests_app.partners import intake

    worker = _ProtocolWorker() if intake.applies_by_worker() else None
    applied: dict = {}
    try:
        warm = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for body in bodies[:20]:
            post(warm, body)
        warm.close()
        threads = [threading.Thread(target=loop) for _ in range(clients)]
        since = timezone.now()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        if worker is not None:  # the worker has applied as they came; wait for the last ones
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and _applied_since(since)["waiting"]:
                time.sleep(0.2)
            applied = _applied_since(since)
    finally:
        server.stop()
        if worker is not None:
            worker.stop()
    return {"messages": len(samples), "failed": failed, "seconds": round(seconds, 2),
            "messages_per_second": round(len(samples) / seconds, 1), "p95_ms": round(percentile(samples, 95), 1),
            "clients": clients, **({"worker": applied} if applied else {})}


#: The intake and its floor are timed in turns, this many messages each, so that the machine's drift within the
#: run (its speed moves by a quarter within minutes) weighs on both alike.
TURN = 50


class _Door:
    """One door timed in turns: its calls, the time and SQL statements its timed calls took, and its failures."""

    def __init__(self, path: str, calls: list[tuple[bytes, str]], ok) -> None:
        self.path, self.calls, self.ok = path, calls, ok
        self.seconds, self.statements, self.failed, self.done = 0.0, 0, 0, 0

    def _count(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def post(self, client: Client, calls: list[tuple[bytes, str]], *, timed: bool) -> None:
        with connection.execute_wrapper(self._count) if timed else contextlib.nullcontext():
            started = time.perf_counter()
            for body, authorization in calls:
                response = client.post(self.path, data=body, content_type="application/xml",
                                       HTTP_AUTHORIZATION=authorization)
                self.failed += timed and not self.ok(response)
            if timed:
                self.seconds += time.perf_counter() - started
                self.done += len(calls)

    def figures(self) -> dict:
        return {"messages": self.done, "failed": self.failed, "seconds": round(self.seconds, 2),
                "messages_per_second": round(self.done / self.seconds, 1) if self.seconds else 0.0,
                "sql_statements_per_message": round(self.statements / self.done, 1) if self.done else 0.0}


def _floor_calls(bodies: list[tuple[bytes, str]], senders: list[Library]) -> list[tuple[bytes, str]]:
    """The intake's bodies from the same senders in the same order for the floor (``/bench/intake-floor/``), each
    sender with a key of its own not used before, so that each key's first call costs its look-up, as in the
    intake."""
    keys = {partner.pk: f"Bearer {issue_api_key(library=partner, name='benchmark floor')[1]}"
            for partner in set(senders)}
    return [(body, keys[partner.pk]) for (body, _), partner in zip(bodies, senders, strict=True)]


def _in_turns(client: Client, intake: _Door, floor: _Door, *, warm_up: int = 20) -> None:
    """Both doors warmed up, then timed in turns of ``TURN`` messages; the floor's rows deleted after (they are no
    messages to apply). On the benchmark's URLs (the project's, after the floor's)."""
    from django.test.utils import override_settings

    from requests_app.models import InboundMessage

    from .urls import FLOOR_THREAD

    floor_rows = InboundMessage.objects.filter(thread__startswith=FLOOR_THREAD)
    with override_settings(ROOT_URLCONF="bench.urls"):
        for door in (intake, floor):
            door.post(client, door.calls[:warm_up], timed=False)
        floor_rows.delete()
        _drain()  # the intake's warm-up, so that the timed part starts with nothing waiting
        for at in range(warm_up, len(intake.calls), TURN):
            for door in (intake, floor):
                door.post(client, door.calls[at:at + TURN], timed=True)
    floor_rows.delete()


def measure(*, messages: int) -> dict:
    app, tasks = _route_checks_to_own_queue()
    rnd = random.Random(18626)
    members = list(Library.objects.filter(is_member=True).order_by("symbol")[:MEMBERS])
    partners = list(Library.objects.filter(is_member=False, active=True).order_by("?")[:500])
    # Every partner door authenticates its sender: each partner sends with a key of its own.
    keys = {partner.pk: f"Bearer {issue_api_key(library=partner, name='benchmark')[1]}" for partner in partners}

    def message(member: Library, partner: Library) -> tuple[bytes, str]:
        return _request(member, partner, rnd), keys[partner.pk]

    senders = [rnd.choice(partners) for _ in range(messages + 20)]
    bodies = [message(rnd.choices(members, weights=[1 / (k + 1) for k in range(len(members))])[0], partner)
              for partner in senders]
    from requests_app.partners import intake

    by_worker = intake.applies_by_worker()
    client = Client()
    taken = _Door("/iso18626", bodies,
                  ok=lambda response: response.status_code == 200 and b"messageStatus>OK<" in response.content)
    floor = _Door("/bench/intake-floor/", _floor_calls(bodies, senders),
                  ok=lambda response: response.status_code == 200)
    _in_turns(client, taken, floor)
    _run_queued_checks(app, tasks)
    failed, seconds, statements = taken.failed, taken.seconds, taken.statements

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    applied, apply_seconds, apply_statements = 0, 0.0, 0
    if by_worker:  # what the worker does with what was acknowledged: one worker drains it, timed
        _forget_queued_applies(app)
        before = statements
        with connection.execute_wrapper(count):
            applied, apply_seconds = _drain()
        apply_statements = statements - before
    check_tasks, checks, check_seconds = _run_queued_checks(app, tasks)
    http = _over_http([message(rnd.choice(members), rnd.choice(partners)) for _ in range(messages + 20)])
    # The ceiling for the same work: a request row and its event row per transaction, raw psycopg2, no parsing,
    # no framework (bench/bare.py), measured now on the same tables.
    from .bare import raw_insert_ceiling

    raw = raw_insert_ceiling(seconds=max(2.0, min(seconds, 10.0)), partner=partners[0].pk)
    floor = {**floor.figures(), "ratio_to_raw_ceiling": round(floor.figures()["messages_per_second"]
                                                               / (raw["per_second"] or 1), 3)}
    return {"http_one_worker": http, "raw_insert_ceiling": raw, "intake_floor": floor, "timed_in_turns_of": TURN,
            "ratio_to_raw_ceiling": round(messages / seconds / (raw["per_second"] or 1), 3),
            "ratio_to_floor": round(messages / seconds / (floor["messages_per_second"] or 1), 3),
            "messages": messages, "failed": failed, "seconds": round(seconds, 2),
            "messages_per_second": round(messages / seconds, 1), "kind": "request (new loan or copy)",
            "apply": intake.mode(),
            "sql_statements_per_message": round((statements - apply_statements) / messages, 1),
            **({"applied": applied, "apply_seconds": round(apply_seconds, 2),
                "applied_per_second": round(applied / apply_seconds, 1) if apply_seconds else None,
                "sql_statements_per_applied_message": round(apply_statements / applied, 1) if applied else None}
               if by_worker else {}),
            "availability_tasks": check_tasks, "availability_checks": checks,
            "availability_seconds": round(check_seconds, 2),
            "availability_checks_per_second": round(checks / check_seconds, 1) if checks else None}
