"""Invoices to partners: made monthly from open receivables, numbered per member library, frozen,
rendered to PDF by a task and e-mailed with it; paid (in parts), voided, or corrected by a credit note.

An issued invoice's e-mail is written with it (``billing.emails.write_invoice_email``) and waits for
the PDF; the PDF task queues it once the file is stored. ``sweep_invoices`` catches up on a PDF or an
e-mail a dead worker left behind."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext

from requests_app.languages import library_language
from requests_app.models import Library, OutgoingEmail

from .. import selectors
from ..emails import queue_invoice_email, write_invoice_email
from ..models import (
    BillingSettings,
    Charge,
    ChargeStatus,
    Direction,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from ..money import parse_amount, quantize
from ..pdf import render_invoice
from ..periods import zone_of as _zone
from .errors import BillingError

log = logging.getLogger(__name__)


def _settings_for(library: Library) -> BillingSettings:
    return BillingSettings.objects.get_or_create(library=library)[0]


def _next_number(library: Library) -> tuple[int, str]:
    """The next sequence number of ``library``'s invoices, under a row lock (call inside a transaction).

    A rolled-back transaction gives its number back with it, so numbers are gap-free and never reused.
    """
    _settings_for(library)
    settings = BillingSettings.objects.select_for_update().get(library=library)
    settings.last_invoice_sequence += 1
    settings.save(update_fields=["last_invoice_sequence"])
    prefix = settings.invoice_prefix or library.symbol
    return settings.last_invoice_sequence, f"{prefix}-{settings.last_invoice_sequence:06d}"


def _frozen_parties(library: Library, partner: Library, settings: BillingSettings) -> dict:
    return dict(
        issuer_name=library.name, issuer_address=library.postal_address, issuer_email=library.email,
        recipient_name=partner.name, recipient_address=partner.postal_address,
        recipient_email=partner.billing_email or partner.email, recipient_symbol=partner.symbol,
        recipient_language=library_language(partner), payment_instructions=settings.payment_instructions,
    )


def _line_for(charge: Charge, position: int) -> InvoiceLine:
    r = charge.request
    description = f"{charge.get_service_display()}: {r.title[:200]}"
    return InvoiceLine(position=position, charge=charge, request_number=r.number,
                       partner_reference=r.requesting_agency_request_id, description=description[:300],
                       service=charge.service,
                       incurred_on=timezone.localtime(charge.incurred_at, _zone(charge.partner)).date(),
                       amount=quantize(charge.amount, charge.currency))


def create_invoice(*, library: Library, partner: Library, currency: str, period_start: dt.date,
                   period_end: dt.date, charge_ids: list[int]) -> Invoice | None:
    """One draft invoice for ``charge_ids`` (open receivables) in the period, or ``None`` if one exists.

    The charges are claimed under row locks: a charge on another invoice meanwhile is left out.
    """
    try:
        with transaction.atomic():
            charges = list(Charge.objects.select_for_update(of=("self",))
                           .filter(pk__in=charge_ids, status=ChargeStatus.OPEN, invoice__isnull=True,
                                   direction=Direction.RECEIVABLE, currency=currency, amount__gt=0)
                           .select_related("request", "partner").order_by("incurred_at", "pk"))
            if not charges:
                return None
            settings = _settings_for(library)
            sequence, number = _next_number(library)
            invoice = Invoice.objects.create(
                library=library, partner=partner, kind=InvoiceKind.INVOICE, sequence=sequence, number=number,
                status=InvoiceStatus.DRAFT, period_start=period_start, period_end=period_end, currency=currency,
                **_frozen_parties(library, partner, settings),
            )
            with translation.override(invoice.language):  # the lines are written in the partner's words
                lines = [_line_for(c, i) for i, c in enumerate(charges, start=1)]
            for line in lines:
                line.invoice = invoice
            InvoiceLine.objects.bulk_create(lines)
            invoice.total = quantize(sum((line.amount for line in lines), Decimal("0")), currency)
            invoice.save(update_fields=["total"])
            Charge.objects.filter(pk__in=[c.pk for c in charges]).update(status=ChargeStatus.INVOICED,
                                                                         invoice=invoice)
            return invoice
    except IntegrityError:
        # Another run made this period's invoice first.
        return None


def create_monthly_invoices(*, now: dt.datetime | None = None, library: Library | None = None,
                            month: dt.date | None = None, issue: bool = True) -> list[Invoice]:
    """Invoice open receivables: one invoice per member library, partner, month (in the partner's time
    zone) and currency (``selectors.invoiceable_groups`` says which); issues them unless ``issue`` is
    false, which queues the PDF and e-mail. Returns the invoices made now.

    The monthly job calls it bare: every complete month of every library. The billing screen passes its
    ``library`` and a ``month`` (this month: up to yesterday), and may keep the invoices as drafts. Months
    are complete when they are over in the partner's time zone, so the job may run at any hour of the 1st
    (or later, catching up). Charges are claimed under row locks and a period has one invoice: running
    it again creates nothing, and a run after a worker died mid-job makes the invoices still missing.
    """
    made = []
    for group in selectors.invoiceable_groups(library=library, month=month, now=now):
        # Made and issued (with its e-mail row) in one transaction: a worker that dies in between leaves
        # neither, and the next run makes it.
        with transaction.atomic():
            invoice = create_invoice(library=group.library, partner=group.partner, currency=group.currency,
                                     period_start=group.period_start, period_end=group.period_end,
                                     charge_ids=list(group.charge_ids))
            if invoice is not None:
                made.append(issue_invoice(invoice=invoice) if issue else invoice)
        if invoice is None:
            log.info("Invoice of %s to %s for %s exists; %d charges wait", group.library.symbol,
                     group.partner.symbol, group.period_start, group.count)
    return made


def preview_invoice(*, library: Library, partner_id: int, currency: str, month: dt.date,
                    now: dt.datetime | None = None) -> tuple[Invoice, list[InvoiceLine]]:
    """The invoice a run for ``month`` would make to one partner, unsaved (numbered "PREVIEW"), with its
    lines: for a PDF marked as a preview. Stores nothing. Raises ``BillingError('not_found')`` when there
    is nothing to invoice to that partner in that currency."""
    group = next((g for g in selectors.invoiceable_groups(library=library, month=month, now=now)
                  if g.partner.pk == partner_id and g.currency == currency), None)
    if group is None:
        raise BillingError("not_found", gettext("Nothing is waiting to be invoiced to this partner for that month."))
    invoice = Invoice(library=library, partner=group.partner, kind=InvoiceKind.INVOICE, number="PREVIEW",
                      status=InvoiceStatus.DRAFT, period_start=group.period_start, period_end=group.period_end,
                      currency=currency, total=group.total,
                      **_frozen_parties(library, group.partner, selectors.billing_settings(library)))
    charges = (Charge.objects.filter(pk__in=group.charge_ids).select_related("request", "partner")
               .order_by("incurred_at", "pk"))
    with translation.override(invoice.language):
        return invoice, [_line_for(c, i) for i, c in enumerate(charges, start=1)]


def _queue_pdf(invoice_id: int) -> None:
    from .. import tasks  # the tasks import this module; it only queues them

    transaction.on_commit(lambda: tasks.render_invoice_pdf.delay(invoice_id))


def issue_invoice(*, invoice: Invoice) -> Invoice:
    """Draft → issued: dated today in the issuer's time zone, due after the payment terms; queues the
    PDF (after commit) and writes the e-mail to the partner's billing contact, which goes with the PDF.
    Raises ``not_allowed``."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.DRAFT:
            raise BillingError("not_allowed", gettext("%(number)s is not a draft (its status: %(status)s).") % {
                "number": locked.number, "status": locked.get_status_display()})
        settings = _settings_for(locked.library)
        locked.status = InvoiceStatus.ISSUED
        locked.issued_on = timezone.localtime(timezone.now(), _zone(locked.library)).date()
        locked.due_on = locked.issued_on + dt.timedelta(days=settings.payment_terms_days)
        locked.save(update_fields=["status", "issued_on", "due_on"])
        write_invoice_email(locked)
        _queue_pdf(locked.pk)
    return locked


def store_invoice_pdf(*, invoice: Invoice) -> Invoice:
    """Render ``invoice`` to PDF and keep it in private storage (again if it was already there)."""
    content = render_invoice(invoice)
    if invoice.pdf:
        invoice.pdf.delete(save=False)
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(content), save=False)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return invoice


def render_and_release(*, invoice_id: int) -> bool:
    """The PDF task: store the invoice's PDF unless it is there already, then queue its e-mail.

    Safe to repeat: a second run (a redelivered task, the sweep) renders nothing and queues an e-mail
    that is not sent twice. Returns whether a PDF was rendered now.
    """
    invoice = Invoice.objects.filter(pk=invoice_id).select_related("library", "partner").first()
    if invoice is None:
        return False
    rendered = not invoice.pdf
    if rendered:
        store_invoice_pdf(invoice=invoice)
    queue_invoice_email(invoice_id)
    return rendered


#: An issued invoice still without its PDF (or its e-mail row) this long after it was made was left
#: behind by a worker that died; the sweep queues it again.
SWEEP_AFTER = dt.timedelta(minutes=10)


def sweep_invoices(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Queue the PDF of issued invoices that have none, and write the e-mail row an issued invoice lacks.

    An invoice's e-mail row is written with it, so a missing row means an invoice issued before rows
    existed or written by hand; the mail sweep (``requests_app.mailer.sweep``) takes care of e-mails
    that are written but not sent. Returns the counts.
    """
    from .. import tasks  # the tasks import this module; it only queues them

    now = now or timezone.now()
    settled = Invoice.objects.filter(issued_on__isnull=False, created_at__lt=now - SWEEP_AFTER)
    without_pdf = list(settled.filter(pdf="").order_by("pk").values_list("pk", flat=True)[:limit])
    for pk in without_pdf:
        tasks.render_invoice_pdf.delay(pk)
    has_row = Exists(OutgoingEmail.objects.filter(
        key=Concat(Value("invoice:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())))
    without_email = (settled.filter(status=InvoiceStatus.ISSUED, emailed_at__isnull=True).exclude(recipient_email="")
                     .exclude(has_row).select_related("library", "partner", "credits").order_by("pk")[:limit])
    written = 0
    for invoice in without_email:
        with transaction.atomic():
            written += write_invoice_email(invoice, once=True) is not None
    return {"pdfs_queued": len(without_pdf), "emails_written": written}


def amount_paid(invoice: Invoice) -> Decimal:
    return invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def record_payment(*, invoice: Invoice, amount, received_on: dt.date | None = None, reference: str = "",
                   actor=None) -> Payment:
    """Record money received; the invoice becomes paid when the payments reach its total.

    Raises ``BillingError``: ``not_allowed`` unless issued, ``invalid`` for an amount that is
    not positive or more than what is still owed.
    """
    try:
        value = parse_amount(amount, invoice.currency)
    except ValueError as exc:
        raise BillingError("invalid", str(exc)) from None
    if value <= 0:
        raise BillingError("invalid", gettext("A payment must be more than zero."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.ISSUED:
            raise BillingError("not_allowed", gettext(
                "%(number)s is not an issued invoice (its status: %(status)s): payments are recorded on issued "
                "invoices.") % {"number": locked.number, "status": locked.get_status_display()})
        outstanding = locked.total - amount_paid(locked)
        if value > outstanding:
            raise BillingError("invalid", gettext("Only %(amount)s %(currency)s is still owed on %(number)s.") % {
                "amount": outstanding, "currency": locked.currency, "number": locked.number})
        payment = Payment.objects.create(invoice=locked, amount=value, reference=(reference or "").strip()[:100],
                                         received_on=received_on or timezone.localdate(), recorded_by=actor)
        if value == outstanding:
            locked.status = InvoiceStatus.PAID
            locked.save(update_fields=["status"])
    invoice.status = locked.status
    return payment


def void_invoice(*, invoice: Invoice, actor=None, reason: str = "") -> Invoice:
    """Void a draft: its charges are open again (the next run invoices them). Issued invoices take a
    credit note instead. Raises ``BillingError('not_allowed')``."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.DRAFT:
            raise BillingError("not_allowed", gettext(
                "Only a draft is voided; correct an issued invoice with a credit note."))
        locked.status = InvoiceStatus.VOID
        locked.note = (reason or "").strip()
        locked.save(update_fields=["status", "note"])
        Charge.objects.filter(invoice=locked).update(status=ChargeStatus.OPEN, invoice=None)
    return locked


def issue_credit_note(*, invoice: Invoice, actor=None, reason: str) -> Invoice:
    """Cancel an issued, unpaid invoice by a credit note of its whole amount (numbered in the same
    sequence); the invoice becomes void and its charges open again, to be corrected and invoiced anew.

    Raises ``BillingError``: ``invalid`` without a reason, ``not_allowed`` unless issued and unpaid.
    """
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("invalid", gettext("Say why the invoice is credited."))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.kind != InvoiceKind.INVOICE or locked.status != InvoiceStatus.ISSUED:
            raise BillingError("not_allowed", gettext(
                "%(number)s is not an issued invoice (its status: %(status)s): only an issued invoice is "
                "credited.") % {"number": locked.number, "status": locked.get_status_display()})
        if locked.payments.exists():
            raise BillingError("not_allowed", gettext("%(number)s has payments: refund them before crediting it.") % {
                "number": locked.number})
        sequence, number = _next_number(locked.library)
        today = timezone.localtime(timezone.now(), _zone(locked.library)).date()
        frozen = {f: getattr(locked, f) for f in (
            "issuer_name", "issuer_address", "issuer_email", "recipient_name", "recipient_address",
            "recipient_email", "recipient_symbol", "recipient_language", "payment_instructions")}
        with translation.override(locked.language):
            note_text = gettext("Credits invoice %(number)s: %(reason)s") % {"number": locked.number, "reason": reason}
        note = Invoice.objects.create(
            library=locked.library, partner=locked.partner, kind=InvoiceKind.CREDIT_NOTE, credits=locked,
            sequence=sequence, number=number, status=InvoiceStatus.ISSUED, period_start=locked.period_start,
            period_end=locked.period_end, currency=locked.currency, total=-locked.total, issued_on=today,
            note=note_text, **frozen,
        )
        InvoiceLine.objects.bulk_create([
            InvoiceLine(invoice=note, position=line.position, charge=line.charge, request_number=line.request_number,
                        partner_reference=line.partner_reference, description=line.description,
                        service=line.service, incurred_on=line.incurred_on, amount=-line.amount)
            for line in locked.lines.all()
        ])
        locked.status = InvoiceStatus.VOID
        locked.note = f"Credited by {number}: {reason}"
        locked.save(update_fields=["status", "note"])
        Charge.objects.filter(invoice=locked).update(status=ChargeStatus.OPEN, invoice=None)
        write_invoice_email(note)
        _queue_pdf(note.pk)
    return note
