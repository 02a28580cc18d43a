"""Bulk loading with PostgreSQL ``COPY``: rows are written as text, columns the caller does not give
take the model field's default, so a column added to a model later does not break the generator."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection, models


def _text(value) -> str:
    """One value in COPY's text format (``\\N`` for NULL; tab, newline and backslash escaped)."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date | int | float | Decimal):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, dict | list):
        value = json.dumps(value)
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


class CopyLoader:
    """``COPY`` rows into ``model``'s table: the caller names some columns and gives tuples of values in
    that order (already COPY text, see ``_text``); every other concrete column gets its default."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.columns = list(columns)
        given = set(self.columns)
        self.extra_columns: list[str] = []
        extra_values: list[str] = []
        for field in model._meta.concrete_fields:
            if field.column in given or isinstance(field, models.AutoField) or field.generated:
                continue
            if not field.null and not field.has_default() and not getattr(field, "auto_now", False) \
                    and not getattr(field, "auto_now_add", False) and not field.blank:
                raise ValueError(f"{model.__name__}.{field.name} needs a value: add it to the generator")
            default = field.get_default() if field.has_default() else (None if field.null else "")
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = dt.datetime.now(dt.UTC)
            if isinstance(field, models.JSONField) and default is not None:
                default = json.dumps(default)
            elif isinstance(default, models.Model):
                default = default.pk
            self.extra_columns.append(field.column)
            extra_values.append(_text(default))
        self.suffix = ("\t" + "\t".join(extra_values)) if extra_values else ""

    def copy(self, lines: Iterable[str], chunk_rows: int = 100_000) -> int:
        """``lines`` are tab-joined values of ``columns`` (no newline); returns the number of rows."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns + self.extra_columns)
        sql = f"COPY {table} ({cols}) FROM STDIN"
        total = 0
        buffer: list[str] = []
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for line in lines:
                buffer.append(line + self.suffix)
                if len(buffer) >= chunk_rows:
                    raw.copy_expert(sql, io.StringIO("\n".join(buffer) + "\n"))
                    total += len(buffer)
                    buffer = []
            if buffer:
                raw.copy_expert(sql, io.StringIO("\n".join(buffer) + "\n"))
                total += len(buffer)
        return total


def reset_sequence(model: type[models.Model]) -> None:
    """After ``COPY`` with explicit ids: the next ``save()`` gets an id above them."""
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT MAX({pk}) FROM {table}), 1))",
                       [table, pk])


def next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({model._meta.pk.column}), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]
