"""Monthly invoices: one per partner and period, idempotent, numbered, rendered, e-mailed, paid, credited."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing import tasks
from billing.models import Charge, ChargeStatus, Invoice, InvoiceKind, InvoiceStatus
from billing.services import (
    BillingError,
    create_monthly_invoices,
    issue_credit_note,
    record_payment,
    void_invoice,
)
from billing.services.invoices import create_invoice
from requests_app import mailer
from requests_app.models import EmailStatus, OutgoingEmail
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory

from .factories import BillingSettingsFactory, ReceivableFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
LA = ZoneInfo("America/Los_Angeles")


def at(year, month, day, hour=12, zone=UTC) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=zone)


@pytest.fixture
def ours():
    library = MemberLibraryFactory(symbol="OURS", name="Our University Library", address_line1="1 Library Way",
                                   email="ill@ours.example.edu")
    BillingSettingsFactory(library=library)
    return library


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """The monthly job with its after-commit work (PDF, e-mail) carried out."""
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return create_monthly_invoices(now=now)
    return run


def receivable(library, partner, when, amount="12.50", **kwargs):
    request = LendingRequestFactory(library=library, partner=partner, **kwargs)
    return ReceivableFactory(request=request, amount=Decimal(amount), incurred_at=when)


def test_the_monthly_job_makes_one_invoice_per_partner_with_last_months_receivables(ours):
    a, b = LibraryFactory(), LibraryFactory()
    receivable(ours, a, at(2026, 10, 3))
    receivable(ours, a, at(2026, 10, 20), "7.25")
    receivable(ours, b, at(2026, 10, 9))
    invoices = create_monthly_invoices(now=at(2026, 11, 1, 3))
    assert sorted((i.partner.symbol, i.total, i.status) for i in invoices) == sorted([
        (a.symbol, Decimal("19.75"), InvoiceStatus.ISSUED), (b.symbol, Decimal("12.50"), InvoiceStatus.ISSUED)])


def test_running_the_monthly_job_twice_creates_no_second_invoice(ours):
    receivable(ours, LibraryFactory(), at(2026, 10, 3))
    create_monthly_invoices(now=at(2026, 11, 1, 3))
    assert create_monthly_invoices(now=at(2026, 11, 1, 9)) == []
    assert Invoice.objects.count() == 1


def test_the_current_months_receivables_wait_for_next_month(ours):
    receivable(ours, LibraryFactory(), at(2026, 11, 1, 1))
    assert create_monthly_invoices(now=at(2026, 11, 1, 3)) == []


def test_the_period_is_the_month_in_the_partners_time_zone(ours):
    partner = LibraryFactory(timezone="America/Los_Angeles")
    # 23:30 on 30 November in Los Angeles is already 1 December in UTC.
    late_november = receivable(ours, partner, at(2026, 11, 30, 23, zone=LA))
    assert create_monthly_invoices(now=at(2026, 12, 1, 5)) == []  # still 30 November in Los Angeles
    [invoice] = create_monthly_invoices(now=at(2026, 12, 1, 9))
    assert (invoice.period_start, invoice.period_end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    late_november.refresh_from_db()
    assert late_november.invoice == invoice


def test_invoice_numbers_are_sequential_per_member_library(ours):
    other = MemberLibraryFactory(symbol="OTHR")
    for partner in (LibraryFactory(), LibraryFactory()):
        receivable(ours, partner, at(2026, 10, 3))
    receivable(other, LibraryFactory(), at(2026, 10, 3))
    create_monthly_invoices(now=at(2026, 11, 2))
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "OTHR-000001", "OURS-000001", "OURS-000002"]


def test_an_invoice_freezes_addresses_and_lines(ours):
    partner = LibraryFactory(name="Partner College", billing_email="billing@partner.example.org")
    charge = receivable(ours, partner, at(2026, 10, 3), requesting_agency_request_id="THEIR-77")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    partner.name = "Renamed College"
    partner.save()
    invoice.refresh_from_db()
    line = invoice.lines.get()
    assert invoice.recipient_name == "Partner College"
    assert invoice.recipient_email == "billing@partner.example.org"
    assert (line.request_number, line.partner_reference, line.amount) == (
        charge.request.number, "THEIR-77", Decimal("12.50"))


def test_the_invoice_pdf_opens_and_shows_every_line_and_the_total(ours, run_job):
    partner = LibraryFactory()
    charges = [receivable(ours, partner, at(2026, 10, d), amount, requesting_agency_request_id=f"REF-{d}")
               for d, amount in ((2, "10.00"), (9, "2.50"), (23, "0.75"))]
    run_job(at(2026, 11, 2))
    invoice = Invoice.objects.get()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf.read())).pages)
    for charge in charges:
        assert charge.request.number in text
        assert charge.request.requesting_agency_request_id in text
        assert str(charge.amount.quantize(Decimal("0.01"))) in text
    assert "13.25" in text
    assert invoice.number in text
    assert "Pay by bank transfer" in text


def test_the_invoice_is_emailed_to_the_partners_billing_contact_with_the_pdf(ours, run_job, mailoutbox):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = run_job(at(2026, 11, 2))
    [mail] = mailoutbox
    assert mail.to == ["ap@partner.example.org"]
    assert invoice.number in mail.subject
    assert mail.attachments[0][0] == f"{invoice.number}.pdf"
    assert mail.attachments[0][1].startswith(b"%PDF")


def test_the_pdf_task_run_again_renders_nothing_and_sends_no_second_email(ours, run_job, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = run_job(at(2026, 11, 2))
    invoice.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.render_invoice_pdf(invoice.pk) is False
    assert Invoice.objects.get(pk=invoice.pk).pdf.name == invoice.pdf.name
    assert len(mailoutbox) == 1


def test_the_invoice_email_is_written_with_the_invoice_and_waits_for_its_pdf(ours, mailoutbox):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    email = OutgoingEmail.objects.get(key=f"invoice:{invoice.pk}")
    assert (email.kind, email.recipient, email.attachment_kind, email.attachment_id) == (
        "invoice-issued", "ap@partner.example.org", "invoice-pdf", invoice.pk)
    assert mailer.send(email.pk) is False  # no PDF yet
    email.refresh_from_db()
    assert (email.status, email.attempts, mailoutbox) == (EmailStatus.PENDING, 0, [])


def test_the_invoice_is_dated_emailed_when_the_mail_server_accepted_it(ours, run_job):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = run_job(at(2026, 11, 2))
    invoice.refresh_from_db()
    email = OutgoingEmail.objects.get(key=f"invoice:{invoice.pk}")
    assert invoice.emailed_at == email.handed_over_at is not None


def test_an_invoice_without_a_billing_address_has_no_email(ours):
    receivable(ours, LibraryFactory(billing_email="", email=""), at(2026, 10, 3))
    create_monthly_invoices(now=at(2026, 11, 2))
    assert not OutgoingEmail.objects.exists()


def test_the_sweep_renders_and_sends_an_invoice_whose_pdf_task_was_lost(ours, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))  # its after-commit tasks never run
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_invoices()["pdfs_queued"] == 0  # too soon: its own task may still come
        assert tasks.sweep_invoices(now=(timezone.now() + dt.timedelta(minutes=11)).isoformat()) == {
            "pdfs_queued": 1, "emails_written": 0}
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.emailed_at is not None
    [mail] = mailoutbox
    assert mail.attachments[0][0] == f"{invoice.number}.pdf"


def test_the_sweep_writes_the_email_an_issued_invoice_lacks_once(ours, run_job, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = run_job(at(2026, 11, 2))
    OutgoingEmail.objects.all().delete()
    Invoice.objects.filter(pk=invoice.pk).update(emailed_at=None)
    later = (timezone.now() + dt.timedelta(minutes=11)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_invoices(now=later)["emails_written"] == 1
        assert tasks.sweep_invoices(now=later)["emails_written"] == 0
    assert len(mailoutbox) == 2  # the first e-mail, deleted above, and the one the sweep wrote
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT


def test_a_credit_note_is_emailed_with_its_own_pdf(ours, run_job, mailoutbox, django_capture_on_commit_callbacks):
    receivable(ours, LibraryFactory(billing_email="ap@partner.example.org"), at(2026, 10, 3))
    [invoice] = run_job(at(2026, 11, 2))
    with django_capture_on_commit_callbacks(execute=True):
        note = issue_credit_note(invoice=invoice, reason="Never received")
    assert [m.attachments[0][0] for m in mailoutbox] == [f"{invoice.number}.pdf", f"{note.number}.pdf"]
    assert OutgoingEmail.objects.get(key=f"invoice:{note.pk}").kind == "credit-note-issued"


def test_waived_charges_are_not_invoiced(ours):
    charge = receivable(ours, LibraryFactory(), at(2026, 10, 3))
    Charge.objects.filter(pk=charge.pk).update(status=ChargeStatus.WAIVED, amount=0)
    assert create_monthly_invoices(now=at(2026, 11, 2)) == []


def test_partial_payments_make_an_invoice_paid_when_they_reach_the_total(ours):
    receivable(ours, LibraryFactory(), at(2026, 10, 3), "30.00")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    record_payment(invoice=invoice, amount="10.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    record_payment(invoice=invoice, amount="20")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_payment_over_what_is_owed_is_refused(ours):
    receivable(ours, LibraryFactory(), at(2026, 10, 3), "30.00")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    with pytest.raises(BillingError, match="Only 30.00 USD"):
        record_payment(invoice=invoice, amount="30.01")
    assert not invoice.payments.exists()


def test_a_refused_payment_is_explained_in_the_language_of_whoever_records_it(ours, compiled_translations):
    from django.utils import translation

    receivable(ours, LibraryFactory(), at(2026, 10, 3), "30.00")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    with translation.override("de"), pytest.raises(BillingError, match=f"Auf {invoice.number} sind nur noch 30.00 USD"):
        record_payment(invoice=invoice, amount="30.01")


def test_a_credit_note_voids_the_invoice_and_reopens_its_charges(ours):
    charge = receivable(ours, LibraryFactory(), at(2026, 10, 3), "30.00")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    note = issue_credit_note(invoice=invoice, reason="Item was never received")
    invoice.refresh_from_db()
    charge.refresh_from_db()
    assert (note.kind, note.total, note.number, note.credits) == (
        InvoiceKind.CREDIT_NOTE, Decimal("-30.00"), "OURS-000002", invoice)
    assert invoice.status == InvoiceStatus.VOID
    assert (charge.status, charge.invoice) == (ChargeStatus.OPEN, None)


def test_credited_charges_are_invoiced_again_by_the_next_run(ours):
    receivable(ours, LibraryFactory(), at(2026, 10, 3), "30.00")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    issue_credit_note(invoice=invoice, reason="Wrong amount")
    [again] = create_monthly_invoices(now=at(2026, 11, 3))
    assert (again.number, again.period_start) == ("OURS-000003", dt.date(2026, 10, 1))


def test_a_credit_note_needs_a_reason(ours):
    receivable(ours, LibraryFactory(), at(2026, 10, 3))
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    with pytest.raises(BillingError):
        issue_credit_note(invoice=invoice, reason=" ")
    assert Invoice.objects.count() == 1


def test_only_a_draft_is_voided_directly(ours):
    charge = receivable(ours, LibraryFactory(), at(2026, 10, 3))
    draft = create_invoice(library=ours, partner=charge.partner, currency="USD", period_start=dt.date(2026, 10, 1),
                           period_end=dt.date(2026, 10, 31), charge_ids=[charge.pk])
    void_invoice(invoice=draft, reason="Made by mistake")
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.OPEN
    [issued] = create_monthly_invoices(now=at(2026, 11, 2))
    with pytest.raises(BillingError):
        void_invoice(invoice=issued)


def test_the_beat_schedule_runs_the_monthly_invoice_job():
    from django.conf import settings

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "billing.tasks.create_monthly_invoices" in tasks_scheduled


def test_the_monthly_task_counts_what_it_made_and_makes_nothing_the_second_time(ours):
    receivable(ours, LibraryFactory(), at(2025, 10, 3))  # a month long past, whatever today is
    assert tasks.create_monthly_invoices() == 1
    assert tasks.create_monthly_invoices() == 0


def test_receivables_in_two_currencies_make_two_invoices(ours):
    partner = LibraryFactory()
    receivable(ours, partner, at(2026, 10, 3))
    eur = receivable(ours, partner, at(2026, 10, 4))
    Charge.objects.filter(pk=eur.pk).update(currency="EUR")
    invoices = create_monthly_invoices(now=at(2026, 11, 2))
    assert sorted(i.currency for i in invoices) == ["EUR", "USD"]


def test_a_voided_drafts_number_is_not_given_again(ours):
    charge = receivable(ours, LibraryFactory(), at(2026, 10, 3))
    draft = create_invoice(library=ours, partner=charge.partner, currency="USD", period_start=dt.date(2026, 10, 1),
                           period_end=dt.date(2026, 10, 31), charge_ids=[charge.pk])
    void_invoice(invoice=draft, reason="Made by mistake")
    [again] = create_monthly_invoices(now=at(2026, 11, 2))
    assert (draft.number, again.number) == ("OURS-000001", "OURS-000002")


def test_the_credit_note_pdf_shows_the_negative_total_and_the_invoice_it_credits(
        ours, django_capture_on_commit_callbacks):
    receivable(ours, LibraryFactory(), at(2026, 10, 3), "30.00")
    [invoice] = create_monthly_invoices(now=at(2026, 11, 2))
    with django_capture_on_commit_callbacks(execute=True):
        note = issue_credit_note(invoice=invoice, reason="Never received")
    note.refresh_from_db()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(note.pdf.read())).pages)
    assert "-30.00" in text and invoice.number in text and "Credit note" in text
