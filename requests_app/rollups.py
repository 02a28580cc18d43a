"""The monthly statistics rollup: the cells of ``figure_cells`` stored per member library and month.

``refresh`` runs hourly (beat) and recomputes only the months touched since its last run: the months
of the events written since then and the months their requests were made in (a request's state is
counted in the month it was made). ``refresh(full=True)`` (``manage.py rebuild_statistics``) recomputes
every month. Either way a month's cells are replaced whole, in one transaction, by an upsert on the
cell's dimensions followed by the removal of the cells the month no longer has, so running it twice
gives the same rows. The run holds the lock on the single ``RollupState`` row; a second run that finds
it locked does nothing.

The statistics pages read a month from here once it ended before ``covered_until``: the start of the
last run, less ``SETTLE`` for transactions that wrote an event then but had not committed it yet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import TruncDay
from django.utils import timezone

from . import figure_cells
from .figure_cells import Where, first_of_month, month_start, next_month
from .models import Event, FigureKind, Library, MonthlyFigure, Role, RollupState

#: How long a transaction may hold an event it wrote before committing it, for the rollup to see it.
SETTLE = dt.timedelta(minutes=10)
UNIQUE_FIELDS = ["library", "month", "kind", "role", "partner", "format", "service_type", "status",
                 "patron_category", "department", "outcome", "reason", "measure", "hour"]
BATCH = 2000


def month_ranges(months: Iterable[dt.date], zone: dt.tzinfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The months as few half-open ranges of time as possible (consecutive months joined)."""
    ranges: list[list[dt.date]] = []
    for month in sorted(set(months)):
        if ranges and ranges[-1][1] == month:
            ranges[-1][1] = next_month(month)
        else:
            ranges.append([month, next_month(month)])
    return [(month_start(first, zone), month_start(after, zone)) for first, after in ranges]


def refresh(*, full: bool = False, now: dt.datetime | None = None) -> dict[str, int]:
    """Bring the rollup up to date: every month on the first run or with ``full``, else the months touched
    since the last run. Returns the number of library-months recomputed and cells written, or
    ``{"skipped": 1}`` when another run holds the lock."""
    now = now or timezone.now()
    RollupState.objects.get_or_create(pk=1)
    with transaction.atomic():
        state = RollupState.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if state is None:
            return {"skipped": 1}
        last_event_id = Event.objects.aggregate(last=Max("pk"))["last"] or 0
        libraries = {library.pk: library for library in Library.objects.filter(is_member=True)}
        if full or state.covered_until is None:
            touched: dict[int, set[dt.date] | None] = dict.fromkeys(libraries)
        else:
            touched = touched_months(libraries, since=state.covered_until, after_event=state.last_event_id)
        months = cells = 0
        for library_id, library_months in touched.items():
            written, recomputed = _recompute(libraries[library_id], library_months)
            cells += written
            months += recomputed
        state.covered_until = now - SETTLE
        state.last_event_id = last_event_id
        state.finished_at = timezone.now()
        state.months_computed = months
        state.save()
    return {"months": months, "cells": cells}


def touched_months(libraries: dict[int, Library], *, since: dt.datetime,
                   after_event: int) -> dict[int, set[dt.date]]:
    """Per member library, the months (in its time zone) of the events written from ``since`` or after the
    event ``after_event`` (an event written late with an earlier time), and of their requests' creation.

    Two queries, grouped by day in UTC; a UTC day touches the library's month of its first and of its
    last moment.
    """
    events = Event.objects.filter(Q(created_at__gte=since) | Q(pk__gt=after_event),
                                  request__library__in=list(libraries))
    days = set(events.values_list("request__library_id", TruncDay("created_at", tzinfo=dt.UTC)).distinct())
    days |= set(events.values_list("request__library_id", TruncDay("request__created_at", tzinfo=dt.UTC))
                .distinct())
    touched: dict[int, set[dt.date]] = defaultdict(set)
    for library_id, day in days:
        zone = figure_cells.library_zone(libraries[library_id])
        for moment in (day, day + dt.timedelta(days=1) - dt.timedelta(microseconds=1)):
            touched[library_id].add(first_of_month(moment.astimezone(zone).date()))
    return dict(touched)


def _recompute(library: Library, months: set[dt.date] | None) -> tuple[int, int]:
    """Replace the cells of ``library``'s ``months`` (``None``: all of them); returns the cells written and
    the months recomputed."""
    zone = figure_cells.library_zone(library)
    where = Where(library=library, zone=zone, roles=(Role.BORROWING, Role.LENDING),
                  ranges=None if months is None else month_ranges(months, zone))
    stamp = timezone.now()
    figures = [MonthlyFigure(library=library, computed_at=stamp, **fields) for fields in _cells(where)]
    MonthlyFigure.objects.bulk_create(figures, batch_size=BATCH, update_conflicts=True,
                                      unique_fields=UNIQUE_FIELDS, update_fields=["count", "computed_at"])
    stale = MonthlyFigure.objects.filter(library=library).exclude(computed_at=stamp)
    if months is not None:
        stale = stale.filter(month__in=months)
    stale.delete()
    return len(figures), len(months if months is not None else {figure.month for figure in figures})


def _cells(where: Where) -> Iterable[dict]:
    """Every cell of ``where``'s months, as ``MonthlyFigure`` fields."""
    for row in figure_cells.made_cells(where, by_month=True):
        yield {"month": row["month"], "kind": FigureKind.MADE, "role": row["role"],
               "format": row["format"], "service_type": row["service_type"], "status": row["status"],
               "count": row["count"]}
    for row in figure_cells.patron_cells(where, by_month=True):
        yield {"month": row["month"], "kind": FigureKind.PATRON, "role": Role.BORROWING,
               "patron_category": row["patron_category"],
               "department": row["department"], "count": row["count"]}
    for row in figure_cells.answer_cells(where, by_month=True):
        yield {"month": row["month"], "kind": FigureKind.ANSWER, "role": row["role"], "partner": row["partner_symbol"],
               "outcome": row["outcome"], "service_type": row["service_type"], "reason": row["reason"],
               "count": row["count"]}
    for row in figure_cells.received_cells(where, by_month=True):
        yield {"month": row["month"], "kind": FigureKind.RECEIVED, "role": Role.BORROWING,
               "partner": row["partner_symbol"], "service_type": row["service_type"], "count": row["count"]}
    for row in figure_cells.closed_cells(where, by_month=True):
        yield {"month": row["month"], "kind": FigureKind.CLOSED, "role": Role.BORROWING, "reason": row["reason"],
               "count": row["count"]}
    for row in figure_cells.span_cells(where, by_month=True):
        yield {"month": row["month"], "kind": FigureKind.SPAN, "role": row["role"], "partner": row["partner_symbol"],
               "measure": row["measure"], "hour": row["hour"], "count": row["count"]}
