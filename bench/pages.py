"""Staff pages through the Django test client: latency (median, p95) and SQL queries per page.

The staff member is the largest member library's (the busiest queues), and the smallest's for one queue
(its rows are the rarest in the indexes); the detail pages show one of the largest library's requests
with a full history (a completed loan: about ten events and its rota). The site administrator's lists of
every request and every event (the Django admin, across all libraries) are measured too.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.utils import timezone

from borrowing.states import BorrowingStatus
from requests_app import roles, rollups
from requests_app.models import IllRequest, Library, MonthlyFigure, Role, StaffProfile

from .stats import summary_ms, timed


def _detail_request(library: Library, role: str) -> IllRequest:
    """A finished loan of ``library`` with its whole history (the detail page's heaviest ordinary case)."""
    return (IllRequest.objects.filter(library=library, role=role, status=BorrowingStatus.COMPLETED, format="book")
            .order_by("-updated_at").first())


def count_queries(fn) -> int:
    """SQL statements ``fn`` runs (an execute wrapper: counts with DEBUG off too)."""
    statements = []
    with connection.execute_wrapper(lambda execute, sql, params, many, context: (
            statements.append(sql), execute(sql, params, many, context))[1]):
        fn()
    return len(statements)


def pages_for(library: Library) -> dict[str, str]:
    borrowing = _detail_request(library, Role.BORROWING)
    lending = _detail_request(library, Role.LENDING)
    return {
        "home (both dashboards)": "/",
        "borrowing queue": "/borrowing/queue/",
        "borrowing queue, filtered (checked out)": "/borrowing/queue/?status=checked_out",
        "borrowing queue, searched (two title words)": "/borrowing/queue/?q=history+studies",
        "borrowing request detail": f"/borrowing/requests/{borrowing.pk}/",
        "lending queue": "/lending/",
        "lending queue, filtered (shipped)": "/lending/?status=shipped",
        "lending request detail": f"/lending/requests/{lending.pk}/",
    }


def _client(library: Library) -> Client:
    client = Client()
    client.force_login(StaffProfile.objects.select_related("user").get(library=library).user)
    return client


def _administrator() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="bench-administrator",
                                                     defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    return client


def measure(*, iterations: int) -> dict:
    members = Library.objects.filter(is_member=True).order_by("symbol")
    largest, smallest = members.first(), members.last()
    client, small_client = _client(largest), _client(smallest)
    cases = [(name, url, client) for name, url in pages_for(largest).items()]
    # The smallest member library's queue: its rows are rare among everyone's (about 1 in 70).
    cases.append(("borrowing queue, smallest member library", "/borrowing/queue/", small_client))
    administrator = _administrator()
    cases += [("admin: all requests", "/admin/requests_app/illrequest/", administrator),
              ("admin: all requests, filtered (shipped)", "/admin/requests_app/illrequest/?status=shipped",
               administrator),
              ("admin: all requests, searched (a title word)", "/admin/requests_app/illrequest/?q=medieval",
               administrator),
              ("admin: all requests, searched (a request id)", "/admin/requests_app/illrequest/?q=OWN-12345",
               administrator),
              ("admin: all events", "/admin/requests_app/event/", administrator)]
    return _measure(cases, iterations=iterations, warmup=1)


def _get(client: Client, url: str) -> bytes:
    """The page's body, a streamed one (a CSV download) read to its end."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return b"".join(response.streaming_content) if response.streaming else response.content


def _measure(cases: list[tuple[str, str, Client]], *, iterations: int, warmup: int) -> dict:
    """Each page's SQL statements, size and timings (median, p95) over ``iterations`` requests."""
    results = {}
    for name, url, client in cases:
        body = _get(client, url)
        queries = count_queries(lambda url=url, client=client: _get(client, url))
        samples = timed(lambda url=url, client=client: _get(client, url), iterations, warmup=warmup)
        results[name] = {"url": url, "queries": queries, "kb": round(len(body) / 1024, 1),
                         **summary_ms(samples)}
    return results


def measure_reports(*, iterations: int) -> dict:
    """The statistics page of the largest member library, this year so far (both roles, one role), each of
    its sections this year so far, a closed year, and the annual-survey export, as its reporting staff.

    Closed months are read from the monthly rollup (``measure_rollup`` brings it up to date first), the
    current month live: the time follows the months of the period and this month's traffic, not the
    history. The top titles are still computed from the period's requests.
    """
    largest = Library.objects.filter(is_member=True).order_by("symbol").first()
    staff = StaffProfile.objects.select_related("user").get(library=largest).user
    staff.groups.add(*Group.objects.filter(name=roles.REPORTING))
    client = _client(largest)
    last_year = timezone.localdate().year - 1
    cases = [("statistics, this year so far", "/statistics/"),
             ("statistics, this year so far, lending", "/statistics/?role=lending")]
    cases += [(f"statistics section {name}, this year so far", f"/statistics/sections/{name}/")
              for name in ("volume", "fill-rate", "turnaround", "patrons", "unfilled", "titles")]
    cases += [(f"statistics section turnaround, {last_year} (closed)",
               f"/statistics/sections/turnaround/?start={last_year}-01-01&end={last_year}-12-31"),
              ("annual survey CSV, last fiscal year", "/statistics/annual-survey.csv")]
    return _measure([(name, url, client) for name, url in cases], iterations=iterations, warmup=0)


def measure_rollup() -> dict:
    """The statistics rollup brought up to date, as the hourly job does: the first time every month, later the
    months the added history touched (a bulk load of history touches nearly all of them)."""
    started = time.perf_counter()
    result = rollups.refresh()
    return {"seconds": round(time.perf_counter() - started, 2), "library_months": result.get("months", 0),
            "cells_written": result.get("cells", 0), "cells": MonthlyFigure.objects.count()}
