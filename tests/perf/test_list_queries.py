"""Query-count guards: every list page and list endpoint runs no more SQL for 30 rows than for 3.

A query per row (a missing ``select_related``/``prefetch_related``, a count in a loop) shows up
here as a failure, on SQLite and PostgreSQL alike; the timings themselves live in ``make bench``
(docs/performance.md). Each case makes rows that show everything a row of that list shows
(patron, partner, availability, holdings, invoice lines), then compares 3 rows with 30.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.models import Charge, ChargeStatus, Direction, Invoice, InvoiceStatus, Service
from billing.services.invoices import create_invoice
from borrowing.states import BorrowingStatus
from lending.models import LendingDetail, MatchKind
from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import Note, PatronProfile
from requests_app.partners.keys import issue_api_key
from tests.billing.factories import BillingSettingsFactory
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronProfileFactory,
    StaffFactory,
)
from tests.lending.factories import HoldingFactory

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 30
MARK = "Perf row"


@dataclass
class Scene:
    library: object
    partner: object
    staff: object
    patron: object
    partner_key: str
    made: int = 0


@pytest.fixture
def scene() -> Scene:
    library = MemberLibraryFactory()
    partner = LibraryFactory()
    BillingSettingsFactory(library=library, invoice_prefix="PERF")
    staff = StaffFactory(library=library, groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.BILLING_STAFF])
    patron = PatronProfileFactory(library=library).user
    _, key = issue_api_key(library=partner, name="tests")
    return Scene(library=library, partner=partner, staff=staff, patron=patron, partner_key=key)


# Rows ----------------------------------------------------------------------------------------

def borrowing_rows(scene: Scene, n: int, **fields) -> None:
    """Borrowing requests of ``scene.library``, each with its own patron (and profile) and a note."""
    for _ in range(n):
        request = IllRequestFactory(library=scene.library, partner=scene.partner, title=f"{MARK} borrowing",
                                    status=fields.get("status", "sent"))
        Note.objects.create(request=request, text="Asked for the second edition.")


def patron_rows(scene: Scene, n: int) -> None:
    for _ in range(n):
        IllRequestFactory(library=scene.library, partner=scene.partner, patron=scene.patron, title=f"{MARK} mine",
                          status=BorrowingStatus.SENT)


def lending_rows(scene: Scene, n: int, **fields) -> None:
    """Lending requests from ``scene.partner``, each with its availability result and the holding it found."""
    for _ in range(n):
        request = LendingRequestFactory(library=scene.library, partner=scene.partner, title=f"{MARK} lending",
                                        status=fields.get("status", "new"))
        LendingDetail.objects.create(request=request, match_kind=MatchKind.ISBN,
                                     holding=HoldingFactory(library=scene.library))


def holding_rows(scene: Scene, n: int) -> None:
    for _ in range(n):
        HoldingFactory(library=scene.library, title=f"{MARK} holding", isbn="9780226458083")


def member_rows(scene: Scene, n: int) -> None:
    for _ in range(n):
        library = MemberLibraryFactory(name=f"{MARK} member")
        HoldingFactory(library=library, isbn="9780226458083", title=f"{MARK} holding")


def _receivable(scene: Scene, when: dt.datetime) -> Charge:
    request = LendingRequestFactory(library=scene.library, partner=scene.partner, title=f"{MARK} charged",
                                    status=LendingStatus.COMPLETED)
    return Charge.objects.create(library=scene.library, partner=scene.partner, request=request,
                                 direction=Direction.RECEIVABLE, service=Service.LOAN, amount=Decimal("12.50"),
                                 original_amount=Decimal("12.50"), currency="USD", status=ChargeStatus.OPEN,
                                 incurred_at=when)


def charge_rows(scene: Scene, n: int) -> None:
    for _ in range(n):
        _receivable(scene, dt.datetime(2025, 1, 15, tzinfo=dt.UTC))


def invoice_rows(scene: Scene, n: int) -> None:
    """Issued invoices, one a month going back, each with two lines."""
    for _ in range(n):
        scene.made += 1
        start = dt.date(2000 + scene.made // 12, scene.made % 12 + 1, 1)
        when = dt.datetime.combine(start, dt.time(12), tzinfo=dt.UTC)
        charges = [_receivable(scene, when), _receivable(scene, when)]
        invoice = create_invoice(library=scene.library, partner=scene.partner, currency="USD", period_start=start,
                                 period_end=start + dt.timedelta(days=27), charge_ids=[c.pk for c in charges])
        Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.ISSUED, issued_on=start)


# Callers -------------------------------------------------------------------------------------

def as_staff(scene: Scene) -> Client:
    client = Client()
    client.force_login(scene.staff)
    return client


def as_patron(scene: Scene) -> Client:
    client = Client()
    client.force_login(scene.patron)
    return client


def as_partner(scene: Scene) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {scene.partner_key}")


@dataclass
class Case:
    name: str
    url: str
    make: Callable[[Scene, int], None]
    caller: Callable[[Scene], Client]
    api: bool = False
    mark: str = MARK  # what each row of the HTML page shows once
    page_size: int = MANY  # rows on the first page, when the list has fewer than MANY per page

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("home dashboards", "/", borrowing_rows, as_staff, page_size=0),  # counts per state, no rows
    Case("borrowing queue", "/borrowing/queue/", borrowing_rows, as_staff),
    Case("borrowing queue by state", "/borrowing/queue/?status=sent", borrowing_rows, as_staff),
    Case("borrowing queue search", f"/borrowing/queue/?q={MARK.split()[0]}", borrowing_rows, as_staff),
    Case("lending queue", "/lending/", lending_rows, as_staff),
    Case("lending queue by state", "/lending/?status=new", lending_rows, as_staff),
    Case("borrowing queue sorted by due date", "/borrowing/queue/?sort=-due", borrowing_rows, as_staff),
    Case("lending queue sorted by age", "/lending/?sort=-created", lending_rows, as_staff),
    Case("holdings list", "/lending/holdings/", holding_rows, as_staff),
    Case("invoice list", "/billing/invoices/", invoice_rows, as_staff, mark=">PERF-"),
    Case("charge list", "/billing/charges/", charge_rows, as_staff, mark=">01/15/2025<"),
    Case("patron's own requests", "/requests/", patron_rows, as_patron, page_size=20),
    Case("API requests list for a partner", "/api/v1/requests/", lending_rows, as_partner, api=True),
    Case("API requests list for staff", "/api/v1/requests/", borrowing_rows, as_staff, api=True),
    Case("API member library directory", "/api/v1/libraries/", member_rows, as_partner, api=True),
    Case("API invoices for a partner", "/api/v1/invoices/", invoice_rows, as_partner, api=True),
    Case("API holdings look-up", "/api/v1/holdings/?isbn=9780226458083", member_rows, as_partner, api=True),
]


def _get(client: Client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response, len(queries)


def _rows_shown(case: Case, response) -> int:
    if case.api:
        body = json.loads(response.content)
        return len(body["results"] if isinstance(body, dict) and "results" in body else body)
    return response.content.decode().count(case.mark)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_list_runs_no_more_queries_for_thirty_rows_than_for_three(case: Case, scene: Scene):
    client = case.caller(scene)
    case.make(scene, FEW)
    _, few = _get(client, case.url)

    case.make(scene, MANY - FEW)
    response, many = _get(client, case.url)

    assert _rows_shown(case, response) >= case.page_size
    assert many <= few, f"{case.name}: {few} queries for {FEW} rows, {many} for {MANY}"


def test_the_patron_profile_rows_exist_for_each_borrowing_row(scene: Scene):
    """The borrowing rows really carry a patron each (so the queue guards exercise the patron join)."""
    borrowing_rows(scene, 2)
    assert PatronProfile.objects.filter(library=scene.library).count() == 3  # two rows' patrons + scene.patron
