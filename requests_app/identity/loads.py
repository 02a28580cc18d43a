"""The patron load: a CSV or JSON file of patrons from the student-information or library system, read in chunks.

Each record is read by the same mapping as a sign-in (:func:`~.mapping.read_attributes`, door ``load``), with the
member library's own column names and category values laid over the installation's (``PatronLoadSettings``).
A record is matched to a patron of that library by its library card or its institutional id, and the patron's
category, department, card or id, expiry date, block and name are updated; a record nobody matches makes a new
patron (an account with no usable password, who signs in through a door) unless the load updates only.

:func:`start_load` checks the file as a whole before anything is stored (its size, that it is UTF-8 CSV or JSON,
that the match column is there), so a bad file is a clear error that changes nothing. :func:`run_load` (the
Celery task) claims the load by compare-and-set and writes one chunk per transaction, with a constant number of
queries whatever the chunk holds: the chunk's patrons are fetched in one query, new accounts and profiles
bulk-created, changed ones bulk-updated, each record's errors bulk-created as rows. The chunk's counts and the
position of the next record are saved in the same transaction, so a rerun, or a job taking up a load whose
worker died, never writes a record twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from requests_app.languages import starter_language
from requests_app.models import (
    Library,
    PatronCategory,
    PatronLoad,
    PatronLoadError,
    PatronLoadFormat,
    PatronLoadSettings,
    PatronLoadStatus,
    PatronMatchKey,
    PatronProfile,
)
from requests_app.utilities.batches import keyset_rows

from .fields import parse_mapping
from .mapping import IdentityAttributes, UnreadableAttribute, attribute_names, category_map, read_attributes

logger = logging.getLogger(__name__)
DOOR = "load"
#: The failed records whose errors one load keeps (the count goes on).
MAX_ERRORS = 10_000
_CSV_DELIMITERS = ",;\t|"
#: The fields a load reads, in the order the columns page lists them.
LOAD_FIELDS = ("barcode", "institution_id", "username", "first_name", "last_name", "display_name", "email",
               "affiliation", "department", "expires_on", "blocked", "blocked_reason")


class LoadFileError(Exception):
    """The file as a whole cannot be loaded; ``message`` says why, in words for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Record:
    """One patron of the file: its line (CSV, the header is line 1) or record number (JSON), and its values."""

    line: int
    values: dict[str, str]


@dataclass
class Columns:
    """Which columns hold which field, and which values mean which category, for one load."""

    names: dict[str, tuple[str, ...]]
    categories: dict[str, str]

    def match_names(self, match_key: str) -> tuple[str, ...]:
        return self.names.get("barcode" if match_key == PatronMatchKey.BARCODE else "institution_id", ())


def parse_categories(text: str) -> dict[str, str]:
    """``"UG=undergraduate;FAC=faculty"`` → ``{"ug": "undergraduate", ...}``; ``ValueError`` naming a bad part."""
    found: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        value, sep, category = (x.strip() for x in part.partition("="))
        if not sep or not value or category not in PatronCategory.values:
            raise ValueError(_("cannot read %(part)r: expected value=category with a category among %(known)s")
                             % {"part": part, "known": ", ".join(PatronCategory.values)})
        found[value.lower()] = category
    return found


def columns_for(library: Library) -> Columns:
    """The library's columns for its next load: the installation's (``ILLMS_LOAD_ATTRIBUTES``,
    ``ILLMS_IDENTITY_CATEGORIES``) with the library's own laid over them."""
    own = PatronLoadSettings.objects.filter(library=library).first()
    names = parse_mapping(own.columns) if own else {}
    categories = parse_categories(own.categories) if own else {}
    return Columns(names=attribute_names(DOOR, names), categories=category_map(categories))


# Reading the file --------------------------------------------------------------------------------------------

def read_records(data: bytes, file_format: str) -> tuple[list[Record], set[str]]:
    """The file's records and the column names it has; ``LoadFileError`` when it is not what it says it is."""
    if not data.strip():
        raise LoadFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadFileError(_("This is a spreadsheet workbook, not a CSV or JSON file: save it as CSV (UTF-8) "
                              "and upload that."))
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadFileError(_("This is not a text file: upload a CSV or JSON export."))
    text = _decode(data)
    if file_format == PatronLoadFormat.CSV:
        return _csv_records(text)
    if file_format == PatronLoadFormat.JSON:
        return _json_records(text)
    raise LoadFileError(_("Choose CSV or JSON."))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LoadFileError(
            _("The file is not UTF-8 text (the first character that is not is on line %(line)d): export it as "
              "UTF-8, or in a spreadsheet save it as “CSV UTF-8”.") % {"line": line}) from None


def _csv_records(text: str) -> tuple[list[Record], set[str]]:
    first_line = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=_CSV_DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise LoadFileError(_("The first line must name the columns.")) from exc
    if len([h for h in header if h]) < 1 or first_line.lstrip().startswith(("{", "[")):
        raise LoadFileError(_("The first line must name the columns (this looks like JSON: choose JSON)."))
    records = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header) if name}
            records.append(Record(reader.line_num, values))
    except csv.Error as exc:
        raise LoadFileError(_("The CSV cannot be read at line %(line)d: %(error)s.")
                            % {"line": reader.line_num, "error": exc}) from None
    return records, {h for h in header if h}


_JSON_LISTS = ("patrons", "users", "records", "data", "items", "results")


def _json_records(text: str) -> tuple[list[Record], set[str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        document = _json_lines(text)
        if document is None:
            raise LoadFileError(_("The file is not JSON (line %(line)d, column %(column)d: %(error)s).")
                                % {"line": exc.lineno, "column": exc.colno, "error": exc.msg}) from None
    if isinstance(document, dict):
        lists = [document[k] for k in _JSON_LISTS if isinstance(document.get(k), list)]
        if not lists:
            raise LoadFileError(_("The JSON must be a list of patrons, or an object with the list under one of "
                                  "%(keys)s.") % {"keys": ", ".join(_JSON_LISTS)})
        document = lists[0]
    if not isinstance(document, list):
        raise LoadFileError(_("The JSON must be a list of patrons."))
    records, names = [], set()
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise LoadFileError(_("Record %(number)d of the JSON is not an object with the patron's fields.")
                                % {"number": number})
        values = _flatten(item)
        names.update(values)
        records.append(Record(number, values))
    return records, names


def _json_lines(text: str) -> list | None:
    """JSON Lines (one object a line), or ``None`` when the text is not that either."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError:
            return None
    return items if len(items) > 1 else None


def _flatten(item: Mapping, prefix: str = "") -> dict[str, str]:
    """``{"personal": {"email": …}}`` → ``{"personal.email": …}`` (FOLIO's and Alma's users nest their fields)."""
    out: dict[str, str] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = ";".join(str(v) for v in value if not isinstance(v, dict | list))
        elif value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "yes" if value else "no"
        else:
            out[name] = str(value).strip()
    return out


def check_file(records: list[Record], names: set[str], columns: Columns, match_key: str) -> None:
    """Refuse a file that lacks the match column (``LoadFileError``), before any record is written."""
    wanted = columns.match_names(match_key)
    lowered = {n.lower() for n in names}
    if not any(name.lower() in lowered for name in wanted):
        label = PatronMatchKey(match_key).label.lower()
        raise LoadFileError(
            _("The file has no column for the %(key)s the load matches by (looked for %(wanted)s; the file has "
              "%(found)s). Rename the column, or set its name under the columns of patron loads.")
            % {"key": label, "wanted": ", ".join(wanted) or "—",
               "found": ", ".join(sorted(names)[:20]) or _("no columns")})


# Starting and running a load --------------------------------------------------------------------------------

def max_bytes() -> int:
    return getattr(settings, "ILLMS_PATRON_LOAD_MAX_BYTES", 50 * 1024 * 1024)


def start_load(*, library: Library, upload: UploadedFile, file_format: str, match_key: str,
               create_missing: bool = True, user=None, queue: bool = True) -> PatronLoad:
    """Check ``upload``, store it in the private storage and queue its load; returns the ``PatronLoad``.

    Raises ``LoadFileError`` (nothing stored) for an unknown format or match key, an empty or oversized file,
    one that is not UTF-8 CSV or JSON, or one without the match column.
    """
    if match_key not in PatronMatchKey.values:
        raise LoadFileError(_("Choose whether the load matches patrons by library card or institutional id."))
    if file_format not in PatronLoadFormat.values:
        raise LoadFileError(_("Choose CSV or JSON."))
    if upload is None or not upload.size:
        raise LoadFileError(_("The file is empty."))
    if upload.size > max_bytes():
        raise LoadFileError(_("The file is larger than %(mb)d MB, the most a load takes: split it, or ask for "
                              "ILLMS_PATRON_LOAD_MAX_BYTES to be raised.") % {"mb": max_bytes() // (1024 * 1024)})
    upload.seek(0)
    data = upload.read()
    columns = columns_for(library)
    records, names = read_records(data, file_format)
    check_file(records, names, columns, match_key)
    load = PatronLoad(library=library, started_by=user, file_format=file_format, match_key=match_key,
                      create_missing=create_missing, original_name=(upload.name or "")[:255],
                      columns={k: list(v) for k, v in columns.names.items()}, categories=columns.categories,
                      total=len(records))
    upload.seek(0)
    load.file.save(f"{library.symbol}-{timezone.now():%Y%m%d%H%M%S}.{file_format}", upload, save=False)
    from requests_app.tasks import run_patron_load  # the task calls this module; it is only queued here

    with transaction.atomic():
        load.save()
        if queue:
            transaction.on_commit(lambda: run_patron_load.delay(load.pk))
    return load


def chunk_size() -> int:
    return max(1, getattr(settings, "ILLMS_PATRON_LOAD_CHUNK", 500))


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "ILLMS_PATRON_LOAD_LEASE_SECONDS", 300))


def claim_load(load_id: int) -> str | None:
    """Take the load for this job (waiting, or running with its holder's lease run out); the claim, or ``None``."""
    now = timezone.now()
    token = uuid.uuid4().hex
    taken = PatronLoad.objects.filter(
        Q(status=PatronLoadStatus.PENDING) | Q(status=PatronLoadStatus.RUNNING, lease_until__lt=now),
        pk=load_id,
    ).update(status=PatronLoadStatus.RUNNING, claim=token, lease_until=now + lease())
    if not taken:
        return None
    PatronLoad.objects.filter(pk=load_id, started_at__isnull=True).update(started_at=now)
    return token


def run_load(load_id: int) -> PatronLoad | None:
    """Load the file of ``PatronLoad`` ``load_id`` from where it stands, if no other job holds it.

    Returns the load as it ends, or ``None`` when it was finished, or held by a job whose lease runs.
    """
    token = claim_load(load_id)
    if token is None:
        return None
    load = PatronLoad.objects.select_related("library", "started_by__staff_profile").get(pk=load_id)
    # The report's reasons are worded in the language of whoever started the load.
    with translation.override(starter_language(load.started_by)):
        return _run_load(load, token)


def _run_load(load: PatronLoad, token) -> PatronLoad | None:
    columns = Columns(names={k: tuple(v) for k, v in load.columns.items()} or attribute_names(DOOR),
                      categories=load.categories or category_map())
    try:
        with load.file.open("rb") as handle:
            data = handle.read()
        records, names = read_records(data, load.file_format)
        check_file(records, names, columns, load.match_key)
    except (LoadFileError, OSError) as exc:
        message = exc.message if isinstance(exc, LoadFileError) else _("The stored file cannot be read: %s") % exc
        PatronLoad.objects.filter(pk=load.pk, claim=token).update(
            status=PatronLoadStatus.FAILED, finished_at=timezone.now(), message=message[:2000])
        return PatronLoad.objects.get(pk=load.pk)
    PatronLoad.objects.filter(pk=load.pk, claim=token).update(total=len(records))
    first_lines = _first_lines(records, columns, load.match_key)
    size = chunk_size()
    failures = 0
    while True:
        try:
            with transaction.atomic():
                held = PatronLoad.objects.select_for_update(of=("self",)).select_related("library").filter(
                    pk=load.pk, claim=token, status=PatronLoadStatus.RUNNING).first()
                if held is None:
                    return None  # another job took it over (our lease ran out): it goes on from the saved position
                chunk = records[held.processed:held.processed + size]
                if not chunk:
                    held.status = PatronLoadStatus.DONE
                    held.finished_at = timezone.now()
                    held.claim = ""
                    held.lease_until = None
                    held.save(update_fields=["status", "finished_at", "claim", "lease_until"])
                    return held
                apply_chunk(held, chunk, columns, first_lines)
                failures = 0
        except DatabaseError as exc:
            # Once is a race (a patron signing in with the same card in that instant): the chunk is read again.
            # Twice at the same place is not going to pass: the load stops there and says so, rather than
            # being taken up again and again by the sweep.
            failures += 1
            if failures < 2:
                continue
            logger.exception("Patron load %s stopped", load.pk)
            stopped_at = PatronLoad.objects.filter(pk=load.pk).values_list("processed", flat=True).first() or 0
            PatronLoad.objects.filter(pk=load.pk, claim=token).update(
                status=PatronLoadStatus.FAILED, finished_at=timezone.now(), claim="", lease_until=None,
                message=(_("The load stopped at record %(number)d of %(total)d, which the database refused: "
                           "%(error)s. The records before it are loaded; loading the file again goes through "
                           "them unchanged.") % {"number": stopped_at + 1, "total": len(records),
                                                 "error": exc})[:2000])
            return PatronLoad.objects.get(pk=load.pk)


def _first_lines(records: list[Record], columns: Columns, match_key: str) -> dict[str, int]:
    """Each match key's first line in the file: a later record with the same key is an error, not a second write."""
    wanted = columns.match_names(match_key)
    first: dict[str, int] = {}
    for record in records:
        key = _value(record.values, wanted)
        if key:
            first.setdefault(key, record.line)
    return first


def _value(values: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        if name in values and values[name].strip():
            return values[name].strip()
    lowered = {k.lower(): v for k, v in values.items()}
    for name in names:
        if lowered.get(name.lower(), "").strip():
            return lowered[name.lower()].strip()
    return ""


# One chunk ---------------------------------------------------------------------------------------------------

@dataclass
class _Row:
    record: Record
    key: str
    attributes: IdentityAttributes


@dataclass
class _Chunk:
    load: PatronLoad
    errors: list[PatronLoadError] = field(default_factory=list)
    failed_lines: set[int] = field(default_factory=set)

    def error(self, record: Record, field_name: str, message: str, value: str = "") -> None:
        self.failed_lines.add(record.line)
        self.errors.append(PatronLoadError(load=self.load, line=record.line, field=field_name[:40],
                                           value=value[:200], message=message[:300]))


_PROFILE_FIELDS = ["card_barcode", "institution_id", "category", "department", "expires_on", "blocked",
                   "blocked_reason", "blocked_by_ils", "refreshed_from", "refreshed_at"]
_USER_FIELDS = ["first_name", "last_name", "email"]


def _read(chunk: _Chunk, record: Record, columns: Columns, match_key: str,
          first_lines: dict[str, int]) -> _Row | None:
    match_names = columns.match_names(match_key)
    key = _value(record.values, match_names)
    key_field = "barcode" if match_key == PatronMatchKey.BARCODE else "institution_id"
    if not key:
        chunk.error(record, key_field, _("The %(key)s is missing.") % {"key": PatronMatchKey(match_key).label.lower()})
        return None
    longest = 32 if match_key == PatronMatchKey.BARCODE else 100
    if len(key) > longest:
        chunk.error(record, key_field, _("The %(key)s is longer than %(most)d characters.")
                    % {"key": PatronMatchKey(match_key).label.lower(), "most": longest}, key)
        return None
    if first_lines.get(key, record.line) != record.line:
        chunk.error(record, key_field, _("The same %(key)s is on line %(line)d already; only the first is loaded.")
                    % {"key": PatronMatchKey(match_key).label.lower(), "line": first_lines[key]}, key)
        return None
    try:
        attributes = read_attributes(record.values, door=DOOR, names=columns.names, categories=columns.categories)
    except UnreadableAttribute as exc:
        chunk.error(record, exc.field, str(exc), exc.value)
        return None
    if attributes.affiliations and not attributes.category:
        shown = ", ".join(attributes.affiliations)
        chunk.error(record, "category", _("The category %(value)r is not one we know: map it to one of %(known)s "
                                          "under the columns of patron loads.")
                    % {"value": shown, "known": ", ".join(PatronCategory.values)}, shown)
        return None
    if match_key == PatronMatchKey.BARCODE:
        attributes.barcode = key[:32]
    else:
        attributes.institution_id = key[:100]
    return _Row(record, key, attributes)


def apply_chunk(load: PatronLoad, records: list[Record], columns: Columns, first_lines: dict[str, int]) -> None:
    """Write ``records`` (the next chunk of ``load``, locked by the caller's transaction) and count them on it.

    The queries are the same few whatever the chunk holds: the patrons it names, the cards it would give,
    the user names new patrons would take, then one bulk write of each kind.
    """
    chunk = _Chunk(load)
    rows = [row for record in records if (row := _read(chunk, record, columns, load.match_key, first_lines))]
    by_barcode = load.match_key == PatronMatchKey.BARCODE
    match_field = "card_barcode" if by_barcode else "institution_id"
    profiles = PatronProfile.objects.filter(library=load.library).select_related("user")
    matched: dict[str, list[PatronProfile]] = {}
    for profile in profiles.filter(**{f"{match_field}__in": [row.key for row in rows]}):
        matched.setdefault(getattr(profile, match_field), []).append(profile)
    # Which cards are whose: a record may not give a patron (old or new) a card another patron holds.
    card_holder: dict[str, int | None] = {}
    if by_barcode:
        card_holder = {key: found[0].pk for key, found in matched.items()}
    else:
        wanted_cards = {_card_for(row) for row in rows}
        card_holder = dict(profiles.filter(card_barcode__in=wanted_cards).values_list("card_barcode", "pk"))
    now = timezone.now()
    today = timezone.localdate(now)
    new_rows = [row for row in rows if row.key not in matched]
    usernames = _free_usernames(new_rows) if load.create_missing and new_rows else {}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "stopped": 0}
    changed_profiles: list[PatronProfile] = []
    changed_users = []
    new_users, new_profiles = [], []
    for row in rows:
        found = matched.get(row.key, [])
        if len(found) > 1:
            chunk.error(row.record, match_field, _("%(count)d patrons here have this institutional id: correct them "
                                                   "in the patron records first.") % {"count": len(found)}, row.key)
            continue
        if found:
            _update(chunk, row, found[0], card_holder, counts, changed_profiles, changed_users, now, today)
            continue
        if not load.create_missing:
            counts["skipped"] += 1
            continue
        card = _card_for(row)
        if card in card_holder:
            chunk.error(row.record, "barcode", _("The library card %(card)s is another patron's.") % {"card": card},
                        card)
            continue
        username = usernames.get(row.record.line)
        if not username:
            chunk.error(row.record, "username", _("No free user name could be made for this patron."),
                        row.attributes.username)
            continue
        card_holder[card] = None
        user, profile = _new_patron(load, row, username, card, now)
        new_users.append(user)
        new_profiles.append(profile)
        counts["created"] += 1
        if _stopped(profile, today):
            counts["stopped"] += 1
    User = get_user_model()
    if new_users:
        User.objects.bulk_create(new_users)
        for user, profile in zip(new_users, new_profiles, strict=True):
            profile.user = user
        PatronProfile.objects.bulk_create(new_profiles)
    if changed_profiles:
        PatronProfile.objects.bulk_update(changed_profiles, _PROFILE_FIELDS)
    if changed_users:
        User.objects.bulk_update(changed_users, _USER_FIELDS)
    if chunk.errors and load.failed < MAX_ERRORS:  # each failed record keeps its errors, up to MAX_ERRORS records
        PatronLoadError.objects.bulk_create(chunk.errors)
    load.processed += len(records)
    load.failed += len(chunk.failed_lines)
    for name, value in counts.items():
        setattr(load, name, getattr(load, name) + value)
    load.lease_until = now + lease()
    load.save(update_fields=["processed", "failed", "lease_until", *counts])


def _card_for(row: _Row) -> str:
    """The library card a new patron gets: the file's, else the institutional id (as a sign-in does)."""
    return (row.attributes.barcode or row.attributes.institution_id)[:32]


def _stopped(profile: PatronProfile, today: dt.date) -> bool:
    return profile.blocked or profile.expired(today)


def _update(chunk: _Chunk, row: _Row, profile: PatronProfile, card_holder: dict[str, int | None], counts: dict,
            changed_profiles: list, changed_users: list, now: dt.datetime, today: dt.date) -> None:
    attributes = row.attributes
    wanted: dict[str, object] = {}
    if attributes.barcode and attributes.barcode != profile.card_barcode:
        if attributes.barcode in card_holder and card_holder[attributes.barcode] != profile.pk:
            chunk.error(row.record, "barcode", _("The library card %(card)s is another patron's.")
                        % {"card": attributes.barcode}, attributes.barcode)
            return
        wanted["card_barcode"] = attributes.barcode
    for name in ("institution_id", "category", "department"):
        value = getattr(attributes, name)
        if value and value != getattr(profile, name):
            wanted[name] = value
    if attributes.expires_on is not None and attributes.expires_on != profile.expires_on:
        wanted["expires_on"] = attributes.expires_on
    if attributes.blocked is not None and (attributes.blocked, attributes.blocked_reason) != (
            profile.blocked, profile.blocked_reason):
        wanted["blocked"], wanted["blocked_reason"] = attributes.blocked, attributes.blocked_reason
        wanted["blocked_by_ils"] = False  # the load's word on the block replaces the ILS's
    user = profile.user
    user_changes = {name: getattr(attributes, name) for name in _USER_FIELDS
                    if getattr(attributes, name) and getattr(attributes, name) != getattr(user, name)}
    if not wanted and not user_changes:
        counts["unchanged"] += 1
        return
    was_stopped = _stopped(profile, today)
    if "card_barcode" in wanted:
        card_holder.pop(profile.card_barcode, None)
        card_holder[attributes.barcode] = profile.pk
    for name, value in wanted.items():
        setattr(profile, name, value)
    if wanted:
        profile.refreshed_from, profile.refreshed_at = DOOR, now
        changed_profiles.append(profile)
    if user_changes:
        for name, value in user_changes.items():
            setattr(user, name, value)
        changed_users.append(user)
    counts["updated"] += 1
    if not was_stopped and _stopped(profile, today):
        counts["stopped"] += 1


def _free_usernames(rows: list[_Row]) -> dict[int, str]:
    """A user name for each new patron (by line): the file's, else ``<name>~load``, ``<name>~load2``… (one query)."""
    candidates = {row.record.line: _username_candidates(row) for row in rows}
    every = {c.lower() for names in candidates.values() for c in names}
    taken = set(get_user_model().objects.annotate(lowered=Lower("username")).filter(lowered__in=every)
                .values_list("lowered", flat=True))
    chosen: dict[int, str] = {}
    for line, names in candidates.items():
        for name in names:
            if name.lower() not in taken:
                taken.add(name.lower())
                chosen[line] = name
                break
    return chosen


def _username_candidates(row: _Row) -> list[str]:
    base = (row.attributes.username or row.key).strip()[:140]
    return [base, *(f"{base}~{DOOR}{n if n > 1 else ''}" for n in range(1, 4))]


def _new_patron(load: PatronLoad, row: _Row, username: str, card: str, now: dt.datetime):
    attributes = row.attributes
    user = get_user_model()(username=username, first_name=attributes.first_name, last_name=attributes.last_name,
                            email=attributes.email, password=make_password(None))
    profile = PatronProfile(library=load.library, card_barcode=card, institution_id=attributes.institution_id,
                            category=attributes.category or PatronCategory.PUBLIC, department=attributes.department,
                            expires_on=attributes.expires_on, blocked=bool(attributes.blocked),
                            blocked_reason=attributes.blocked_reason, refreshed_from=DOOR, refreshed_at=now)
    return user, profile


def resume_stalled_loads() -> int:
    """Queue the loads a job should hold and none does (a lost task, a worker that died); how many."""
    from requests_app.tasks import run_patron_load

    now = timezone.now()
    stalled = list(PatronLoad.objects.filter(
        Q(status=PatronLoadStatus.PENDING, created_at__lt=now - dt.timedelta(minutes=2))
        | Q(status=PatronLoadStatus.RUNNING, lease_until__lt=now)).values_list("pk", flat=True)[:100])
    for load_id in stalled:
        run_patron_load.delay(load_id)
    return len(stalled)


def line_label(load: PatronLoad) -> str:
    """What a record's number counts in this load's file: its line (CSV) or its place in the list (JSON)."""
    return _("Line") if load.file_format == PatronLoadFormat.CSV else _("Record")


def error_rows(load: PatronLoad) -> list[list[object]]:
    """The load's errors as rows for a CSV download (line, field, value, error)."""
    return [[error.line, error.field, error.value, error.message]
            for error in keyset_rows(load.errors.all(), 2000, ("line", "pk"))]


def save_columns(*, library: Library, columns: str, categories: str, actor=None) -> PatronLoadSettings:
    """Keep ``library``'s own column names and category values for its next loads (checked by the caller's form)."""
    found, _created = PatronLoadSettings.objects.update_or_create(
        library=library, defaults={"columns": columns, "categories": categories, "updated_by": actor,
                                   "updated_at": timezone.now()})
    return found


# The nightly load ------------------------------------------------------------------------------------------

_DROPPED_FORMATS = {".csv": PatronLoadFormat.CSV, ".txt": PatronLoadFormat.CSV, ".tsv": PatronLoadFormat.CSV,
                    ".json": PatronLoadFormat.JSON, ".jsonl": PatronLoadFormat.JSON}


def load_dropped_files(*, now: dt.datetime | None = None) -> int:
    """Start a load for each file the library's systems left in ``ILLMS_PATRON_LOAD_DROP_DIR/<SYMBOL>/``.

    Each file is first moved into ``loaded/`` beside it (a rename, so a second run at the same time does not
    see it), then loaded as an administrator's upload would be; a bad file becomes a failed load that says
    why, listed with the others. Returns how many files were taken.
    """
    root = getattr(settings, "ILLMS_PATRON_LOAD_DROP_DIR", "")
    if not root:
        return 0
    now = now or timezone.now()
    taken = 0
    for library in Library.objects.filter(is_member=True, active=True).order_by("symbol"):
        folder = Path(root) / library.symbol
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _DROPPED_FORMATS):
            done = folder / "loaded"
            done.mkdir(exist_ok=True)
            target = done / f"{now:%Y%m%d%H%M%S}-{path.name}"
            try:
                path.rename(target)
            except FileNotFoundError:
                continue  # another run took it
            _load_dropped(library, target, _DROPPED_FORMATS[path.suffix.lower()])
            taken += 1
    return taken


def _load_dropped(library: Library, path: Path, file_format: str) -> PatronLoad:
    match_key = getattr(settings, "ILLMS_PATRON_LOAD_DROP_MATCH", PatronMatchKey.BARCODE)
    create = getattr(settings, "ILLMS_PATRON_LOAD_DROP_CREATE", True)
    with path.open("rb") as handle:
        upload = File(handle, name=path.name.split("-", 1)[-1])
        try:
            return start_load(library=library, upload=upload, file_format=file_format, match_key=match_key,
                              create_missing=create)
        except LoadFileError as exc:
            load = PatronLoad(library=library, file_format=file_format, match_key=match_key, create_missing=create,
                              original_name=upload.name[:255], status=PatronLoadStatus.FAILED,
                              message=exc.message[:2000], finished_at=timezone.now())
            handle.seek(0)
            load.file.save(f"{library.symbol}-{timezone.now():%Y%m%d%H%M%S}{path.suffix}", upload, save=False)
            load.save()
            return load
