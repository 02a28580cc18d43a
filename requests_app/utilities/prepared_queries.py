"""A ``values()`` query's SQL compiled by the ORM once per shape and run with each call's values: a bypass of
the ORM's query building kept for speed.

What it buys: ``make bench``'s *Partner API list (cursor, updated since): share of the framework-free list's
throughput* (target 0.5); docs/performance.md, "The request list's query is compiled once per shape", has the
figures. One caller uses it, the REST API's request list (``partners/api/views.py``); the rest of the project
builds its queries with the ORM.

A list call built its query from scratch: the caller's scope, each filter (``filter()``, ``add_q``, the joins),
``values()``, the cursor's ordering, position and slice, then the compiler wrote the SQL. For the same *shape*
(which filters are given, which way the cursor runs, the page's size and offset) the SQL is the same every
time; only the values change (the partner, the date, the cursor's position). So :class:`PreparedValues`
builds the query once per shape with stand-in values (*sentinels*: a number, string or date-time no caller
sends), lets the ORM compile it, finds where each sentinel went among the statement's parameters, and keeps
the SQL, those places and the columns' converters. A later call of the same shape substitutes its values and
runs the statement through Django's cursor (so it is logged, counted and wrapped like any query).

It stays the ORM's own SQL, so it follows the models. What cannot be prepared this way is run through the ORM
instead, with the same result:

- a value that is not a whole number, a string or an aware date-time (``None`` changes the SQL itself, a
  boolean or a list could be confused with the statement's constants);
- a sentinel that does not come out of the compiler unchanged (a lookup that rewrites its value, such as
  ``icontains``; a backend that writes date-times as text, such as SQLite), or does not come out at all;
- a compiler whose rows are not exactly the ``values()`` columns.

``tests/requests_app/test_prepared_queries.py`` compares the rows with the ORM's for each shape the request
list has, on SQLite (where it falls back) and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP

Row = dict[str, Any]
#: ``build(values)`` → the ``values()`` queryset of a shape, for the named ``values``.
Builder = Callable[[Mapping[str, Any]], QuerySet]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Per parameter of ``sql``: the name of the value that goes there, or ``None`` for a constant.
    slots: tuple[str | None, ...]
    constants: tuple[Any, ...]
    names: tuple[str, ...]
    #: Per column position: the converters the ORM applies (``compiler.get_converters``).
    converters: tuple[tuple[int, tuple[tuple[Callable, ...], Any]], ...]


_UNPREPARABLE = object()
_counter = itertools.count(1)


def _prepared_type(value: Any) -> bool:
    """Whether ``value`` is of a type a statement is prepared for (a whole number, a string, an aware date-time)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | str) or (isinstance(value, dt.datetime) and value.tzinfo is not None)


def _sentinel(value: Any) -> Any:
    """A stand-in of ``value``'s (prepared) type that no caller sends."""
    n = next(_counter)
    if isinstance(value, int):
        return -(7_300_000_000_000_000 + n)
    if isinstance(value, str):
        return f"\x1eillms-prepared-{n}\x1e"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return dt.datetime(1, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=n)
    raise TypeError(f"no sentinel for {type(value).__name__}")


class Shapes:
    """The compiled statements of one query family, by shape; bounded, shared by the threads of a process."""

    def __init__(self, most: int = 512) -> None:
        self.most = most
        self._compiled: dict[Hashable, _Compiled | object] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> _Compiled | object | None:
        return self._compiled.get(key)

    def put(self, key: Hashable, compiled: _Compiled | object) -> None:
        with self._lock:
            if len(self._compiled) >= self.most:
                self._compiled.clear()
            self._compiled[key] = compiled

    def clear(self) -> None:
        with self._lock:
            self._compiled.clear()


class PreparedValues:
    """The rows of ``build(values)``, with what a paginator asks of a queryset: ``order_by``, ``filter`` with
    keyword lookups on the model's own fields, a slice, iteration (rows as ``values()`` dicts).

    ``shape`` names what, besides ``values``, makes the SQL differ (e.g. which filters are given); calls with
    the same ``shape`` and operations share one compiled statement in ``shapes``. With ``prepare=False`` (a
    value whose SQL the sentinels would not show, such as one a filter reads as "is null") it is run through
    the ORM.
    """

    def __init__(self, *, model: type[Model], shapes: Shapes, shape: Hashable, build: Builder,
                 values: Mapping[str, Any], prepare: bool = True) -> None:
        self.model = model
        self._prepare = prepare
        self._shapes = shapes
        self._shape = shape
        self._build = build
        self._values = dict(values)
        self._ordering: tuple[str, ...] | None = None
        self._lookups: tuple[str, ...] = ()
        self._slice: tuple[int | None, int | None] = (None, None)
        self._rows: list[Row] | None = None

    def _copy(self) -> PreparedValues:
        other = PreparedValues(model=self.model, shapes=self._shapes, shape=self._shape, build=self._build,
                               values=self._values, prepare=self._prepare)
        other._ordering, other._lookups, other._slice = self._ordering, self._lookups, self._slice
        return other

    # What a paginator calls --------------------------------------------------------------------------------

    def order_by(self, *fields: str) -> PreparedValues:
        other = self._copy()
        other._ordering = tuple(fields)
        return other

    def filter(self, **lookups: Any) -> PreparedValues:
        """Each value is made what the ORM would make of it for its field (a cursor's position, a string,
        becomes a date-time): a value the field refuses raises the ORM's ``ValidationError`` here."""
        other = self._copy()
        for lookup, value in lookups.items():
            field = self._field_of(lookup)
            other._values[f"where:{lookup}"] = field.get_prep_value(value)
            other._lookups = (*other._lookups, lookup)
        return other

    def __getitem__(self, bounds: slice) -> PreparedValues:
        if not isinstance(bounds, slice) or bounds.step is not None or self._slice != (None, None):
            raise TypeError("a prepared query takes one slice without a step")
        other = self._copy()
        other._slice = (bounds.start, bounds.stop)
        return other

    def __iter__(self) -> Iterator[Row]:
        return iter(self._fetch())

    def __len__(self) -> int:
        return len(self._fetch())

    # ---------------------------------------------------------------------------------------------------------

    def _field_of(self, lookup: str):
        name = lookup.split(LOOKUP_SEP, 1)[0]
        try:
            return self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)
        except FieldDoesNotExist:
            raise TypeError(f"{lookup!r} is not a lookup on a field of {self.model.__name__}") from None

    def queryset(self, values: Mapping[str, Any] | None = None) -> QuerySet:
        """The ORM's queryset of these operations, for ``values`` (this call's own by default)."""
        values = self._values if values is None else values
        queryset = self._build(values)
        if self._ordering is not None:
            queryset = queryset.order_by(*self._ordering)
        for lookup in self._lookups:
            queryset = queryset.filter(**{lookup: values[f"where:{lookup}"]})
        start, stop = self._slice
        if start is not None or stop is not None:
            queryset = queryset[start:stop]
        return queryset

    def _fetch(self) -> list[Row]:
        if self._rows is not None:
            return self._rows
        if not self._prepare:
            self._rows = list(self.queryset())
            return self._rows
        using = router.db_for_read(self.model)
        connection = connections[using]
        key = (using, connection.vendor, self._shape, self._ordering, self._lookups, self._slice)
        if not self._preparable(self._values):  # this call through the ORM; the shape may still prepare later
            self._rows = list(self.queryset())
            return self._rows
        compiled = self._shapes.get(key)
        if compiled is None:
            compiled = self._compile(using)
            self._shapes.put(key, compiled)
        if compiled is _UNPREPARABLE:
            self._rows = list(self.queryset())
            return self._rows
        values = self._values
        params = [constant if slot is None else values[slot]
                  for slot, constant in zip(compiled.slots, compiled.constants, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        names, converters = compiled.names, compiled.converters
        rows = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            rows.append(dict(zip(names, row, strict=True)))
        self._rows = rows
        return rows

    @staticmethod
    def _preparable(values: Mapping[str, Any]) -> bool:
        return all(_prepared_type(value) for value in values.values())

    def _compile(self, using: str) -> _Compiled | object:
        sentinels = {name: _sentinel(value) for name, value in self._values.items()}
        queryset = self.queryset(sentinels)
        query = queryset.query
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        if not names or compiler.has_extra_select or compiler.col_count != len(names):
            return _UNPREPARABLE
        by_value = {(type(s), s): name for name, s in sentinels.items()}
        slots = tuple(by_value.get((type(p), p)) if isinstance(p, int | str | dt.datetime) else None
                      for p in params)
        if set(slots) - {None} != set(sentinels):
            return _UNPREPARABLE  # a value was rewritten by its lookup or the backend, or not used at all
        constants = tuple(None if slot is not None else p for slot, p in zip(slots, params, strict=True))
        converters = compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]])
        return _Compiled(sql=sql, slots=slots, constants=constants, names=names,
                         converters=tuple(converters.items()))
