"""ISO 18626 intake in one process: real XML messages posted to ``/iso18626`` through the whole stack
(middleware, the hardened parser, the codec's validation, the partner look-up, the handler, the
confirmation), each one a partner's new loan or copy request to one of our member libraries.

Each new request has its availability check queued for a Celery worker (``lending.tasks``); with
Redis as the cache, requests arriving together share one queued check (``availability.queue_check``).
Queuing is part of the intake figure, the checks are not. They are measured right after, as a worker
runs them: the run's tasks are taken from the broker one by one and executed in this process
(requests checked per second). The tasks go to a queue of the run's own, so that no worker of another
process takes them and none is left behind.
"""

from __future__ import annotations

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

    tasks = {task.name: task for task in (check_new_request_availability, check_new_requests_availability)}
    app.conf.task_routes = {name: {"queue": AVAILABILITY_QUEUE} for name in tasks}
    return app, tasks


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

    try:
        warm = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for body in bodies[:20]:
            post(warm, body)
        warm.close()
        threads = [threading.Thread(target=loop) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    return {"messages": len(samples), "failed": failed, "seconds": round(seconds, 2),
            "messages_per_second": round(len(samples) / seconds, 1), "p95_ms": round(percentile(samples, 95), 1),
            "clients": clients}


def measure(*, messages: int) -> dict:
    app, tasks = _route_checks_to_own_queue()
    rnd = random.Random(18626)
    members = list(Library.objects.filter(is_member=True).order_by("symbol")[:MEMBERS])
    partners = list(Library.objects.filter(is_member=False, active=True).order_by("?")[:500])
    # Every partner door authenticates its sender: each partner sends with a key of its own.
    keys = {partner.pk: f"Bearer {issue_api_key(library=partner, name='benchmark')[1]}" for partner in partners}

    def message(member: Library, partner: Library) -> tuple[bytes, str]:
        return _request(member, partner, rnd), keys[partner.pk]

    bodies = [message(rnd.choices(members, weights=[1 / (k + 1) for k in range(len(members))])[0],
                      rnd.choice(partners)) for _ in range(messages + 20)]
    client = Client()
    for body, authorization in bodies[:20]:  # warm up
        client.post("/iso18626", data=body, content_type="application/xml", HTTP_AUTHORIZATION=authorization)
    _run_queued_checks(app, tasks)
    failed, statements = 0, 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        for body, authorization in bodies[20:]:
            response = client.post("/iso18626", data=body, content_type="application/xml",
                                   HTTP_AUTHORIZATION=authorization)
            if response.status_code != 200 or b"messageStatus>OK<" not in response.content:
                failed += 1
        seconds = time.perf_counter() - started
    check_tasks, checks, check_seconds = _run_queued_checks(app, tasks)
    http = _over_http([message(rnd.choice(members), rnd.choice(partners)) for _ in range(messages + 20)])
    # The ceiling for the same work: a request row and its event row per transaction, raw psycopg2, no parsing,
    # no framework (bench/bare.py), measured now on the same tables.
    from .bare import raw_insert_ceiling

    raw = raw_insert_ceiling(seconds=max(2.0, min(seconds, 10.0)), partner=partners[0].pk)
    return {"http_one_worker": http, "raw_insert_ceiling": raw,
            "ratio_to_raw_ceiling": round(messages / seconds / (raw["per_second"] or 1), 3),
            "messages": messages, "failed": failed, "seconds": round(seconds, 2),
            "messages_per_second": round(messages / seconds, 1), "kind": "request (new loan or copy)",
            "sql_statements_per_message": round(statements / messages, 1),
            "availability_tasks": check_tasks, "availability_checks": checks,
            "availability_seconds": round(check_seconds, 2),
            "availability_checks_per_second": round(checks / check_seconds, 1) if checks else None}
