"""Percentiles computed by the database, portable across PostgreSQL and SQLite.

PostgreSQL has ``percentile_cont``; SQLite has nothing of the kind. Window functions work
on both: number the rows of each group in order of the value, count the group, and keep
only the one or two rows around each wanted position. The database returns at most two
rows per group and fraction, whatever the number of rows; Python only interpolates
between those two, exactly as ``percentile_cont`` does (linear interpolation between
the closest ranks).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Ceil, Floor, RowNumber


@dataclass(frozen=True)
class GroupPercentiles:
    """The percentiles of one group and the number of (non-null) values they were taken from."""

    size: int
    values: dict[float, Any]


def percentiles(queryset: QuerySet, *, value: str, by: str | None = None,
                fractions: Sequence[float] = (0.5,)) -> dict[Any, dict[float, Any]]:
    """``{group: {fraction: value}}`` for the non-null ``value`` of ``queryset`` rows.

    ``value`` names a field or an annotation already on ``queryset`` (a duration, a number).
    ``by`` names the field to group by; without it the single group is ``None``. Groups
    without rows are absent. Durations come back as ``timedelta``, numbers as ``float``.
    """
    groups = percentile_groups(queryset, value=value, by=by, fractions=fractions)
    return {key: group.values for key, group in groups.items()}


def percentile_groups(queryset: QuerySet, *, value: str, by: str | None = None,
                      fractions: Sequence[float] = (0.5,)) -> dict[Any, GroupPercentiles]:
    """As ``percentiles``, with each group's number of values too (same single query)."""
    for fraction in fractions:
        if not 0 <= fraction <= 1:
            raise ValueError(f"A percentile fraction lies between 0 and 1, not {fraction}.")
    partition = [F(by)] if by else []
    ranked = queryset.filter(**{f"{value}__isnull": False}).annotate(
        _rank=Window(RowNumber(), partition_by=partition, order_by=[F(value).asc()]),
        _size=Window(Count("pk"), partition_by=partition),
    )
    wanted = Q()
    for index, fraction in enumerate(fractions):
        ranked = ranked.annotate(**{
            f"_lo{index}": Floor((F("_size") - 1) * fraction) + 1,
            f"_hi{index}": Ceil((F("_size") - 1) * fraction) + 1,
        })
        wanted |= Q(_rank=F(f"_lo{index}")) | Q(_rank=F(f"_hi{index}"))
    fields = [by] if by else []
    rows = ranked.filter(wanted).values_list(*fields, "_rank", "_size", value).order_by()
    values: dict[Any, dict[int, Any]] = defaultdict(dict)
    sizes: dict[Any, int] = {}
    for row in rows:
        key, (rank, size, found) = (row[0], row[1:]) if by else (None, row)
        values[key][rank] = found
        sizes[key] = size
    return {key: GroupPercentiles(size=sizes[key], values={
        fraction: _interpolate(values[key], sizes[key], fraction) for fraction in fractions})
        for key in values}


def _interpolate(by_rank: dict[int, Any], size: int, fraction: float) -> Any:
    position = (size - 1) * fraction
    low, high = by_rank[math.floor(position) + 1], by_rank[math.ceil(position) + 1]
    low, high = _number(low), _number(high)
    return low + (high - low) * (position - math.floor(position))


def _number(value: Any) -> Any:
    """Durations stay durations; backends that answer in microseconds are turned back into them."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float):
        return float(value)
    return float(value)


def as_duration(value: Any) -> dt.timedelta | None:
    """A duration from a backend that may answer in microseconds."""
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=float(value))

