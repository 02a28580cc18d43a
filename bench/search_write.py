"""What the staff search costs the intake's writes: the raw insert ceiling with and without the trigram index.

The request's ``search_text`` is a stored generated column (its title, author, journal, … lower-cased) with a GIN
trigram index over it (``requests_app/migrations/0036_request_search.py``). Every request written pays for both.
This measure writes what the intake writes (an id, a request row with a title of the generated data's words and
its event row, one transaction each, psycopg2 alone: ``bare.raw_insert_ceiling``'s work) in three equal rounds:
with the index, with the index dropped, with it rebuilt. The rounds with the index are averaged, so a drift of the
machine during the measure does not fall on one side. The generated column itself stays in every round (dropping
and re-adding a stored column rewrites the table); its share is the expression's evaluation, measured beside it
as a ``SELECT`` of the same expression over as many rows.

The rebuild of the index on the whole table is timed too: what a restore, or a migration that changes the searched
fields, costs at this size.
"""

from __future__ import annotations

import random
import time

from django.db import connection

from . import bare
from .generator import WORDS

INDEX = "request_search_trgm_idx"
TABLE = "requests_app_illrequest"


def _titles(count: int, seed: int = 24) -> list[str]:
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 7))).capitalize() for _ in range(count)]


def _round(*, seconds: float, partner: int, titles: list[str]) -> dict:
    return bare.raw_insert_ceiling(seconds=seconds, partner=partner, titles=titles)


def _index_definition() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s", [TABLE, INDEX])
        row = cursor.fetchone()
    return row[0] if row else None


def _expression_ms_per_row(rows: int) -> float:
    """The generated column's expression evaluated over ``rows`` requests: its share of each row written."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                       "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                       "WHERE d.adrelid = %s::regclass AND a.attname = 'search_text'", [TABLE])
        expression = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM (SELECT * FROM {TABLE} ORDER BY id DESC LIMIT %s) r", [rows])
        counted = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute(f"SELECT sum(length({expression})) FROM (SELECT * FROM {TABLE} ORDER BY id DESC LIMIT %s) r",
                       [rows])
        cursor.fetchone()
        with_expression = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(f"SELECT count(*) FROM (SELECT * FROM {TABLE} ORDER BY id DESC LIMIT %s) r", [rows])
        cursor.fetchone()
        without = time.perf_counter() - started
    return round(max(with_expression - without, 0.0) / max(counted, 1) * 1000, 4)


def measure(*, seconds: float = 6.0) -> dict:
    from requests_app.models import Library

    definition = _index_definition()
    if definition is None:
        return {"skipped": f"no index {INDEX} on {TABLE} (not PostgreSQL, or the migration was not applied)"}
    partner = Library.objects.filter(is_member=False).order_by("pk").values_list("pk", flat=True).first()
    titles = _titles(5000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [TABLE])
        rows = cursor.fetchone()[0]
        if rows < 0:  # never analysed (a new table): count it
            cursor.execute(f"SELECT count(*) FROM {TABLE}")
            rows = cursor.fetchone()[0]
    first = _round(seconds=seconds, partner=partner, titles=titles)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
    try:
        without = _round(seconds=seconds, partner=partner, titles=titles)
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(definition)
            cursor.execute(f"ANALYZE {TABLE}")
        rebuild = time.perf_counter() - started
    second = _round(seconds=seconds, partner=partner, titles=titles)
    # The shares are taken from the rates as reported, so a reader recomputing them from the table gets the same.
    with_index = round((first["per_second"] + second["per_second"]) / 2, 1)
    return {
        "table_rows": rows,
        "with_index": {"rounds": [first, second], "per_second": with_index},
        "without_index": without,
        "cost_share": round(1 - with_index / (without["per_second"] or 1), 3),
        "ms_per_transaction_added": round(1000 / (with_index or 1) - 1000 / (without["per_second"] or 1), 3),
        "generated_column_ms_per_row": _expression_ms_per_row(max(min(rows, 100_000), 1)),
        "index_rebuild_seconds": round(rebuild, 1),
    }
