"""E-mails to partners' billing contacts: one function per kind, three templates each in
``templates/billing/emails/`` (``<name>-subject.txt``, ``<name>-body.txt``, ``<name>-body.html``).

Sent by ``billing.tasks.email_invoice`` after the PDF task, never inside a transaction. A member
library's ILL administrator may reword them on ``/policies/`` (``requests_app.email_templates``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from requests_app.email_templates import EmailKind, register_kind, render_override
from requests_app.models import Library

from .models import Invoice

INVOICE_ISSUED = "invoice-issued"
CREDIT_NOTE_ISSUED = "credit-note-issued"


VARIABLES = {
    "invoice.number": "The invoice (or credit note) number.",
    "invoice.total": "The amount, without the currency.",
    "invoice.currency": "The currency code (USD, EUR …).",
    "invoice.period_start": "First day of the period billed (a date: {{ invoice.period_start|date:'j F Y' }}).",
    "invoice.period_end": "Last day of the period billed (a date).",
    "invoice.due_on": "When payment is due (a date; may be empty).",
    "invoice.payment_instructions": "How to pay us (from the billing settings).",
    "invoice.recipient_name": "The partner library's name.",
    "invoice.issuer_name": "Our library's name as printed on the invoice.",
    "invoice.credits_number": "For a credit note: the number of the invoice it corrects (else empty).",
}
LABELS = {
    INVOICE_ISSUED: ("Invoice to a partner", "Sent to the partner's billing contact with the invoice PDF."),
    CREDIT_NOTE_ISSUED: ("Credit note to a partner", "Sent with a credit note that corrects an earlier invoice."),
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


def register_email_kinds() -> None:
    """Make the partner invoice e-mails rewordable on ``/policies/`` (called from ``BillingConfig.ready``)."""
    for kind, (label, description) in LABELS.items():
        register_kind(EmailKind(key=kind, label=label, audience="partner", description=description,
                                variables=VARIABLES, sample=_sample(kind)))


def _send(kind: str, invoice: Invoice, to: str) -> None:
    override = render_override(library=invoice.library, kind=kind, context=lambda: email_context(invoice))
    if override is not None:
        subject, text, html = override.subject, override.text, override.html
    else:
        context = {"invoice": invoice}
        subject = " ".join(render_to_string(f"billing/emails/{kind}-subject.txt", context).split())
        text = render_to_string(f"billing/emails/{kind}-body.txt", context)
        html = render_to_string(f"billing/emails/{kind}-body.html", context)
    reply_to = [invoice.issuer_email] if invoice.issuer_email else None
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], reply_to=reply_to)
    if html:
        message.attach_alternative(html, "text/html")
    if invoice.pdf:
        with invoice.pdf.open("rb") as handle:
            message.attach(f"{invoice.number}.pdf", handle.read(), "application/pdf")
    message.send()


def invoice_issued(invoice: Invoice, to: str) -> None:
    _send(INVOICE_ISSUED, invoice, to)


def credit_note_issued(invoice: Invoice, to: str) -> None:
    _send(CREDIT_NOTE_ISSUED, invoice, to)


def send_invoice(invoice_id: int) -> bool:
    """Send the invoice (or credit note) once: the send is claimed by setting ``emailed_at`` first,
    and given back if the mail server fails (the task retries). Returns whether a mail went out."""
    claimed = Invoice.objects.filter(pk=invoice_id, emailed_at__isnull=True).exclude(recipient_email="").update(
        emailed_at=timezone.now())
    if not claimed:
        return False
    invoice = Invoice.objects.get(pk=invoice_id)
    try:
        (credit_note_issued if invoice.is_credit_note else invoice_issued)(invoice, invoice.recipient_email)
    except Exception:
        Invoice.objects.filter(pk=invoice_id).update(emailed_at=None)
        raise
    return True
