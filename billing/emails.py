"""E-mails to partners' billing contacts: each kind declared once in ``KINDS``, three templates each in
``templates/billing/emails/`` (``<name>-subject.txt``, ``<name>-body.txt``, ``<name>-body.html``).

An invoice's e-mail is rendered and written as an ``OutgoingEmail`` row in the transaction that
issues it (``write_invoice_email``), with its PDF named as the attachment (``invoice-pdf``): the
mail waits until the PDF task has stored the file, then goes (``requests_app.mailer``). A member
library's ILL administrator may reword them on ``/policies/`` (``requests_app.email_templates``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import mailer
from requests_app.email_templates import EmailKind, render
from requests_app.models import EmailStatus, Library, OutgoingEmail

from .models import Invoice

INVOICE_ISSUED = "invoice-issued"
CREDIT_NOTE_ISSUED = "credit-note-issued"


VARIABLES = {
    "invoice.number": _("The invoice (or credit note) number."),
    "invoice.total": _("The amount, without the currency."),
    "invoice.currency": _("The currency code (USD, EUR …)."),
    "invoice.period_start": _("First day of the period billed (a date: {{ invoice.period_start|date:'j F Y' }})."),
    "invoice.period_end": _("Last day of the period billed (a date)."),
    "invoice.due_on": _("When payment is due (a date; may be empty)."),
    "invoice.payment_instructions": _("How to pay us (from the billing settings)."),
    "invoice.recipient_name": _("The partner library's name."),
    "invoice.issuer_name": _("Our library's name as printed on the invoice."),
    "invoice.credits_number": _("For a credit note: the number of the invoice it corrects (else empty)."),
}


def email_context(invoice: Invoice) -> dict:
    """The plain values an administrator's wording of an invoice e-mail may use (``VARIABLES``)."""
    return {"invoice": {
        "number": invoice.number, "total": invoice.total, "currency": invoice.currency,
        "period_start": invoice.period_start, "period_end": invoice.period_end, "due_on": invoice.due_on,
        "payment_instructions": invoice.payment_instructions, "recipient_name": invoice.recipient_name,
        "issuer_name": invoice.issuer_name,
        "credits_number": invoice.credits.number if invoice.credits is not None else "",
    }}


def _sample(kind: str):
    def sample(library: Library) -> dict:
        today = timezone.localdate()
        start = today.replace(day=1) - dt.timedelta(days=1)
        original = Invoice(number=f"{library.symbol}-2026-0041") if kind == CREDIT_NOTE_ISSUED else None
        invoice = Invoice(number=f"{library.symbol}-2026-0042", total=Decimal("45.00"), currency=library.currency,
                          period_start=start.replace(day=1), period_end=start, due_on=today + dt.timedelta(days=30),
                          payment_instructions="Pay through OCLC IFM, or by bank transfer.",
                          recipient_name="Partner University Library", issuer_name=library.name, credits=original)
        return email_context(invoice)
    return sample


def _partner_kind(key: str, label: str, description: str) -> EmailKind:
    return EmailKind(key=key, label=label, audience="partner", description=description, templates="billing/emails",
                     variables=VARIABLES, sample=_sample(key))


#: Every e-mail to partners, by key, with what the library's wording page says of it (registered by
#: ``BillingConfig.ready``).
KINDS: dict[str, EmailKind] = {kind.key: kind for kind in (
    _partner_kind(INVOICE_ISSUED, _("Invoice to a partner"),
                  _("Sent to the partner's billing contact with the invoice PDF.")),
    _partner_kind(CREDIT_NOTE_ISSUED, _("Credit note to a partner"),
                  _("Sent with a credit note that corrects an earlier invoice.")),
)}


ATTACHMENT = "invoice-pdf"


def email_key(invoice_id: int) -> str:
    return f"invoice:{invoice_id}"


def invoice_email_draft(invoice: Invoice) -> mailer.Draft | None:
    """The e-mail of an issued invoice (or credit note) to the partner's billing contact; ``None``
    when the invoice has no address to send to."""
    if not invoice.recipient_email:
        return None
    kind = CREDIT_NOTE_ISSUED if invoice.is_credit_note else INVOICE_ISSUED
    rendered = render(kind, library=invoice.library, context={"invoice": invoice},
                      values=lambda: email_context(invoice), language=invoice.language)
    return mailer.Draft(library=invoice.library, kind=kind, key=email_key(invoice.pk), to=invoice.recipient_email,
                        subject=rendered.subject, text=rendered.text, html=rendered.html,
                        reply_to=invoice.issuer_email or "", attachment_kind=ATTACHMENT, attachment_id=invoice.pk)


def write_invoice_email(invoice: Invoice, *, once: bool = False) -> OutgoingEmail | None:
    """Write the invoice's e-mail in the current transaction (the one issuing it); ``once``: unless it
    exists (the sweep). It goes when the PDF is stored."""
    draft = invoice_email_draft(invoice)
    if draft is None:
        return None
    return mailer.write_once(draft) if once else mailer.write(draft)


def queue_invoice_email(invoice_id: int) -> None:
    """The PDF is stored: hand the invoice's e-mail over now, if it still waits (after commit)."""
    pending = list(OutgoingEmail.objects.filter(key=email_key(invoice_id), status=EmailStatus.PENDING)
                   .values_list("pk", flat=True))
    if pending:
        mailer.queue_after_commit(pending)


def _load_pdf(invoice_id: int) -> mailer.Attachment | None:
    invoice = Invoice.objects.filter(pk=invoice_id).only("pk", "number", "pdf").first()
    if invoice is None or not invoice.pdf:
        return None
    with invoice.pdf.open("rb") as handle:
        return mailer.Attachment(f"{invoice.number}.pdf", handle.read(), "application/pdf")


def _emailed(invoice_id: int, when) -> None:
    Invoice.objects.filter(pk=invoice_id, emailed_at__isnull=True).update(emailed_at=when)


def register_attachment() -> None:
    """Let e-mails carry an invoice's PDF, and date the invoice when its e-mail went (``BillingConfig.ready``)."""
    mailer.register_attachment(mailer.AttachmentSource(kind=ATTACHMENT, load=_load_pdf, handed_over=_emailed))
