"""No CSV download of the project lets a typed value run as a spreadsheet formula.

Formula payloads go into every text field an export prints (partners' symbols and names, budgets'
fiscal years and funds, citation titles, authors, journal titles and identifiers, patrons'
categories and departments, partners' reasons for an unfilled answer, a patron load's bad values),
then every CSV endpoint is read back with the csv module. The endpoints are found by walking the URL
configuration, so a CSV export added later fails here until this test knows how to call it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import Budget
from billing.services import create_monthly_invoices
from billing.views import REPORTS
from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.identity import loads
from requests_app.models import IllRequest, Library, PatronLoad
from requests_app.statistics import tables
from tests.billing.factories import BudgetFactory, ReceivableFactory
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory
from tests.statistics.scenario import at, event, made
from tests.url_walk import url_patterns

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("//x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A cell the spreadsheet reads as a plain number (a negative amount) runs nothing.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
PERIOD = "start=2026-03-01&end=2026-03-31"

#: How to call each CSV endpoint, by URL name: every address it serves for the data below.
CSV_ENDPOINTS: dict[str, Callable[[], list[str]]] = {
    "statistics:csv": lambda: [f"{reverse('statistics:csv', args=[name])}?{PERIOD}" for name in tables.TABLES],
    "statistics:annual_survey": lambda: [f"{reverse('statistics:annual_survey')}?fiscal_year=2026"],
    "billing:report-csv": lambda: [f"{reverse('billing:report-csv', args=[report])}?{PERIOD}" for report in REPORTS],
    "policies:patron-load-errors": lambda: [reverse("policies:patron-load-errors", args=[pk])
                                            for pk in PatronLoad.objects.values_list("pk", flat=True)],
}


def csv_url_names() -> set[str]:
    return {name or route for name, route, _ in url_patterns()
            if name.lower().endswith("csv") or route.rstrip("$/").lower().endswith("csv")}


def fit(text: str, model, field: str) -> str:
    """``text`` cut to the column's length (PostgreSQL refuses a longer one); it still starts the formula."""
    return text[:model._meta.get_field(field).max_length]


def exported_cells(client) -> dict[str, list[str]]:
    """Every cell of every CSV endpoint, by address."""
    cells = {}
    for name, urls_of in CSV_ENDPOINTS.items():
        for url in urls_of():
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
            assert response["Content-Type"].startswith("text/csv"), url
            text = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
            cells[url] = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return cells


def typed_everywhere(payload: str) -> tuple[Library, dict[str, str]]:
    """A member library whose exports print ``payload`` in every text field; the values typed, by field."""
    typed = {
        "partner symbol": fit(payload, Library, "symbol"),
        "partner name": f"{payload} partner name",
        "book title": f"{payload} book title",
        "author": f"{payload} author",
        "journal": f"{payload} journal",
        "patron category": fit(payload, IllRequest, "patron_category"),
        "department": f"{payload} department",
        "reason": f"{payload} reason",
        "fiscal year": fit(f"{payload} FY", Budget, "fiscal_year"),
        "fund": f"{payload} fund",
        "patron load value": fit(payload, PatronLoad.errors.rel.related_model, "value"),
    }
    own = MemberLibraryFactory(symbol="OWN")
    partner = LibraryFactory(symbol=typed["partner symbol"], name=typed["partner name"])
    shipped = made(LendingRequestFactory, library=own, partner=partner, status=LendingStatus.SHIPPED)
    event(shipped, "ship", at(1), "shipped")
    unfilled = made(LendingRequestFactory, library=own, partner=partner, status=LendingStatus.UNFILLED)
    event(unfilled, "unfill", at(2), "unfilled", reason_unfilled=typed["reason"])
    made(IllRequestFactory, library=own, partner=partner, status=BorrowingStatus.SUBMITTED, title=typed["book title"],
         author=typed["author"], isbn=fit(payload, IllRequest, "isbn"), patron_category=typed["patron category"],
         patron_department=typed["department"])
    made(IllRequestFactory, library=own, partner=partner, status=BorrowingStatus.SUBMITTED, format="article",
         title="An article",
         container_title=typed["journal"], issn=fit(payload, IllRequest, "issn"))
    for direction in ("receivable", "payable"):
        ReceivableFactory(request=LendingRequestFactory(library=own, partner=partner), direction=direction,
                          amount=Decimal("7.50"), incurred_at=dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC))
    create_monthly_invoices(now=dt.datetime(2026, 4, 2, tzinfo=dt.UTC))
    BudgetFactory(library=own, fiscal_year=typed["fiscal year"], fund=typed["fund"], starts_on=dt.date(2026, 1, 1),
                  ends_on=dt.date(2026, 12, 31))
    lines = io.StringIO()
    csv.writer(lines).writerows([["barcode", "expires_on"], ["2100001", typed["patron load value"]]])
    load = loads.start_load(library=own, upload=SimpleUploadedFile("p.csv", lines.getvalue().encode()),
                            file_format="csv", match_key="barcode", queue=False)
    loads.run_load(load.pk)
    return own, typed


@pytest.fixture
def reporter(client):
    def sign_in(library: Library):
        client.force_login(StaffFactory(library=library, groups=[roles.REPORTING, roles.BILLING_STAFF,
                                                                 roles.ILL_ADMINISTRATOR]))
        return client
    return sign_in


def test_every_csv_endpoint_is_one_this_test_knows_how_to_call():
    assert csv_url_names() == set(CSV_ENDPOINTS), (
        "A CSV endpoint was added or renamed: teach CSV_ENDPOINTS how to call it, so its cells are checked.")


@pytest.mark.parametrize("payload", PAYLOADS, ids=["equals", "plus", "minus", "at", "tab", "carriage return"])
def test_no_cell_of_any_csv_export_starts_a_formula(reporter, payload):
    own, typed = typed_everywhere(payload)
    cells = exported_cells(reporter(own))
    formulas = {url: [c for c in found if c.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(c)]
                for url, found in cells.items()}
    assert {url: found for url, found in formulas.items() if found} == {}
    every_cell = [cell for found in cells.values() for cell in found]
    # Each field went out in some export, behind its quote (departments are trimmed): the check above
    # looked at the values typed, not at tables that happened to be empty.
    not_exported = [field for field, value in typed.items()
                    if "'" + value not in every_cell and "'" + value.strip() not in every_cell]
    assert not_exported == []


def test_no_page_without_parameters_answers_csv_unless_this_test_knows_it(client):
    """A CSV export under a name and address that do not say so is still found, by its content type."""
    own = MemberLibraryFactory()
    user = StaffFactory(library=own, groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.BILLING_STAFF,
                                             roles.ILL_ADMINISTRATOR, roles.REPORTING])
    client.force_login(user)
    client.raise_request_exception = False
    answered_csv = []
    for name, route, pattern in url_patterns():
        path = "/" + re.sub(r"[\^$]", "", route).replace("\\.", ".")
        if pattern.pattern.regex.groups or re.search(r"[\\()\[\]?*+|]", path) or "logout" in path:
            continue  # addresses that need parameters, and signing out
        if client.get(path).get("Content-Type", "").startswith("text/csv") and name not in CSV_ENDPOINTS:
            answered_csv.append(name or route)
    assert answered_csv == []
