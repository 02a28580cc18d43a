"""Moments from outside, kept in UTC.

ISO 8601 allows offsets up to ±23:59 and PostgreSQL stores only ±15:59, so a date-time a partner, an ILS or an
API caller sends is converted to UTC before it reaches a query or a row.
"""

from __future__ import annotations

import datetime as dt


def in_utc(moment: dt.datetime) -> dt.datetime | None:
    """``moment`` in UTC (a naive one read as UTC), or None when it falls outside the years 1 to 9999 in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        return None
