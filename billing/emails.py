"""E-mails to partners' billing contacts: one function per kind, three templates each in
``templates/billing/emails/`` (``<name>-subject.txt``, ``<name>-body.txt``, ``<name>-body.html``).

Sent by ``billing.tasks.email_invoice`` after the PDF task, never inside a transaction.
"""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Invoice

INVOICE_ISSUED = "invoice-issued"
CREDIT_NOTE_ISSUED = "credit-note-issued"


def _send(kind: str, invoice: Invoice, to: str) -> None:
    context = {"invoice": invoice}
    subject = " ".join(render_to_string(f"billing/emails/{kind}-subject.txt", context).split())
    text = render_to_string(f"billing/emails/{kind}-body.txt", context)
    html = render_to_string(f"billing/emails/{kind}-body.html", context)
    reply_to = [invoice.issuer_email] if invoice.issuer_email else None
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], reply_to=reply_to)
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
