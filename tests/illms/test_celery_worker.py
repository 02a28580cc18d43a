"""A real Celery worker on Redis runs a scheduled job against the test database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from borrowing.states import BorrowingStatus
from requests_app.models import Event, IllRequest
from tests.conftest import skip_or_fail
from tests.factories import IllRequestFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_broker():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def worker(postgres, redis_broker, tmp_path):
    """A worker process on the test database (PostgreSQL: it sees what the test commits)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "DATABASE_URL": url,
           "REDIS_URL": redis_broker, "ILLMS_VAR_DIR": str(tmp_path)}
    queue = f"test-{os.getpid()}-{time.time_ns()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "illms", "worker", "--pool=solo", "-Q", queue, "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    yield queue
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_marks_an_overdue_loan_once_even_when_the_job_is_sent_twice(worker):
    from borrowing.tasks import mark_overdue_loans
    from illms.celery import app

    app.conf.task_always_eager = False
    overdue = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2026, 1, 1))
    current = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2030, 1, 1))

    with app.connection_for_write(REDIS_URL) as conn:
        for _ in range(2):
            mark_overdue_loans.apply_async(kwargs={"today": "2026-06-01"}, queue=worker, connection=conn)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Event.objects.filter(action="mark_overdue").count() < 1:
        time.sleep(0.25)
    time.sleep(1.0)  # let the second delivery run too

    assert IllRequest.objects.get(pk=overdue.pk).status == BorrowingStatus.OVERDUE
    assert IllRequest.objects.get(pk=current.pk).status == BorrowingStatus.CHECKED_OUT
    assert Event.objects.filter(request=overdue, action="mark_overdue").count() == 1


def test_a_real_worker_checks_the_new_requests_that_shared_one_queued_check(worker, monkeypatch):
    """Requests committed together queue one check, with a countdown; the worker runs it and checks them all."""
    from illms.celery import app
    from lending import tasks
    from lending.models import LendingDetail
    from lending.services import availability
    from requests_app.services import receive_partner_request
    from tests.factories import MemberLibraryFactory
    from tests.lending.factories import HoldingFactory, IsoPartnerFactory

    app.conf.task_always_eager = False
    monkeypatch.setattr(availability, "_covered_until", 0.0)
    library, partner = MemberLibraryFactory(), IsoPartnerFactory()
    HoldingFactory(library=library, isbn="9780226458083")
    queued = []
    with app.connection_for_write(REDIS_URL) as conn:
        publish = tasks.check_new_requests_availability.apply_async

        def to_the_worker(*args, **options):
            queued.append(options)
            return publish(*args, connection=conn, queue=worker, **options)

        monkeypatch.setattr(tasks.check_new_requests_availability, "apply_async", to_the_worker)
        requests = [receive_partner_request(library=library, partner=partner, requesting_agency_request_id=f"R-{n}",
                                            title="Kuhn", isbn="9780226458083")[0] for n in range(3)]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and LendingDetail.objects.count() < len(requests):
        time.sleep(0.25)

    assert 1 <= len(queued) <= len(requests)
    assert {d.request_id: d.match_kind for d in LendingDetail.objects.all()} == {r.pk: "isbn" for r in requests}
