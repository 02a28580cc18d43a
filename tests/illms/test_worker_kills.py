"""A worker killed with SIGKILL in the middle of a job loses no e-mail and repeats at most one per kill.

Real parts: PostgreSQL, Redis, Celery worker processes on the test database, and an SMTP server
(aiosmtpd, in a thread of this process) that the workers' ``EMAIL_URL`` points at. Each worker's
broker keys carry a prefix of their own, so parallel test runs sharing a Redis database never see
each other's tasks; the visibility timeout is one second, so the task a killed worker held comes
back to the next worker, as it would after ``ILLMS_BROKER_VISIBILITY_TIMEOUT`` in production.

The kills land mid-job deterministically, without any hook in the product:

* in the middle of a job, this test holds a row lock the job needs further on (the charges of
  one partner for the invoice job; an uncommitted reminder row of one loan of the second chunk
  for the reminder job), waits until the job is blocked on it with the earlier part committed,
  and kills the worker there;
* in the middle of the hand-overs, the SMTP server keeps the k-th message without answering
  and the worker is killed while it waits for the answer: the server has the message, the
  worker never recorded it, so that one e-mail goes again after the lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing.models import Invoice
from borrowing.models import ReminderLog
from borrowing.states import BorrowingStatus
from requests_app import mailer
from requests_app.models import EmailStatus, OutgoingEmail
from tests.billing.factories import BillingSettingsFactory, ReceivableFactory
from tests.conftest import skip_or_fail
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronProfileFactory,
)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
VISIBILITY_TIMEOUT = 1
LEASE = 2
#: The workers' reminder chunk: the job commits 25 loans at a time (200 in production), so a job of
#: 60 loans has a second chunk to be killed in without sending hundreds of e-mails.
REMINDER_CHUNK = 25
DEADLINE = 45

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


class SmtpSink:
    """An SMTP server that keeps every message; it can hold the k-th one without answering."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.messages: list[email.message.Message] = []
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
            held = self.hold_at is not None and len(self.messages) == self.hold_at
        if held:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"

    def count_by_message_id(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)

    def attachments_of(self, message_id: str) -> list[str]:
        with self._lock:
            return [part.get_filename() for m in self.messages if m["Message-ID"] == message_id
                    for part in m.walk() if part.get_filename()]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        sink.port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    sink.release.set()
    controller.stop()


@pytest.fixture
def workers(postgres, smtp, tmp_path):
    """Start Celery workers on the test database, the SMTP sink and a broker key prefix of their own."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    from illms.celery import app

    app.conf.task_always_eager = False
    prefix = f"killtest-{uuid.uuid4().hex[:12]}:"
    db = connection.settings_dict
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "DJANGO_DEBUG": "1",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "REDIS_URL": REDIS_URL, "ILLMS_BROKER_KEY_PREFIX": prefix,
           "ILLMS_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT), "ILLMS_EMAIL_LEASE_SECONDS": str(LEASE),
           "ILLMS_REMINDER_CHUNK": str(REMINDER_CHUNK),
           "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "EMAIL_TIMEOUT": "20",
           "ILLMS_VAR_DIR": str(tmp_path), "ILLMS_PRIVATE_STORAGE": str(settings.PRIVATE_STORAGE_ROOT)}
    pool = WorkerPool(env, prefix, tmp_path)
    yield pool
    pool.stop_all()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


class WorkerPool:
    def __init__(self, env: dict, prefix: str, folder: Path) -> None:
        self.env, self.prefix, self.folder = env, prefix, folder
        self.processes: list[subprocess.Popen] = []
        self.killed_at = 0.0

    def start(self) -> subprocess.Popen:
        # What a killed worker held comes back once it is older than the visibility timeout: the next
        # worker gives it back when it starts.
        time.sleep(max(0.0, self.killed_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
        log = open(self.folder / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115 - the process owns it
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "illms", "worker", "--pool=solo", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        self.killed_at = time.monotonic()

    def publish(self, task, *args, **kwargs) -> None:
        from illms.celery import app

        with app.connection_for_write(REDIS_URL, transport_options={"global_keyprefix": self.prefix}) as conn:
            task.apply_async(args=args, kwargs=kwargs, connection=conn)

    def logs(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in sorted(self.folder.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def wait_for(condition, pool: WorkerPool, what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}.\n{pool.logs()}")


class RowLock:
    """A second connection to the test database that holds locks until released (rolled back)."""

    def __init__(self) -> None:
        import psycopg2

        db = connection.settings_dict
        self.conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1",
                                     port=db["PORT"] or 5432)

    def execute(self, sql: str, params: tuple = ()) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute(sql, params)

    def someone_waits(self) -> bool:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            return cursor.fetchone()[0] > 0

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def sweep_until(pool: WorkerPool, done, what: str) -> None:
    """Beat's part: the sweeps, every two seconds here instead of every minute, until ``done()``."""
    from billing.tasks import sweep_invoices
    from requests_app.tasks import sweep_outgoing_email

    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        pool.publish(sweep_outgoing_email)
        pool.publish(sweep_invoices, now=(timezone.now() + dt.timedelta(hours=1)).isoformat())
        for _ in range(20):
            if done():
                return
            time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}.\n{pool.logs()}")


def repeats(received: Counter, emails: list[OutgoingEmail]) -> int:
    """How many e-mails beyond one each the server received; fails if one of ``emails`` never arrived."""
    counts = [received[mailer.message_id(e)] for e in emails]
    assert min(counts) >= 1, f"{counts.count(0)} e-mails never reached the mail server"
    assert sum(received.values()) == sum(counts), "the server received e-mails that are not these"
    return sum(counts) - len(counts)


def test_a_worker_killed_mid_invoice_job_and_mid_hand_over_loses_no_invoice_pdf_or_email(workers, smtp):
    from billing.tasks import create_monthly_invoices

    ours = MemberLibraryFactory(symbol="OURS", email="ill@ours.example.edu")
    BillingSettingsFactory(library=ours)
    last_month = (timezone.now().replace(day=1) - dt.timedelta(days=20)).replace(hour=12)
    partners = sorted((LibraryFactory(billing_email=f"ap{n}@partner.example.org", timezone="UTC") for n in range(6)),
                      key=lambda p: p.pk)
    for partner in partners:
        ReceivableFactory(request=LendingRequestFactory(library=ours, partner=partner), amount=Decimal("12.50"),
                          incurred_at=last_month)

    # Kill 1: the job has issued three invoices and waits for the charges of the fourth partner.
    lock = RowLock()
    lock.execute("BEGIN")
    lock.execute("SELECT id FROM billing_charge WHERE partner_id = %s FOR UPDATE", (partners[3].pk,))
    first = workers.start()
    workers.publish(create_monthly_invoices)
    wait_for(lambda: Invoice.objects.count() == 3 and lock.someone_waits(), workers, "the job to block at invoice 4")
    workers.kill(first)
    lock.release()
    assert Invoice.objects.count() == 3

    # Kill 2: the next worker renders the PDFs, runs the job again (the broker gave it back) and sends;
    # the mail server holds the second e-mail, and the worker is killed waiting for its answer.
    smtp.hold_at = 2
    second = workers.start()
    wait_for(smtp.holding.is_set, workers, "the second e-mail to reach the mail server")
    workers.kill(second)
    smtp.release.set()

    workers.start()
    invoices = list(Invoice.objects.order_by("pk"))
    sweep_until(workers, lambda: Invoice.objects.count() == 6 and not Invoice.objects.filter(pdf="").exists()
                and OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 6,
                "every invoice with its PDF and its e-mail handed over")

    invoices = list(Invoice.objects.order_by("pk"))
    assert sorted(i.partner_id for i in invoices) == [p.pk for p in partners]
    assert all(i.pdf and i.pdf.storage.exists(i.pdf.name) and i.emailed_at for i in invoices)
    emails = list(OutgoingEmail.objects.filter(key__in=[f"invoice:{i.pk}" for i in invoices]))
    assert len(emails) == 6
    time.sleep(0.5)  # anything still on its way arrives
    received = smtp.count_by_message_id()
    # At most one per kill; here exactly the e-mail the second kill cut off (the first hit no hand-over).
    assert repeats(received, emails) == 1
    for invoice in invoices:
        email_row = next(e for e in emails if e.attachment_id == invoice.pk)
        assert set(smtp.attachments_of(mailer.message_id(email_row))) == {f"{invoice.number}.pdf"}


def test_a_worker_killed_mid_reminder_job_and_mid_hand_over_sends_every_loan_its_one_reminder(workers, smtp):
    from borrowing.tasks import send_reminders

    loans = REMINDER_CHUNK * 2 + 10
    today = timezone.localdate()
    due = today + dt.timedelta(days=2)
    library = MemberLibraryFactory()
    partner = LibraryFactory()
    patron = PatronProfileFactory(library=library).user
    requests = sorted((IllRequestFactory(library=library, partner=partner, patron=patron,
                                         status=BorrowingStatus.CHECKED_OUT,
                                         patron_due_date=due) for _ in range(loans)), key=lambda r: r.pk)

    # Kill 1: the first chunk is committed; the second waits for a reminder row this test has not committed.
    lock = RowLock()
    lock.execute("BEGIN")
    lock.execute("INSERT INTO borrowing_reminderlog (request_id, stage, due_date, sent_on) VALUES (%s, %s, %s, %s)",
                 (requests[REMINDER_CHUNK + 5].pk, "due_soon", due, today))
    first = workers.start()
    workers.publish(send_reminders, today=today.isoformat())
    wait_for(lambda: ReminderLog.objects.count() == REMINDER_CHUNK and lock.someone_waits(), workers,
             "the job to block in its second chunk")
    workers.kill(first)
    lock.release()
    assert OutgoingEmail.objects.count() == REMINDER_CHUNK

    # Kill 2: the next worker runs the job again (the broker gave it back) and sends; the mail server
    # holds the 20th e-mail, and the worker is killed waiting for its answer.
    smtp.hold_at = 20
    second = workers.start()
    wait_for(smtp.holding.is_set, workers, "the 20th e-mail to reach the mail server")
    workers.kill(second)
    smtp.release.set()

    workers.start()
    sweep_until(workers, lambda: ReminderLog.objects.count() == loans
                and OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == loans,
                "every loan's reminder handed over")

    emails = list(OutgoingEmail.objects.all())
    assert sorted(e.request_id for e in emails) == [r.pk for r in requests]
    assert {e.key for e in emails} == {f"reminder:{r.pk}:due_soon:{due.isoformat()}" for r in requests}
    time.sleep(0.5)
    # At most one per kill; here exactly the e-mail the second kill cut off (the first hit no hand-over).
    assert repeats(smtp.count_by_message_id(), emails) == 1
