"""The REST API's list pages straight from ``QuerySet.values()``: a serializer's JSON without a model
instance per row. A bypass of DRF kept for speed.

What it buys: ``make bench``'s *Partner API list (cursor, updated since): share of the constant
endpoint's throughput* (target 0.5, still missed); docs/performance.md, "The API
lists are read from ``values()``", has the figures.

DRF builds a serializer's fields for every request (a deep copy of each declared field), makes a model
instance per row (three with ``select_related``) and walks ``get_attribute`` for every field of every row:
most of a list call. ``RowRepresentation`` reads the same serializer's fields once per process and turns
each ``values()`` row into exactly what ``serializer.data`` would be (``tests/api/test_list_rows.py``
compares the two on every field).

What a serializer field reads is found from its ``source``:

- a concrete column of the model: the column, shown by the field's own ``to_representation``;
- a ``SlugRelatedField`` over a foreign key: the related row's slug column (``library__symbol``);
- anything else (a model property, a ``SerializerMethodField``) must be declared on the serializer as a
  *derived* field: ``row_fields = {"number": (("role", "id"), function)}``, the columns it needs and a
  function of the row. An undeclared one is an error when the plan is built, not a wrong answer. A third
  element, ``ONCE_PER_PAGE``, says the value depends only on those columns (a status's label): it is worked out
  once for each combination on a page, and a lazy translation is made a string then.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from .document_fields import shows_blank_as_null

Row = dict[str, Any]
Derived = tuple[tuple[str, ...], Callable[[Row], Any]] | tuple[tuple[str, ...], Callable[[Row], Any], object]
#: A derived field whose value is the same for the same needed columns: worked out once per page.
ONCE_PER_PAGE = object()


class RowRepresentation:
    """How one serializer class's output is made from ``values()`` rows."""

    def __init__(self, serializer_class: type[serializers.ModelSerializer]) -> None:
        model: type[Model] = serializer_class.Meta.model
        self.key = serializer_class
        derived: dict[str, Derived] = getattr(serializer_class, "row_fields", {})
        columns: list[str] = []
        plan: list[tuple[str, str | None, Callable[[Any], Any] | None, Callable[[Row], Any] | None,
                         tuple[str, ...] | None]] = []

        def need(column: str) -> None:
            if column not in columns:
                columns.append(column)

        for name, field in serializer_class().fields.items():
            if field.write_only:
                continue
            if name in derived:
                needs, function, *once = derived[name]
                for column in needs:
                    need(column)
                plan.append((name, None, None, function, tuple(needs) if once == [ONCE_PER_PAGE] else None))
                continue
            column, show = self._column_of(model, name, field)
            need(column)
            plan.append((name, column, show, None, None))
        self.columns = tuple(columns)
        self._plan = tuple(plan)

    @staticmethod
    def _column_of(model: type[Model], name: str, field: serializers.Field) -> tuple[str, Callable | None]:
        source = field.source
        try:
            model_field = model._meta.get_field(source)
        except FieldDoesNotExist:
            model_field = None
        if model_field is None or not model_field.concrete or "." in source:
            raise ImproperlyConfigured(
                f"{name!r} ({type(field).__name__}, source {source!r}) is not a column of {model.__name__}: "
                f"declare it in the serializer's row_fields.")
        if isinstance(field, serializers.SlugRelatedField):
            return f"{source}__{field.slug_field}", None
        if model_field.is_relation:
            raise ImproperlyConfigured(f"{name!r} is a relation shown by {type(field).__name__}: declare it in "
                                       f"the serializer's row_fields.")
        if isinstance(field, serializers.CharField | serializers.ChoiceField) and isinstance(
                model_field, models.CharField | models.TextField) and not shows_blank_as_null(field):
            # A stored string is shown as itself (CharField: ``str(value)``; ChoiceField: the same value).
            return source, None
        if (type(field) is serializers.DateTimeField and getattr(field, "format", api_settings.DATETIME_FORMAT)
                == ISO_8601 and getattr(field, "timezone", None) is None):
            return source, DATETIME
        return source, field.to_representation

    def __call__(self, rows: Iterable[Row]) -> list[dict[str, Any]]:
        plan = self._plan
        zone = timezone.get_current_timezone()  # what DateTimeField.enforce_timezone asks for every value
        out = []
        known: dict[tuple, Any] = {}  # the ONCE_PER_PAGE values of this page, by field and needed columns
        for row in rows:
            item = {}
            for name, column, show, function, once in plan:
                if once is not None:
                    key = (name, *[row[c] for c in once])
                    value = known.get(key, known)
                    if value is known:
                        value = function(row)
                        known[key] = value = str(value) if isinstance(value, Promise) else value
                    item[name] = value
                    continue
                if function is not None:
                    item[name] = function(row)
                    continue
                value = row[column]
                if value is None or show is None:
                    item[name] = value
                elif show is DATETIME:
                    item[name] = _iso_datetime(value, zone)
                else:
                    item[name] = show(value)
            out.append(item)
        return out

    def values(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` reading just the columns the representation needs."""
        return queryset.values(*self.columns)


#: Marks an ISO 8601 ``DateTimeField``: shown by ``_iso_datetime`` with the time zone looked up once per page.
DATETIME = object()


def _iso_datetime(value: dt.datetime, zone: dt.tzinfo) -> str:
    """``DateTimeField.to_representation`` for a stored (aware) date-time: local time, ISO 8601, ``Z`` for UTC."""
    text = (value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@functools.cache
def row_representation(serializer_class: type[serializers.ModelSerializer]) -> RowRepresentation:
    """The (cached) row representation of ``serializer_class``: built once per process."""
    return RowRepresentation(serializer_class)
