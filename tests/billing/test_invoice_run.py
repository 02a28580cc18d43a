"""Invoices made from the billing screen: a month now, through the monthly job's own service; PDF previews."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from billing import selectors
from billing.models import BillingSettings, Charge, ChargeStatus, Invoice, InvoiceStatus
from billing.services import create_monthly_invoices
from requests_app import roles
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory, PatronFactory, StaffFactory

from .factories import BillingSettingsFactory, ReceivableFactory

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def last_month_noon(day: int = 10) -> dt.datetime:
    """A moment in last month (in UTC, the factories' time zone)."""
    first = timezone.now().date().replace(day=1)
    return dt.datetime.combine((first - dt.timedelta(days=1)).replace(day=day), dt.time(12), tzinfo=dt.UTC)


def last_month() -> str:
    return f"{last_month_noon():%Y-%m}"


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def ours():
    library = MemberLibraryFactory(symbol="OURS")
    BillingSettingsFactory(library=library)
    return library


@pytest.fixture
def billing_client(client, ours):
    client.force_login(StaffFactory(library=ours, groups=[roles.BILLING_STAFF]))
    return client


def receivable(library, partner, when, amount="12.50", currency="USD") -> Charge:
    request = LendingRequestFactory(library=library, partner=partner)
    return ReceivableFactory(request=request, amount=Decimal(amount), currency=currency, incurred_at=when)


# The service the job and the page share ---------------------------------------------------

def test_a_run_for_this_month_invoices_its_days_up_to_yesterday(ours):
    partner = LibraryFactory()
    earlier = receivable(ours, partner, at(2026, 11, 3))
    today = receivable(ours, partner, at(2026, 11, 15, 8))
    [invoice] = create_monthly_invoices(library=ours, month=dt.date(2026, 11, 1), now=at(2026, 11, 15, 10))
    assert (invoice.period_start, invoice.period_end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 14))
    assert list(invoice.charges.all()) == [earlier]
    today.refresh_from_db()
    assert today.status == ChargeStatus.OPEN


def test_the_monthly_job_invoices_the_rest_of_a_month_invoiced_up_to_yesterday(ours):
    partner = LibraryFactory()
    receivable(ours, partner, at(2026, 11, 3))
    later = receivable(ours, partner, at(2026, 11, 20))
    create_monthly_invoices(library=ours, month=dt.date(2026, 11, 1), now=at(2026, 11, 15))
    [rest] = create_monthly_invoices(now=at(2026, 12, 1, 3))
    assert (rest.period_start, rest.period_end) == (dt.date(2026, 11, 15), dt.date(2026, 11, 30))
    assert list(rest.charges.all()) == [later]


def test_a_run_for_one_month_leaves_the_other_months_alone(ours):
    partner = LibraryFactory()
    receivable(ours, partner, at(2026, 9, 3))
    october = receivable(ours, partner, at(2026, 10, 3))
    [invoice] = create_monthly_invoices(library=ours, month=dt.date(2026, 10, 1), now=at(2026, 11, 15))
    assert list(invoice.charges.all()) == [october]
    assert Charge.objects.filter(status=ChargeStatus.OPEN).count() == 1


def test_a_run_for_one_library_leaves_another_librarys_charges_open(ours):
    other = MemberLibraryFactory()
    theirs = receivable(other, LibraryFactory(), at(2026, 10, 3))
    create_monthly_invoices(library=ours, month=dt.date(2026, 10, 1), now=at(2026, 11, 15))
    theirs.refresh_from_db()
    assert theirs.status == ChargeStatus.OPEN
    assert not Invoice.objects.filter(library=other).exists()


def test_a_run_kept_as_drafts_issues_nothing(ours):
    receivable(ours, LibraryFactory(), at(2026, 10, 3))
    [invoice] = create_monthly_invoices(library=ours, month=dt.date(2026, 10, 1), now=at(2026, 11, 15), issue=False)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.issued_on is None


def test_the_selector_shows_per_partner_what_the_run_invoices(ours):
    a, b = LibraryFactory(symbol="AAA"), LibraryFactory(symbol="BBB")
    receivable(ours, a, at(2026, 10, 3), "10.00")
    receivable(ours, a, at(2026, 10, 9), "2.50")
    receivable(ours, b, at(2026, 10, 9), "7.00", currency="EUR")
    groups = selectors.invoiceable_groups(library=ours, month=dt.date(2026, 10, 1), now=at(2026, 11, 15))
    assert [(g.partner.symbol, g.count, g.total, g.currency) for g in groups] == [
        ("AAA", 2, Decimal("12.50"), "USD"), ("BBB", 1, Decimal("7.00"), "EUR")]


# The create page ---------------------------------------------------------------------------

def test_the_create_page_lists_per_partner_the_charges_total_and_currency(billing_client, ours):
    partner = LibraryFactory(symbol="PART")
    receivable(ours, partner, last_month_noon(3), "10.00")
    receivable(ours, partner, last_month_noon(9), "2.50")
    body = billing_client.get(f"/billing/invoices/create/?month={last_month()}").content.decode()
    row = body[body.index("PART"):body.index("Preview PDF")]
    assert ">2<" in row and "12.50" in row and "USD" in row


def test_the_create_page_does_not_show_another_librarys_charges(billing_client, ours):
    receivable(MemberLibraryFactory(), LibraryFactory(symbol="ELSE"), last_month_noon())
    body = billing_client.get(f"/billing/invoices/create/?month={last_month()}").content.decode()
    assert "ELSE" not in body and "Nothing is waiting to be invoiced" in body


def test_creating_from_the_page_makes_the_invoices_and_links_them(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    response = billing_client.post("/billing/invoices/create/", {"month": last_month()}, follow=True)
    invoice = Invoice.objects.get()
    body = response.content.decode()
    assert "1 invoice created" in body
    assert f'href="/billing/invoices/{invoice.pk}/"' in body and invoice.number in body
    assert invoice.status == InvoiceStatus.DRAFT


def test_creating_twice_from_the_page_creates_nothing_the_second_time(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    billing_client.post("/billing/invoices/create/", {"month": last_month()})
    response = billing_client.post("/billing/invoices/create/", {"month": last_month()}, follow=True)
    assert Invoice.objects.count() == 1
    assert "No invoice created" in response.content.decode()


def test_creating_from_the_page_can_issue_at_once(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    billing_client.post("/billing/invoices/create/", {"month": last_month(), "issue": "on"})
    assert Invoice.objects.get().status == InvoiceStatus.ISSUED


def test_creating_from_the_page_leaves_another_librarys_charges_open(billing_client, ours):
    theirs = receivable(MemberLibraryFactory(), LibraryFactory(), last_month_noon())
    billing_client.post("/billing/invoices/create/", {"month": last_month()})
    theirs.refresh_from_db()
    assert theirs.status == ChargeStatus.OPEN and not Invoice.objects.exists()


def test_a_month_outside_the_choices_is_refused_and_creates_nothing(billing_client, ours):
    receivable(ours, LibraryFactory(), at(2020, 1, 5))
    response = billing_client.post("/billing/invoices/create/", {"month": "2020-01"})
    assert response.status_code == 400
    assert "Choose this month or one of the 12 months before it." in response.content.decode()
    assert not Invoice.objects.exists()


def test_the_create_page_takes_the_same_number_of_queries_for_more_partners(billing_client, ours,
                                                                             django_assert_max_num_queries):
    receivable(ours, LibraryFactory(), last_month_noon())
    url = f"/billing/invoices/create/?month={last_month()}"
    billing_client.get(url)
    with CaptureQueriesContext(connection) as one:
        billing_client.get(url)
    for _ in range(5):
        receivable(ours, LibraryFactory(), last_month_noon())
    with django_assert_max_num_queries(len(one)):
        body = billing_client.get(url).content.decode()
    assert body.count("Preview PDF<span") == 6


@pytest.mark.parametrize("user", ["lending", "patron"])
def test_the_create_page_refuses_everyone_but_billing_staff(client, ours, user):
    who = (StaffFactory(library=ours, groups=[roles.LENDING_STAFF]) if user == "lending" else PatronFactory())
    client.force_login(who)
    receivable(ours, LibraryFactory(), last_month_noon())
    assert client.get("/billing/invoices/create/").status_code == 403
    assert client.post("/billing/invoices/create/", {"month": last_month()}).status_code == 403
    assert not Invoice.objects.exists()


def test_the_create_page_answers_a_get_with_nothing_made(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    assert billing_client.get(f"/billing/invoices/create/?month={last_month()}").status_code == 200
    assert not Invoice.objects.exists()


# Previews ----------------------------------------------------------------------------------

def stored_files() -> list[str]:
    try:
        return sorted(default_storage.listdir("billing/invoices/")[1])
    except FileNotFoundError:
        return []


def test_a_drafts_preview_is_a_pdf_marked_preview_and_stores_nothing(billing_client, ours):
    charge = receivable(ours, LibraryFactory(), last_month_noon(), "21.40")
    [draft] = create_monthly_invoices(library=ours, month=last_month_noon().date().replace(day=1), issue=False)
    before = stored_files()
    response = billing_client.get(f"/billing/invoices/{draft.pk}/preview.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "PREVIEW" in text and "21.40" in text and charge.request.number in text
    draft.refresh_from_db()
    assert not draft.pdf and draft.status == InvoiceStatus.DRAFT
    assert stored_files() == before


def test_a_drafts_page_offers_the_preview(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    [draft] = create_monthly_invoices(library=ours, month=last_month_noon().date().replace(day=1), issue=False)
    assert f"/billing/invoices/{draft.pk}/preview.pdf" in billing_client.get(
        f"/billing/invoices/{draft.pk}/").content.decode()


def test_an_issued_invoice_has_no_preview(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    [invoice] = create_monthly_invoices(library=ours, month=last_month_noon().date().replace(day=1))
    response = billing_client.get(f"/billing/invoices/{invoice.pk}/preview.pdf")
    assert response.status_code == 302 and response["Location"] == f"/billing/invoices/{invoice.pk}/"


def test_a_drafts_download_shows_the_preview_instead_of_storing_a_pdf(billing_client, ours):
    receivable(ours, LibraryFactory(), last_month_noon())
    [draft] = create_monthly_invoices(library=ours, month=last_month_noon().date().replace(day=1), issue=False)
    response = billing_client.get(f"/billing/invoices/{draft.pk}/pdf/")
    assert response["Location"] == f"/billing/invoices/{draft.pk}/preview.pdf"
    draft.refresh_from_db()
    assert not draft.pdf


def test_the_create_page_previews_a_partners_invoice_before_it_exists(billing_client, ours):
    BillingSettings.objects.all().delete()
    partner = LibraryFactory(name="Partner College")
    receivable(ours, partner, last_month_noon(), "9.99")
    response = billing_client.get(f"/billing/invoices/create/preview.pdf?month={last_month()}"
                                  f"&partner={partner.pk}&currency=USD")
    text = pdf_text(response.content)
    assert "PREVIEW" in text and "9.99" in text and partner.symbol in text
    assert not Invoice.objects.exists() and not BillingSettings.objects.exists()
    assert Charge.objects.get().status == ChargeStatus.OPEN


def test_the_create_pages_preview_of_another_librarys_partner_answers_404(billing_client, ours):
    partner = LibraryFactory()
    receivable(MemberLibraryFactory(), partner, last_month_noon())
    assert billing_client.get(f"/billing/invoices/create/preview.pdf?month={last_month()}"
                              f"&partner={partner.pk}&currency=USD").status_code == 404


def test_another_librarys_draft_has_no_preview(billing_client):
    receivable(other := MemberLibraryFactory(), LibraryFactory(), last_month_noon())
    [draft] = create_monthly_invoices(library=other, month=last_month_noon().date().replace(day=1), issue=False)
    assert billing_client.get(f"/billing/invoices/{draft.pk}/preview.pdf").status_code == 404
