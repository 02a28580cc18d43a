"""Staff pages through the Django test client: latency (median, p95) and SQL queries per page.

The staff member is the largest member library's (the busiest queues), and the smallest's for one queue
(its rows are the rarest in the indexes); the detail pages show one of the largest library's requests
with a full history (a completed loan: about ten events and its rota). The site administrator's lists of
every request and every event (the Django admin, across all libraries) are measured too.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.models import IllRequest, Library, Role, StaffProfile

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
              ("admin: all events", "/admin/requests_app/event/", administrator)]
    return _measure(cases, iterations=iterations, warmup=1)


def _measure(cases: list[tuple[str, str, Client]], *, iterations: int, warmup: int) -> dict:
    """Each page's SQL statements, size and timings (median, p95) over ``iterations`` requests."""
    results = {}
    for name, url, client in cases:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        queries = count_queries(lambda url=url, client=client: client.get(url))
        samples = timed(lambda url=url, client=client: client.get(url), iterations, warmup=warmup)
        results[name] = {"url": url, "queries": queries, "kb": round(len(response.content) / 1024, 1),
                         **summary_ms(samples)}
    return results


def measure_reports(*, iterations: int) -> dict:
    """The statistics page of the largest member library, this year so far (both roles, one role).

    A report, not a queue: it reads every answer and span of the period (percentiles by partner), so
    its time grows with the library's traffic in the period. Reported without a target.
    """
    largest = Library.objects.filter(is_member=True).order_by("symbol").first()
    staff = StaffProfile.objects.select_related("user").get(library=largest).user
    staff.groups.add(*Group.objects.filter(name=roles.REPORTING))
    client = _client(largest)
    return _measure([("statistics, this year so far", "/statistics/", client),
                     ("statistics, this year so far, lending", "/statistics/?role=lending", client)],
                    iterations=iterations, warmup=0)

