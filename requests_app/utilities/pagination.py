"""Keyset ("cursor") pagination for staff lists: the cost of a page does not grow with its depth.

Offset pagination makes the database read and throw away every row before the page, and
counts the whole list; on a queue of a million requests the hundredth page is slow. A keyset
page asks for "the next 50 rows after this one" in the list's order, which an index answers
directly. The cursor names the last (or first) row's sort values and its primary key, signed
so that a tampered cursor is simply ignored (the first page is shown).

Nullable sort fields (a need-by date, the lender of a request not yet sent) sort through
``Coalesce`` to a sentinel, so rows without a value come last in either direction.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

_SALT = "illms.keyset"
_MIN_DATE, _MAX_DATE = dt.date(1, 1, 1), dt.date(9999, 12, 31)
_MIN_DT = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_MAX_DT = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _resolve(model: type[models.Model], path: str) -> tuple[models.Field, bool]:
    """The field at the end of ``path`` and whether the value may be NULL (a nullable hop counts)."""
    nullable = False
    current = model
    parts = path.split("__")
    for index, part in enumerate(parts):
        found = current._meta.get_field(part)
        nullable = nullable or getattr(found, "null", False)
        if index < len(parts) - 1:
            current = found.related_model
    return found, nullable


def _sentinel(found: models.Field, descending: bool) -> Any:
    """A value sorting after every real one in the given direction."""
    if isinstance(found, models.DateTimeField):
        return _MIN_DT if descending else _MAX_DT
    if isinstance(found, models.DateField):
        return _MIN_DATE if descending else _MAX_DATE
    if isinstance(found, models.IntegerField | models.DecimalField | models.FloatField):
        return -(10 ** 15) if descending else 10 ** 15
    return "" if descending else "\U0010ffff"


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()  # full precision: a truncated timestamp would skip or repeat rows
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def keyset_page(queryset: QuerySet, *, ordering: list[str], cursor: str | None, size: int) -> KeysetPage:
    """One page of ``queryset`` in ``ordering`` (e.g. ``["-updated_at"]``; the primary key breaks ties).

    ``cursor`` comes from a previous page's ``next_cursor``/``previous_cursor``; an unreadable
    one gives the first page. Two queries at most, whatever the depth.
    """
    model = queryset.model
    keys: list[tuple[str, bool, Any]] = []  # (annotation, descending, output field)
    annotations = {}
    for index, spec in enumerate([*ordering, "-pk" if ordering and ordering[0].startswith("-") else "pk"]):
        descending, path = spec.startswith("-"), spec.lstrip("-")
        path = model._meta.pk.name if path == "pk" else path
        found, nullable = _resolve(model, path)
        name = f"_key{index}"
        expression = F(path)
        if nullable:
            expression = Coalesce(F(path), Value(_sentinel(found, descending), output_field=found),
                                  output_field=found)
        annotations[name] = expression
        keys.append((name, descending, found))
    queryset = queryset.annotate(**annotations)

    direction, values = _read(cursor, len(keys))
    backwards = direction == "before"
    order = [(f"{name}" if desc == backwards else f"-{name}") for name, desc, _ in keys]
    if values is not None:
        queryset = queryset.filter(_after(keys, values, backwards))
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = KeysetPage(rows=rows)
    if rows:
        last, first = _values(rows[-1], keys), _values(rows[0], keys)
        if (more and not backwards) or (backwards and values is not None):
            page.next_cursor = _write("after", last)
        if (values is not None and not backwards) or (backwards and more):
            page.previous_cursor = _write("before", first)
    return page


def _values(row: Any, keys) -> list[Any]:
    return [_encode(getattr(row, name)) for name, _, _ in keys]


def _after(keys, values: list[Any], backwards: bool) -> Q:
    """Rows strictly after ``values`` in the list's order (before them when ``backwards``)."""
    condition = Q()
    for index, (name, descending, found) in enumerate(keys):
        value = found.to_python(values[index]) if values[index] is not None else None
        lookup = "lt" if descending != backwards else "gt"
        step = Q(**{f"{name}__{lookup}": value})
        for position, (earlier_name, _, earlier_field) in enumerate(keys[:index]):
            earlier = values[position]
            step &= Q(**{earlier_name: earlier_field.to_python(earlier) if earlier is not None else None})
        condition |= step
    return condition


def _write(direction: str, values: list[Any]) -> str:
    return signing.dumps([direction, values], salt=_SALT, compress=True)


def _read(cursor: str | None, length: int) -> tuple[str, list[Any] | None]:
    if not cursor:
        return "after", None
    try:
        direction, values = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return "after", None
    if direction not in ("after", "before") or not isinstance(values, list) or len(values) != length:
        return "after", None
    return direction, values
