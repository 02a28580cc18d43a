"""Whole-row ``SELECT`` statements for the hottest paths, compiled once per database backend: a bypass of
the ORM's query compiler kept for speed.

What it buys: ``make bench``'s *ISO 18626 intake, one worker (msg/s)* (target 200, still missed) and the
partner API's authentication (*the same constant behind the partner API's authentication*, reported
beside the constant endpoint); docs/performance.md, "The key and its library by a statement written
once" and "ISO 18626 intake: the directory query is written out once", has the figures. Two statements
use it: ``PartnerApiKey.objects.by_prefix_with_library()`` and the handler's ``find_parties``; the rest of
the project uses the ORM.

On every partner API call and every ISO 18626 message, the ORM compiled the same query again: the
key and its library (45 columns), the sender and the member library (35 columns). Compiling cost
more than the database took to answer. A :class:`RowsStatement` names the models it reads and the
rest of the statement; the column list and each column's converters (what the ORM would apply,
e.g. SQLite's dates) are made from the models' fields the first time a backend runs it, so they
follow the models, and the rows come back as model instances (``Model.from_db``). Tests compare its
rows with the ORM's, field by field, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import connections
from django.db.models import Model


class RowsStatement:
    """``SELECT <every column of each model> FROM <tail>``; each row read back as one instance per model.

    ``models`` pairs each model with the alias its table has in ``tail``; ``tail`` receives the
    backend's quoting function and returns the statement after ``FROM`` (tables, joins, conditions,
    order), with ``%s`` placeholders for the parameters.
    """

    def __init__(self, models: Sequence[tuple[str, type[Model]]], tail: Callable[[Callable[[str], str]], str]):
        self.models = tuple(models)
        self.tail = tail
        self._compiled: dict[str, tuple[str, list[list[tuple]]]] = {}
        self._attnames = [[f.attname for f in model._meta.concrete_fields] for _alias, model in self.models]

    def _compile(self, connection) -> tuple[str, list[list[tuple]]]:
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            quote = connection.ops.quote_name
            columns, converters = [], []
            for alias, model in self.models:
                for field in model._meta.concrete_fields:
                    columns.append(f"{alias}.{quote(field.column)}")
                    expression = field.get_col(model._meta.db_table)
                    converters.append([(converter, expression) for converter in (
                        connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))])
            sql = f"SELECT {', '.join(columns)} FROM {self.tail(quote)}"
            compiled = self._compiled[connection.vendor] = (sql, converters)
        return compiled

    def fetch(self, params: Sequence, *, using: str = "default") -> list[tuple[Model, ...]]:
        """The rows ``params`` select, each as a tuple of instances in the order of ``models``."""
        connection = connections[using]
        sql, converters = self._compile(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        result = []
        for row in rows:
            values = []
            for value, field_converters in zip(row, converters, strict=True):
                for converter, expression in field_converters:
                    value = converter(value, expression, connection)
                values.append(value)
            instances, start = [], 0
            for (_alias, model), attnames in zip(self.models, self._attnames, strict=True):
                instances.append(model.from_db(using, attnames, values[start:start + len(attnames)]))
                start += len(attnames)
            result.append(tuple(instances))
        return result
