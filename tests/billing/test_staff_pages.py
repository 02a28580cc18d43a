"""Billing staff screens: invoices (list, detail, download, payments, credit notes), charges, budgets, reports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import ChargeStatus, Invoice, InvoiceStatus
from billing.services import create_monthly_invoices
from lending.states import LendingStatus
from requests_app import roles
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

from .factories import BudgetFactory, ReceivableFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours():
    return MemberLibraryFactory()


@pytest.fixture
def billing_client(client, ours):
    client.force_login(StaffFactory(library=ours, groups=[roles.BILLING_STAFF]))
    return client


def invoice_for(library, partner=None, amount="30.00", day=3) -> Invoice:
    partner = partner or LibraryFactory()
    ReceivableFactory(request=LendingRequestFactory(library=library, partner=partner), amount=Decimal(amount),
                      incurred_at=dt.datetime(2026, 10, day, 12, tzinfo=dt.UTC))
    create_monthly_invoices(now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    return Invoice.objects.get(library=library, partner=partner)


def test_lending_staff_without_billing_permission_are_refused(client, ours):
    client.force_login(StaffFactory(library=ours, groups=[roles.LENDING_STAFF]))
    assert client.get("/billing/").status_code == 403


def test_the_overview_shows_what_is_owed(billing_client, ours):
    invoice_for(ours, amount="30.00")
    response = billing_client.get("/billing/")
    assert response.status_code == 200
    assert "30.00 USD" in response.content.decode()


def test_the_overview_offers_to_create_this_months_invoices_now(billing_client, ours):
    assert 'href="/billing/invoices/create/"' in billing_client.get("/billing/").content.decode()


def test_the_invoice_list_shows_only_our_librarys_invoices(billing_client, ours):
    mine = invoice_for(ours)
    theirs = invoice_for(MemberLibraryFactory())
    body = billing_client.get("/billing/invoices/").content.decode()
    assert mine.number in body and theirs.number not in body


def test_the_invoice_list_takes_the_same_number_of_queries_for_more_invoices(billing_client, ours):
    partners = [LibraryFactory() for _ in range(5)]
    invoice_for(ours, partners[0])
    billing_client.get("/billing/invoices/")
    with CaptureQueriesContext(connection) as one:
        billing_client.get("/billing/invoices/")
    for partner in partners[1:]:
        invoice_for(ours, partner)
    with CaptureQueriesContext(connection) as five:
        billing_client.get("/billing/invoices/")
    assert len(five) == len(one)


def test_another_librarys_invoice_answers_404(billing_client):
    theirs = invoice_for(MemberLibraryFactory())
    assert billing_client.get(f"/billing/invoices/{theirs.pk}/").status_code == 404


def test_staff_download_the_invoice_pdf(billing_client, ours):
    invoice = invoice_for(ours)
    response = billing_client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_record_a_partial_payment(billing_client, ours):
    invoice = invoice_for(ours, amount="30.00")
    response = billing_client.post(f"/billing/invoices/{invoice.pk}/payments/",
                                   {"amount": "10.00", "received_on": "2026-11-20", "reference": "Cheque 81"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payments.get().amount) == (InvoiceStatus.ISSUED, Decimal("10.00"))


def test_a_bad_payment_amount_is_a_message_and_changes_nothing(billing_client, ours):
    invoice = invoice_for(ours)
    response = billing_client.post(f"/billing/invoices/{invoice.pk}/payments/",
                                   {"amount": "lots", "received_on": "2026-11-20"}, follow=True)
    assert response.status_code == 200
    assert "Amount" in response.content.decode()
    assert not invoice.payments.exists()


def test_staff_credit_an_issued_invoice(billing_client, ours):
    invoice = invoice_for(ours)
    response = billing_client.post(f"/billing/invoices/{invoice.pk}/credit-note/", {"reason": "Wrong partner"},
                                   follow=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert "Credit note" in response.content.decode()


def test_voiding_an_issued_invoice_is_refused_with_a_message(billing_client, ours):
    invoice = invoice_for(ours)
    response = billing_client.post(f"/billing/invoices/{invoice.pk}/void/", {"reason": "x"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    assert "credit note" in response.content.decode()


def test_staff_waive_a_charge_with_a_reason(billing_client, ours):
    charge = ReceivableFactory(request=LendingRequestFactory(library=ours))
    billing_client.post(f"/billing/charges/{charge.pk}/waive/", {"reason": "Goodwill"})
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.WAIVED
    assert "Goodwill" in billing_client.get(f"/billing/charges/{charge.pk}/").content.decode()


def test_staff_adjust_a_charge(billing_client, ours):
    charge = ReceivableFactory(request=LendingRequestFactory(library=ours))
    billing_client.post(f"/billing/charges/{charge.pk}/adjust/", {"amount": "4.50", "reason": "Discount"})
    charge.refresh_from_db()
    assert charge.amount == Decimal("4.50")


def test_the_charge_list_renders(billing_client, ours):
    ReceivableFactory(request=LendingRequestFactory(library=ours))
    assert billing_client.get("/billing/charges/?direction=receivable").status_code == 200


def test_the_budget_screen_warns_near_the_limit(billing_client, ours):
    BudgetFactory(library=ours, amount=Decimal("10"))
    request = LendingRequestFactory(library=ours)
    ReceivableFactory(request=request, direction="payable", amount=Decimal("9"),
                      incurred_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    body = billing_client.get("/billing/budgets/").content.decode()
    assert "Warning: 80% reached" in body


def test_the_receivables_csv_has_a_row_per_partner_and_month(billing_client, ours):
    partner = LibraryFactory(symbol="PARTX")
    ReceivableFactory(request=LendingRequestFactory(library=ours, partner=partner), amount=Decimal("5"),
                      incurred_at=dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC))
    ReceivableFactory(request=LendingRequestFactory(library=ours, partner=partner), amount=Decimal("2.5"),
                      incurred_at=dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC))
    response = billing_client.get("/billing/reports/receivables.csv?start=2026-01-01&end=2026-12-31")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows == [["partner", "partner name", "month", "currency", "total"],
                    ["PARTX", partner.name, "2026-03", "USD", "7.50"]]


def test_the_aging_csv_lists_unpaid_invoices(billing_client, ours):
    invoice = invoice_for(ours)
    rows = list(csv.reader(io.StringIO(billing_client.get("/billing/reports/aging.csv").getvalue().decode())))
    assert rows[1][0] == invoice.number


def test_the_reports_page_renders(billing_client, ours):
    invoice_for(ours)
    BudgetFactory(library=ours)
    assert billing_client.get("/billing/reports/?start=2026-01-01&end=2026-12-31").status_code == 200


def test_an_unknown_report_answers_404(billing_client):
    assert billing_client.get("/billing/reports/secrets.csv").status_code == 404


def test_staff_charge_a_lost_item_on_a_lending_request(billing_client, ours):
    request = LendingRequestFactory(library=ours, status=LendingStatus.OVERDUE)
    response = billing_client.post(f"/billing/requests/{request.pk}/lost-item/",
                                   {"amount": "85.00", "currency": "usd", "reason": "Borrower lost it"})
    charge = request.charges.get()
    assert response.status_code == 302
    assert (charge.service, charge.amount, charge.partner) == ("lost_item", Decimal("85.00"), request.partner)


def test_a_lost_item_without_amount_or_schedule_is_a_message(billing_client, ours):
    request = LendingRequestFactory(library=ours, status=LendingStatus.OVERDUE)
    response = billing_client.post(f"/billing/requests/{request.pk}/lost-item/", {"reason": "Lost"})
    assert response.status_code == 200
    assert "enter the amount" in response.content.decode()
    assert not request.charges.exists()


def test_staff_issue_a_draft_and_it_is_emailed(billing_client, ours, mailoutbox, django_capture_on_commit_callbacks):
    from billing.services.invoices import create_invoice

    partner = LibraryFactory(billing_email="ap@partner.example.org")
    charge = ReceivableFactory(request=LendingRequestFactory(library=ours, partner=partner))
    draft = create_invoice(library=ours, partner=partner, currency="USD", period_start=dt.date(2026, 10, 1),
                           period_end=dt.date(2026, 10, 31), charge_ids=[charge.pk])
    with django_capture_on_commit_callbacks(execute=True):
        billing_client.post(f"/billing/invoices/{draft.pk}/issue/")
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED
    assert [m.to for m in mailoutbox] == [["ap@partner.example.org"]]


def test_staff_mark_payables_settled_and_they_are_no_longer_owed(billing_client, ours):
    payable = ReceivableFactory(request=LendingRequestFactory(library=ours), direction="payable",
                                amount=Decimal("8.00"))
    receivable = ReceivableFactory(request=LendingRequestFactory(library=ours))
    billing_client.post("/billing/charges/settle/", {"charge": [payable.pk, receivable.pk],
                                                     "settled_on": "2026-11-15", "reference": "IFM 2026-10"})
    payable.refresh_from_db()
    receivable.refresh_from_db()
    assert (payable.status, payable.settlement_reference) == (ChargeStatus.SETTLED, "IFM 2026-10")
    assert receivable.status == ChargeStatus.OPEN
    assert "8.00" not in billing_client.get("/billing/").content.decode().split("Owed now")[1].split("budgets")[0]


def test_settling_nothing_is_a_message(billing_client):
    response = billing_client.post("/billing/charges/settle/", {"settled_on": "2026-11-15"}, follow=True)
    assert "Choose the charges" in response.content.decode()
