"""The nightly jobs and the holdings import, each at the size issue 8 gives, on the data already grown.

- Reminders: the daily ``borrowing.tasks.send_reminders`` over 100,000 active loans (checked out,
  overdue or recalled, due dates spread over the loan period): the reminder rows and their e-mail
  rows written, one hand-over task queued per e-mail (the workers' part is not timed).
- Invoices: ``billing.services.create_monthly_invoices`` for 1,000 partners with last month's
  receivables; the PDFs and e-mails follow in Celery workers (2 processes, on Redis) when a Redis
  server answers, otherwise in this process. Reported as seconds per invoice, PDF included.
- Holdings: ``lending.services.holdings.run_import`` of a 100,000-record MARC 21 file (pymarc).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest, Library, PatronProfile

from .copyload import CopyLoader, next_id, reset_sequence
from .generator import REQUEST_COLUMNS, analyze

ROOT = Path(__file__).resolve().parent.parent
ACTIVE_LOAN_STATES = ("checked_out", "overdue", "recalled")


# Reminders ------------------------------------------------------------------------------------

def _add_active_loans(count: int) -> None:
    """``count`` borrowing loans with the patron: 80 % checked out (due over the next four weeks),
    15 % overdue, 5 % recalled; patrons of the member libraries as they are."""
    rnd = random.Random(100_000)
    today = timezone.localdate()
    now = timezone.now()
    patrons = list(PatronProfile.objects.values_list("user_id", "library_id", "category", "pickup_location_id"))
    partners = list(Library.objects.filter(is_member=False).values_list("pk", flat=True)[:2000])
    first = next_id(IllRequest)

    def rows():
        for pk in range(first, first + count):
            yield _loan_row(pk, rnd, patrons, partners, today, now)

    with transaction.atomic():
        # Streamed in chunks: this set-up must not inflate the job's peak memory, measured in this process.
        CopyLoader(IllRequest, REQUEST_COLUMNS).copy(rows(), chunk_rows=10_000)
        reset_sequence(IllRequest)
    analyze()


def _loan_row(pk, rnd, patrons, partners, today, now) -> str:
    patron, library, category, pickup = rnd.choice(patrons)
    roll = rnd.random()
    status = (BorrowingStatus.CHECKED_OUT if roll < 0.8
              else BorrowingStatus.OVERDUE if roll < 0.95 else BorrowingStatus.RECALLED)
    due = today + dt.timedelta(days=rnd.randint(0, 27) if status != BorrowingStatus.OVERDUE else -rnd.randint(1, 30))
    created = now - dt.timedelta(days=rnd.randint(20, 50))
    return "\t".join((
        str(pk), "book", "Loan for the reminder benchmark", "Smith, Ada", "", "", "", "", "2019",
        "9780306406157", "", "", "", "borrowing", str(library), str(rnd.choice(partners)), str(patron), status,
        "Loan", "physical", str(pickup), category, (due + dt.timedelta(days=3)).isoformat(), due.isoformat(),
        f"R-{pk}", f"X{pk}", created.isoformat(), now.isoformat(), now.isoformat(),
    ))


def measure_reminders(*, loans: int) -> dict:
    from borrowing.tasks import send_reminders

    _add_active_loans(loans)
    from requests_app.models import OutgoingEmail

    active = IllRequest.objects.filter(role="borrowing", status__in=ACTIVE_LOAN_STATES).count()
    before = OutgoingEmail.objects.count()
    started = time.perf_counter()
    sent = send_reminders()
    seconds = time.perf_counter() - started
    emails = OutgoingEmail.objects.count() - before
    return {"active_loans": active, "due_soon": sent["due_soon"], "overdue": sent["overdue"], "emails": emails,
            "seconds": round(seconds, 1)}


# Invoices -------------------------------------------------------------------------------------

def _add_receivables(partners: int, per_partner: int = 5) -> dict:
    """Last month: ``per_partner`` loans or copies our largest member supplied to each of ``partners``
    partners, each with its open receivable charge."""
    from billing.models import Charge

    rnd = random.Random(1000)
    member = Library.objects.filter(is_member=True).order_by("symbol").first()
    chosen = list(Library.objects.filter(is_member=False).order_by("pk").values_list("pk", "symbol")[:partners])
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    moment = timezone.make_aware(dt.datetime.combine(last_month, dt.time(12)))
    first = next_id(IllRequest)
    requests, charges = [], []
    pk = first
    for partner, symbol in chosen:
        for _ in range(per_partner):
            copy = rnd.random() < 0.5
            requests.append("\t".join((
                str(pk), "article" if copy else "book", "Supplied for the invoice benchmark", "Garcia, Grace", "",
                "", "", "", "2020", "", "", "", "", "lending", str(member.pk), str(partner), r"\N", "completed",
                "Copy" if copy else "Loan", "electronic" if copy else "physical", r"\N", "", r"\N", r"\N",
                f"{symbol}-INV-{pk}", f"{member.symbol}-L{pk}", moment.isoformat(), moment.isoformat(),
                moment.isoformat(),
            )))
            amount = Decimal("10.00") if copy else Decimal("25.00")
            charges.append("\t".join((
                str(member.pk), str(partner), str(pk), "receivable", "copy" if copy else "loan", "", str(amount),
                str(amount), "USD", "open", moment.isoformat(), moment.isoformat())))
            pk += 1
    with transaction.atomic():
        CopyLoader(IllRequest, REQUEST_COLUMNS).copy(requests)
        CopyLoader(Charge, ["library_id", "partner_id", "request_id", "direction", "service", "key", "amount",
                            "original_amount", "currency", "status", "incurred_at", "created_at"]).copy(charges)
        reset_sequence(IllRequest)
        reset_sequence(Charge)
    analyze()
    return {"member": member.symbol, "charges": len(charges)}


def _redis_answers(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return False


def measure_invoices(*, partners: int) -> dict:
    from django.conf import settings

    from billing.models import Invoice
    from billing.services import create_monthly_invoices

    setup = _add_receivables(partners)
    redis_url = getattr(settings, "REDIS_URL", "")
    use_workers = bool(redis_url) and _redis_answers(redis_url)
    worker = None
    if use_workers:
        subprocess.run([str(Path(sys.executable).with_name("celery")), "-A", "illms", "purge", "-f"], cwd=ROOT,
                       capture_output=True)
        log = open(ROOT / "var" / "bench" / "celery-worker.log", "w")  # noqa: SIM115 - closed with the worker
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "illms", "worker", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
        time.sleep(4)  # the worker connects and forks its processes
    else:
        from illms.celery import app

        app.conf.task_always_eager = True
    try:
        started = time.perf_counter()
        made = create_monthly_invoices()
        created = time.perf_counter() - started
        ids = [invoice.pk for invoice in made]
        deadline = time.monotonic() + 900
        while Invoice.objects.filter(pk__in=ids, pdf="").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        total = time.perf_counter() - started
        missing = Invoice.objects.filter(pk__in=ids, pdf="").count()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
            log.close()
    return {"partners": partners, "charges": setup["charges"], "invoices": len(ids), "pdfs_missing": missing,
            "seconds_creating": round(created, 1), "seconds_with_pdfs": round(total, 1),
            "seconds_per_invoice": round(total / max(len(ids), 1), 3),
            "pdf_workers": "2 Celery worker processes on Redis" if use_workers else "eager, in this process",
            "font_subsetting": _font_subsetting()}


def _font_subsetting() -> str:
    """How WeasyPrint embeds fonts here: HarfBuzz's subset library, or the much slower fontTools."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint.text.ffi import harfbuzz_subset
    return "HarfBuzz" if harfbuzz_subset is not None else "fontTools (no libharfbuzz-subset0: slower PDFs)"


# Holdings import ------------------------------------------------------------------------------

def marc_file(records: int) -> bytes:
    """``records`` MARC 21 bibliographic records with 852 items, as a catalogue exports them."""
    from pymarc import Field, Leader, MARCWriter, Record, Subfield

    from .generator import GIVEN, SURNAMES, WORDS, _isbn13

    rnd = random.Random(records)
    out = io.BytesIO()
    writer = MARCWriter(out)
    for n in range(records):
        record = Record(leader=Leader("00000nam a2200000 a 4500"), force_utf8=True)
        record.add_field(Field(tag="001", data=f"ocm{10_000_000 + n}"), Field(tag="003", data="OCoLC"))
        record.add_field(Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", _isbn13(rnd))]))
        record.add_field(Field(tag="100", indicators=["1", " "],
                               subfields=[Subfield("a", f"{rnd.choice(SURNAMES)}, {rnd.choice(GIVEN)}.")]))
        title = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 6))).capitalize()
        record.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", f"{title} /")]))
        for copy in range(rnd.choice((1, 1, 1, 2))):
            record.add_field(Field(tag="852", indicators=["0", " "], subfields=[
                Subfield("b", "MAIN"), Subfield("c", "Stacks"), Subfield("h", f"QA{rnd.randint(1, 999)}"),
                Subfield("i", f".{rnd.choice('ABCDEFG')}{rnd.randint(10, 99)}"),
                Subfield("p", f"3901{n:08d}{copy}")]))
        writer.write(record)
    return out.getvalue()


def measure_holdings_import(*, records: int) -> dict:
    from lending.models import Holding, HoldingsImport, ImportFormat
    from lending.services.holdings import run_import

    member = Library.objects.filter(is_member=True).order_by("symbol").first()
    build = time.perf_counter()
    data = marc_file(records)
    built = time.perf_counter() - build
    job = HoldingsImport(library=member, file_format=ImportFormat.MARC, original_name="catalogue.mrc")
    job.file.save("bench-catalogue.mrc", ContentFile(data), save=False)
    job.save()
    del data
    before = Holding.objects.count()
    started = time.perf_counter()
    result = run_import(job.pk)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('lending_holding')")
        size = cursor.fetchone()[0]
    return {"records": records, "imported": result.imported, "failed": result.failed,
            "holdings_added": Holding.objects.count() - before, "seconds": round(seconds, 1),
            "records_per_second": round(records / seconds, 1), "file_built_seconds": round(built, 1),
            "holding_table_mb": round(size / 1024 / 1024, 1)}
