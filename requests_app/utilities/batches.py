"""Reading many rows a batch at a time by keyset, each batch its own short query.

A server-side cursor (``QuerySet.iterator`` on PostgreSQL) keeps a cursor open across commits, which a
transaction-pooling pgbouncer cannot carry (docs/deployment.md), and with server-side cursors disabled
``iterator`` reads every row at once. A keyset batch works the same behind any pooler: ``WHERE (key) > (last
key seen) ORDER BY key LIMIT n``, answered from the key's index however far the job has gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db.models import Model, Q, QuerySet


def _after(fields: Sequence[str], values: Sequence[object]) -> Q:
    """Rows strictly after ``values`` in the order of ``fields`` (ascending)."""
    first, *rest = fields
    later = Q(**{f"{first}__gt": values[0]})
    if not rest:
        return later
    return later | (Q(**{first: values[0]}) & _after(rest, values[1:]))


def keyset_batches(queryset: QuerySet, size: int, order: Sequence[str] = ("pk",)) -> Iterator[list[Model]]:
    """``queryset``'s rows in lists of at most ``size``, in the ascending order of ``order`` (the last field
    unique, such as ``pk``); each list is one query, so rows written between batches are never read twice.

    Rows the caller changes so that they leave the queryset's filter are simply not met again; rows that enter it
    behind the position already read are left for the next run.
    """
    if size < 1:
        raise ValueError("a batch holds at least one row")
    ordered = queryset.order_by(*order)
    last: list[object] | None = None
    while True:
        batch = list((ordered.filter(_after(order, last)) if last is not None else ordered)[:size])
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        last = [batch[-1].pk if field == "pk" else getattr(batch[-1], field) for field in order]


def keyset_rows(queryset: QuerySet, size: int, order: Sequence[str] = ("pk",)) -> Iterator[Model]:
    """The rows of :func:`keyset_batches` one by one."""
    for batch in keyset_batches(queryset, size, order):
        yield from batch
