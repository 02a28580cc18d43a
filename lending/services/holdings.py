"""Holdings imports: a CSV or MARC 21 file becomes Holding rows, bad records reported one by one.

pymarc reads MARC 21 (binary and MARCXML); its permissive reader yields ``None`` for a
record it cannot decode and keeps going, so one broken record does not stop the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from requests_app import identifiers
from requests_app.languages import starter_language
from requests_app.models import Library
from requests_app.workflow import WorkflowError

from ..models import Holding, HoldingFormat, HoldingsImport, ImportFormat, ImportStatus

BATCH_SIZE = 500
MAX_REPORTED_ERRORS = 1000
MAX_IMPORT_BYTES = 200 * 1024 * 1024

CSV_COLUMNS = ("title", "author", "isbn", "issn", "oclc_number", "call_number", "location", "barcode", "format",
               "circulates", "copyable", "lendable")
_TRUE = {"1", "y", "yes", "true", "t", "x"}
_FALSE = {"0", "n", "no", "false", "f", ""}


class RecordError(Exception):
    """One record that cannot be imported; the message is shown to staff with its number."""


@dataclass
class ParsedRecord:
    number: int
    holdings: list[Holding] | None = None
    error: str = ""


def start_import(*, library: Library, upload: UploadedFile, file_format: str, user=None,
                 queue: bool = True) -> HoldingsImport:
    """Store ``upload`` and queue its import; returns the ``HoldingsImport`` the progress page follows.

    ``queue=False`` leaves the job for the caller to run (``run_import``), as the command does.

    Raises ``WorkflowError('invalid')`` for an unknown format, an empty or oversized file.
    """
    if file_format not in ImportFormat.values:
        raise WorkflowError("invalid", gettext("Choose CSV, MARC 21 or MARCXML."))
    if not upload or not upload.size:
        raise WorkflowError("invalid", gettext("The file is empty."))
    if upload.size > MAX_IMPORT_BYTES:
        raise WorkflowError("invalid", gettext("The file is larger than %(limit)s MB.") % {
            "limit": MAX_IMPORT_BYTES // (1024 * 1024)})
    job = HoldingsImport(library=library, uploaded_by=user, file_format=file_format,
                         original_name=(upload.name or "")[:255])
    job.file.save(f"{library.symbol}-{timezone.now():%Y%m%d%H%M%S}.{file_format}", upload, save=False)
    from ..tasks import import_holdings  # the task imports this module; it is only queued here

    with transaction.atomic():
        job.save()
        if queue:
            transaction.on_commit(lambda: import_holdings.delay(job.pk))
    return job


def run_import(job_id: int) -> HoldingsImport | None:
    """Import the file of ``HoldingsImport`` ``job_id`` if nobody has started it yet.

    Compare-and-set on the status, so a task delivered twice imports once. Good records are
    bulk-created in batches; each bad one is recorded as ``{record, reason}``.
    """
    now = timezone.now()
    if not HoldingsImport.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
            status=ImportStatus.RUNNING, started_at=now):
        return None
    job = HoldingsImport.objects.select_related("library", "uploaded_by__staff_profile").get(pk=job_id)
    # The report's reasons are worded in the language of whoever uploaded the file.
    with translation.override(starter_language(job.uploaded_by)):
        return _run(job)


def _run(job: HoldingsImport) -> HoldingsImport:
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        # The records are counted first and then read one by one: a catalogue of millions of records is
        # never held in memory as Holding objects at once (only the current batch is).
        job.total = _count(job.file_format, data)
    except Exception as exc:  # the file as a whole is unreadable: say so on the progress page
        HoldingsImport.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now(),
                                                        message=(gettext("The file could not be read: %(error)s")
                                                                 % {"error": exc})[:2000])
        return HoldingsImport.objects.get(pk=job.pk)
    HoldingsImport.objects.filter(pk=job.pk).update(total=job.total)
    batch: list[Holding] = []
    for record in _parse(job.file_format, data):
        job.processed += 1
        if record.error:
            job.failed += 1
            if len(job.errors) < MAX_REPORTED_ERRORS:
                job.errors.append({"record": record.number, "reason": record.error})
        else:
            for holding in record.holdings or []:
                holding.library = job.library
                holding.source_import = job
                holding.fill_keys()
                batch.append(holding)
            job.imported += 1
        if len(batch) >= BATCH_SIZE or job.processed % BATCH_SIZE == 0:
            _flush(job, batch)
            batch = []
    _flush(job, batch)
    job.total = job.processed  # the count is exact for CSV and MARCXML, and from record terminators for MARC
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "processed", "imported", "failed", "errors", "total"])
    return job


def _flush(job: HoldingsImport, batch: list[Holding]) -> None:
    with transaction.atomic():
        if batch:
            Holding.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        HoldingsImport.objects.filter(pk=job.pk).update(processed=job.processed, imported=job.imported,
                                                        failed=job.failed, errors=job.errors)


def _count(file_format: str, data: bytes) -> int:
    """How many records the file holds, for the progress bar, without keeping them."""
    if file_format == ImportFormat.MARC:
        # Each MARC 21 record ends with the record terminator (0x1D): counting bytes is far cheaper than parsing.
        return data.count(b"\x1d") or (1 if data.strip() else 0)
    return sum(1 for _ in _parse(file_format, data))


def _parse(file_format: str, data: bytes) -> Iterator[ParsedRecord]:
    if file_format == ImportFormat.CSV:
        return _parse_csv(data)
    if file_format == ImportFormat.MARC:
        return _parse_marc(data)
    return _parse_marcxml(data)


# CSV --------------------------------------------------------------------------------------

def _parse_csv(data: bytes) -> Iterator[ParsedRecord]:
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    headers = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "title" not in headers:
        raise ValueError(gettext("the first line must name the columns, including “title” (known columns: "
                                 "%(columns)s).") % {"columns": ", ".join(CSV_COLUMNS)})
    reader.fieldnames = headers
    for number, row in enumerate(reader, start=1):
        try:
            yield ParsedRecord(number, holdings=[_holding_from_csv(row)])
        except RecordError as exc:
            yield ParsedRecord(number, error=str(exc))


def _holding_from_csv(row: dict) -> Holding:
    def value(name: str) -> str:
        return (row.get(name) or "").strip()

    title = value("title")
    if not title:
        raise RecordError(gettext("The title is missing."))
    fmt = value("format").lower() or HoldingFormat.BOOK
    if fmt not in HoldingFormat.values:
        raise RecordError(gettext("Unknown format “%(format)s” (use one of %(formats)s).")
                          % {"format": fmt, "formats": ", ".join(HoldingFormat.values)})
    holding = Holding(title=title[:500], author=value("author")[:300], format=fmt,
                      call_number=value("call_number")[:100], location=value("location")[:100],
                      barcode=value("barcode")[:50],
                      **_identifiers(isbn=value("isbn"), issn=value("issn"),
                                     oclc_number=value("oclc_number") or value("oclc")))
    for flag in ("circulates", "copyable", "lendable"):
        raw = value(flag).lower()
        if raw and raw not in _TRUE | _FALSE:
            raise RecordError(gettext("“%(value)s” in column %(column)s is not yes or no.")
                              % {"value": value(flag), "column": flag})
        setattr(holding, flag, True if not raw else raw in _TRUE)
    return holding


def _identifiers(*, isbn: str = "", issn: str = "", oclc_number: str = "") -> dict[str, str]:
    cleaned, errors = identifiers.normalize_identifiers({"isbn": isbn, "issn": issn, "oclc_number": oclc_number})
    if errors:
        raise RecordError(" ".join(m for e in errors.values() for m in e.messages))
    return {"isbn": cleaned.get("isbn", ""), "issn": cleaned.get("issn", ""),
            "oclc_number": cleaned.get("oclc_number", "")}


# MARC 21 ----------------------------------------------------------------------------------

def _parse_marc(data: bytes) -> Iterator[ParsedRecord]:
    from pymarc import MARCReader

    reader = MARCReader(io.BytesIO(data), to_unicode=True, force_utf8=True, permissive=True,
                        utf8_handling="replace")
    for number, record in enumerate(reader, start=1):
        if record is None:
            reason = reader.current_exception or gettext("unreadable record")
            yield ParsedRecord(number, error=gettext("The record cannot be read: %(reason)s.") % {"reason": reason})
            continue
        yield _from_marc_record(number, record)


def _parse_marcxml(data: bytes) -> Iterator[ParsedRecord]:
    from pymarc import parse_xml_to_array

    records = parse_xml_to_array(io.BytesIO(data), strict=False)
    for number, record in enumerate(records, start=1):
        yield _from_marc_record(number, record)


def _subfield(field, code: str) -> str:
    values = field.get_subfields(code) if field is not None else []
    return " ".join(v.strip() for v in values if v and v.strip())


def _first_valid(values: list[str], normalize) -> str:
    for raw in values:
        raw = (raw or "").strip().split(" ")[0]
        try:
            return normalize(raw)
        except ValidationError:
            continue
    return ""


_FORMAT_BY_LEADER = {"a": HoldingFormat.BOOK, "t": HoldingFormat.BOOK, "g": HoldingFormat.AUDIOVISUAL,
                     "i": HoldingFormat.AUDIOVISUAL, "j": HoldingFormat.AUDIOVISUAL, "e": HoldingFormat.MAP,
                     "f": HoldingFormat.MAP, "c": HoldingFormat.SCORE, "d": HoldingFormat.SCORE}


def _from_marc_record(number: int, record) -> ParsedRecord:
    try:
        title_field = record.get("245")
        title = " ".join(p for p in (_subfield(title_field, "a"), _subfield(title_field, "b")) if p)
        title = title.strip(" /:;,.")
        if not title:
            raise RecordError(gettext("There is no title (245 $a)."))
        author_field = record.get("100") or record.get("110") or record.get("111")
        author = _subfield(author_field, "a").strip(" ,.")
        isbn = _first_valid([v for f in record.get_fields("020") for v in f.get_subfields("a")],
                            identifiers.normalize_isbn)
        issn = _first_valid([v for f in record.get_fields("022") for v in f.get_subfields("a")],
                            identifiers.normalize_issn)
        oclc_candidates = [v for f in record.get_fields("035") for v in f.get_subfields("a")
                           if "ocolc" in v.lower()]
        control, source = record.get("001"), record.get("003")
        if control is not None and source is not None and "ocolc" in source.data.lower():
            oclc_candidates.append(control.data)
        oclc = _first_valid(oclc_candidates, identifiers.normalize_oclc_number)
        leader = str(record.leader or "")
        fmt = _FORMAT_BY_LEADER.get(leader[6:7], HoldingFormat.OTHER)
        if leader[6:7] == "a" and leader[7:8] == "s":
            fmt = HoldingFormat.SERIAL
        if leader[6:7] == "h":
            fmt = HoldingFormat.MICROFORM
        base = {"title": title[:500], "author": author[:300], "isbn": isbn, "issn": issn, "oclc_number": oclc,
                "format": fmt}
        items = [_item_from_852(f) for f in record.get_fields("852")] + \
                [_item_from_952(f) for f in record.get_fields("952")]
        holdings = [Holding(**base, **item) for item in items] or [Holding(**base)]
    except RecordError as exc:
        return ParsedRecord(number, error=str(exc))
    except Exception as exc:  # a malformed record that pymarc read but we cannot interpret
        return ParsedRecord(number, error=gettext("The record cannot be interpreted: %(error)s.") % {"error": exc})
    return ParsedRecord(number, holdings=holdings)


def _item_from_852(field) -> dict:
    """MARC 21 holdings 852: $b location, $c shelving location, $h/$i call number, $p barcode."""
    location = " ".join(p for p in (_subfield(field, "b"), _subfield(field, "c")) if p)
    call_number = " ".join(p for p in (_subfield(field, "h"), _subfield(field, "i")) if p)
    return {"location": location[:100], "call_number": call_number[:100], "barcode": _subfield(field, "p")[:50]}


def _item_from_952(field) -> dict:
    """Koha's 952: $a home library, $c shelving location, $o call number, $p barcode, $7 not for loan."""
    location = " ".join(p for p in (_subfield(field, "a"), _subfield(field, "c")) if p)
    not_for_loan = _subfield(field, "7")
    return {"location": location[:100], "call_number": _subfield(field, "o")[:100],
            "barcode": _subfield(field, "p")[:50], "circulates": not_for_loan in ("", "0")}
