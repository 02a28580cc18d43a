"""Framework-free reference doors: the partner list and create as plain WSGI on psycopg2, for ceilings.

``gunicorn bench.bare:application`` serves, beside nothing else:

- ``GET /bare/requests/?updated_since=…&page_size=50[&after=<updated_at>,<id>]``: the same rows the partner
  API's list reads (the same columns, the same filter and keyset order, the query compiled by the ORM once at
  start-up), behind the same key check (the key's prefix looked up with its library, kept per process for
  ILLMS_API_KEY_CACHE_SECONDS, its SHA-256 compared), as JSON with a ``next`` link;
- ``POST /bare/requests/``: the same key check, the JSON body read and its required fields checked, an id taken
  from the sequence, the request row and its first event row written in one transaction (the INSERTs compiled by
  the ORM once at start-up, every column the model writes), ``201`` with the new id;
- ``GET /bare/constant/``: a constant, as ``/bench/constant/`` answers it through Django and DRF.

What they leave out of our doors: Django's request and response objects and middleware, DRF's parsing,
content negotiation, throttling and serializers, the workflow's validation and its signals. A ratio of one of
our doors to its bare twin, measured in the same run on the same server settings, says what those cost on this
machine; no implementation of our door can reach 1.0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from urllib.parse import parse_qs, urlencode

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection as django_connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.db.models.sql import InsertQuery  # noqa: E402
from django.utils import timezone  # noqa: E402

from lending.states import LendingStatus  # noqa: E402
from requests_app.models import (  # noqa: E402
    Event,
    IllRequest,
    InboundMessage,
    InboundState,
    Library,
    PartnerApiKey,
    Role,
)
from requests_app.partners.api.rows_from_values import row_representation  # noqa: E402
from requests_app.partners.api.serializers import PartnerRequestSerializer  # noqa: E402
from requests_app.partners.keys import API_KEY_PREFIX  # noqa: E402
from requests_app.selectors import partner_requests  # noqa: E402

_PARTNER = 987_654_321
_SINCE = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
_AFTER_AT = dt.datetime(1902, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
_AFTER_ID = 876_543_210
_LIBRARY = 765_432_109
PAGE_SIZE = 50  # the page the benchmark asks for (the ORM writes LIMIT into the SQL, not as a parameter)
_LIMIT = PAGE_SIZE + 1
REQUIRED = ("supplying_library", "requesting_agency_request_id", "service_type", "format", "title")


def _compiled(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _substitute(params: list, values: dict) -> list:
    return [values.get(_key(p), p) for p in params]


def _key(value):
    return ("dt", value) if isinstance(value, dt.datetime) else ("v", value)


def _list_queries() -> tuple[tuple[str, list], tuple[str, list]]:
    """The partner list's query (first page, and a page after a position), compiled once by the ORM."""
    representation = row_representation(PartnerRequestSerializer)
    scope = partner_requests(partner=Library(pk=_PARTNER)).filter(updated_at__gte=_SINCE)
    first = representation.values(scope.order_by("-updated_at", "-pk"))[:_LIMIT]
    after = representation.values(scope.filter(Q(updated_at__lt=_AFTER_AT) | Q(updated_at=_AFTER_AT,
                                                                                pk__lt=_AFTER_ID))
                                  .order_by("-updated_at", "-pk"))[:_LIMIT]
    return _compiled(first), _compiled(after)


def _insert(model, instance, returning: bool = False) -> tuple[str, list]:
    # Every column the model writes: not a generated one (the database computes it), nor an id left to it.
    fields = [f for f in model._meta.concrete_fields
              if not getattr(f, "generated", False) and not (f.primary_key and getattr(instance, f.attname) is None)]
    query = InsertQuery(model)
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(connection=django_connection)
    compiler.returning_fields = None
    (sql, params), = compiler.as_sql()
    return sql, list(params)


_STATE: dict = {}
_lock = threading.Lock()


def _prepare() -> dict:
    with _lock:
        if _STATE:
            return _STATE
        sample = IllRequest(pk=_AFTER_ID, role=Role.LENDING, library=Library(pk=_LIBRARY),
                            partner=Library(pk=_PARTNER),
                            status=LendingStatus.NEW, requesting_agency_request_id="bare-rid", title="bare-title",
                            service_type="Loan", format="book", supplying_agency_request_id="bare-sid",
                            created_at=_SINCE, updated_at=_SINCE)
        event = Event(request_id=_AFTER_ID, action="create", from_status="", to_status=LendingStatus.NEW,
                      actor_kind="partner",
                      actor_library_id=_PARTNER, actor_name="bare", source="api", note="", data={},
                      created_at=_SINCE)
        db = settings.DATABASES["default"]
        _STATE.update(
            lists=_list_queries(),
            insert_request=_insert(IllRequest, sample),
            insert_event=_insert(Event, event),
            sequence=f"SELECT nextval(pg_get_serial_sequence('{IllRequest._meta.db_table}', 'id'))",
            key_sql=(f"SELECT k.key_hash, k.library_id, l.active, k.revoked_at, k.expires_at "
                     f"FROM {PartnerApiKey._meta.db_table} k JOIN {Library._meta.db_table} l ON l.id = k.library_id "
                     f"WHERE k.prefix = %s"),
            members={lib.symbol: lib.pk for lib in Library.objects.filter(is_member=True).only("pk", "symbol")},
            dsn={"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
                 "host": db.get("HOST") or None, "port": db.get("PORT") or None},
            cache_seconds=float(getattr(settings, "ILLMS_API_KEY_CACHE_SECONDS", 30)),
        )
        return _STATE


_local = threading.local()
_keys: dict[str, tuple[float, tuple | None]] = {}


def _db():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg2.connect(**{k: v for k, v in _prepare()["dsn"].items() if v})
    return conn


def _partner(environ) -> int | None:
    """The calling partner's library id from ``Authorization: Bearer illms_<prefix>_<secret>``, or ``None``."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    parts = raw.strip().split("_", 2)
    if scheme.lower() != "bearer" or len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    state, now = _prepare(), time.monotonic()
    cached = _keys.get(parts[1])
    if cached is None or cached[0] < now:
        with _db().cursor() as cursor:
            cursor.execute(state["key_sql"], [parts[1]])
            row = cursor.fetchone()
        _db().rollback()
        cached = _keys[parts[1]] = (now + state["cache_seconds"], row)
    row = cached[1]
    if row is None:
        return None
    key_hash, library_id, active, revoked_at, expires_at = row
    if not active or revoked_at is not None or (expires_at is not None and expires_at <= timezone.now()):
        return None
    if not hmac.compare_digest(key_hash, hashlib.sha256(raw.strip().encode()).hexdigest()):
        return None
    return library_id


def _answer(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _list(environ, start_response, partner: int) -> list[bytes]:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        since = dt.datetime.fromisoformat(query["updated_since"][0].replace("Z", "+00:00"))
        size = int(query.get("page_size", [str(PAGE_SIZE)])[0])
        if size != PAGE_SIZE:
            raise ValueError("this reference serves pages of PAGE_SIZE only")
        after = query.get("after", [""])[0]
        after_at, after_id = (dt.datetime.fromisoformat(after.split(",")[0]), int(after.split(",")[1])) \
            if after else (None, None)
    except (KeyError, ValueError, IndexError):
        return _answer(start_response, "400 Bad Request", {"message": "bad parameters"})
    (first_sql, first_params), (after_sql, after_params) = _prepare()["lists"]
    values = {_key(_PARTNER): partner, _key(_SINCE): since}
    if after:
        sql, params = after_sql, _substitute(after_params, {**values, _key(_AFTER_AT): after_at,
                                                            _key(_AFTER_ID): after_id})
    else:
        sql, params = first_sql, _substitute(first_params, values)
    conn = _db()
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    conn.rollback()
    following = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        following = "/bare/requests/?" + urlencode({"updated_since": query["updated_since"][0], "page_size": size,
                                                   "after": f"{last['updated_at'].isoformat()},{last['id']}"})
    return _answer(start_response, "200 OK", {"next": following, "results": rows})


def _create(environ, start_response, partner: int) -> list[bytes]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
    except (ValueError, json.JSONDecodeError):
        return _answer(start_response, "400 Bad Request", {"message": "the body is not JSON"})
    missing = missing_fields(body)
    library = member_id(body.get("supplying_library"))
    if missing or library is None:
        return _answer(start_response, "400 Bad Request", {"missing": missing})
    conn = _db()
    with conn.cursor() as cursor:
        new_id = write_request(cursor, partner=partner, library=library, body=body)
    conn.commit()
    return _answer(start_response, "201 Created", {"id": new_id, "number": f"L-{new_id}"})


def write_request(cursor, *, partner: int, library: int, body: dict) -> int:
    """The create's writes, on ``cursor`` (psycopg2's, or Django's) in the caller's transaction: an id from the
    sequence, the request row and its first event row, with the statements compiled once. Returns the new id."""
    state, now = _prepare(), timezone.now()
    cursor.execute(state["sequence"])
    new_id = cursor.fetchone()[0]
    request_sql, request_params = state["insert_request"]
    cursor.execute(request_sql, _substitute(request_params, {
        _key(_AFTER_ID): new_id, _key(_PARTNER): partner, _key(_LIBRARY): library, _key(_SINCE): now,
        _key("bare-rid"): body["requesting_agency_request_id"], _key("bare-title"): body["title"],
        _key("bare-sid"): f"{body['supplying_library']}-{new_id}"}))
    event_sql, event_params = state["insert_event"]
    cursor.execute(event_sql, _substitute(event_params, {_key(_AFTER_ID): new_id, _key(_PARTNER): partner,
                                                         _key(_SINCE): now}))
    return new_id


_INBOUND: dict = {}


def _inbound_insert() -> tuple[str, list, int]:
    """The INSERT of a stored ISO 18626 message, every column the intake writes, compiled once by the ORM; and
    the position of its payload's parameter."""
    with _lock:
        if not _INBOUND:
            sample = InboundMessage(sender=Library(pk=_PARTNER), member=Library(pk=_LIBRARY), fingerprint="bare-fp",
                                    kind="request", summary="request", confirmation={"messageStatus": "OK"},
                                    repairs=[], received_at=_SINCE, state=InboundState.PENDING, source="iso18626",
                                    thread="bare-thread", payload="bare-payload", api_key_prefix="bare-key")
            sql, params = _insert(InboundMessage, sample)
            payload = next(n for n, param in enumerate(params) if getattr(param, "adapted", None) == "bare-payload")
            _INBOUND.update(sql=sql, params=params, payload=payload)
    return _INBOUND["sql"], _INBOUND["params"], _INBOUND["payload"]


def store_message(cursor, *, sender: int, member: int, key_prefix: str, payload: str, thread: str) -> None:
    """The acknowledged intake's one write, on ``cursor``: a pending inbound message (``payload`` as its JSON),
    with the statement compiled once."""
    sql, params, at = _inbound_insert()
    values = _substitute(params, {_key(_PARTNER): sender, _key(_LIBRARY): member, _key("bare-fp"): uuid.uuid4().hex,
                                  _key(_SINCE): timezone.now(), _key("bare-thread"): thread,
                                  _key("bare-key"): key_prefix})
    values[at] = type(params[at])(payload)
    cursor.execute(sql, values)


def missing_fields(body: dict) -> list[str]:
    """The required fields ``body`` lacks (or sends blank), as the bare create checks them."""
    return [name for name in REQUIRED if not isinstance(body.get(name), str) or not body[name].strip()]


def member_id(symbol) -> int | None:
    """The member library's id for ``symbol``, from the map read once at start-up."""
    return _prepare()["members"].get(symbol)


def application(environ, start_response):
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    if path == "/healthz" or path == "/bare/constant/":
        return _answer(start_response, "200 OK", {"status": "ok"})
    if path != "/bare/requests/":
        return _answer(start_response, "404 Not Found", {"message": "not found"})
    partner = _partner(environ)
    if partner is None:
        return _answer(start_response, "401 Unauthorized", {"message": "a valid key is needed"})
    if method == "GET":
        return _list(environ, start_response, partner)
    if method == "POST":
        return _create(environ, start_response, partner)
    return _answer(start_response, "405 Method Not Allowed", {"message": "GET or POST"})


def raw_insert_ceiling(*, seconds: float, partner: int, titles: list[str] | None = None) -> dict:
    """The intake's own writes with nothing around them: an id, a request row and its event row per transaction,
    psycopg2 in this process, as fast as it goes for ``seconds``. ``titles``: the requests' titles in turn (default:
    one title for all)."""
    titles = titles or ["Raw insert ceiling"]
    state = _prepare()
    symbol, member = next(iter(state["members"].items()))
    conn = psycopg2.connect(**{k: v for k, v in state["dsn"].items() if v})
    request_sql, request_params = state["insert_request"]
    event_sql, event_params = state["insert_event"]
    done, started = 0, time.perf_counter()
    try:
        while time.perf_counter() - started < seconds:
            now = timezone.now()
            with conn.cursor() as cursor:
                cursor.execute(state["sequence"])
                new_id = cursor.fetchone()[0]
                cursor.execute(request_sql, _substitute(request_params, {
                    _key(_AFTER_ID): new_id, _key(_PARTNER): partner, _key(_LIBRARY): member, _key(_SINCE): now,
                    _key("bare-rid"): uuid.uuid4().hex, _key("bare-title"): titles[done % len(titles)],
                    _key("bare-sid"): f"{symbol}-{new_id}"}))
                cursor.execute(event_sql, _substitute(event_params, {
                    _key(_AFTER_ID): new_id, _key(_PARTNER): partner, _key(_SINCE): now}))
            conn.commit()
            done += 1
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    return {"transactions": done, "per_second": round(done / elapsed, 1)}
