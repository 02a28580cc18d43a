"""A billing clerk invoices this month from the billing screen and previews the draft's PDF, in a real browser."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice, InvoiceStatus
from requests_app import roles
from tests.billing.factories import BillingSettingsFactory, ReceivableFactory
from tests.e2e.conftest import give_code_if_asked
from tests.factories import (
    PASSWORD,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    StaffFactory,
    give_authenticator,
)

from .conftest import serious_accessibility_violations as serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_billing_staff_create_last_months_invoices_and_preview_the_draft(live_server, desk_page):
    # Last month, whatever today is: on the 1st this month has no day before today to invoice.
    month = (timezone.now().date().replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    page = desk_page
    library = MemberLibraryFactory(symbol="BIL", name="Billing University Library")
    BillingSettingsFactory(library=library)
    clerk = StaffFactory(library=library, username="bill", groups=[roles.BILLING_STAFF])
    give_authenticator(clerk)
    partner = LibraryFactory(symbol="PTNR", name="Partner College")
    incurred = dt.datetime.combine(month, dt.time(12), tzinfo=dt.UTC)
    charge = ReceivableFactory(request=LendingRequestFactory(library=library, partner=partner),
                               amount=Decimal("18.40"), incurred_at=incurred)

    page.goto(f"{live_server.url}/billing/invoices/")
    page.get_by_label("Username").fill(clerk.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code_if_asked(page, clerk.username)
    page.wait_for_url("**/billing/invoices/")
    page.get_by_role("link", name="Create invoices now").click()
    page.wait_for_url("**/billing/invoices/create/")

    page.get_by_label("Month").select_option(f"{month:%Y-%m}")
    page.get_by_role("button", name="Show what will be invoiced").click()
    page.wait_for_url(f"**/billing/invoices/create/?month={month:%Y-%m}")
    row = page.locator("#invoiceable").get_by_role("row").filter(has_text="PTNR")
    assert row.get_by_role("cell", name="18.40").is_visible()
    assert row.get_by_role("cell", name="USD").is_visible()
    assert serious_violations(page) == []
    href = row.get_by_role("link", name="Preview PDF for PTNR").get_attribute("href")
    before = page.request.get(f"{live_server.url}{href}")
    assert before.ok and "PREVIEW" in pdf_text(before.body())
    assert not Invoice.objects.exists()

    page.get_by_role("button", name="Create 1 invoice").click()
    page.wait_for_url(f"**/billing/invoices/create/?month={month:%Y-%m}")
    assert page.get_by_text("1 invoice created").is_visible()
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.DRAFT
    assert page.get_by_text("Nothing is waiting to be invoiced for this month.").is_visible()

    page.get_by_role("link", name=invoice.number).click()
    page.wait_for_url(f"**/billing/invoices/{invoice.pk}/")
    assert serious_violations(page) == []
    preview = page.request.get(f"{live_server.url}{page.get_by_role('link', name='Preview PDF').get_attribute('href')}")
    assert preview.headers["content-type"] == "application/pdf"
    text = pdf_text(preview.body())
    assert "PREVIEW" in text and invoice.number in text and charge.request.number in text and "18.40" in text
    invoice.refresh_from_db()
    assert not invoice.pdf
