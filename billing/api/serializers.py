"""Invoices as partners read them: frozen copies, with lines and what is still owed."""

from __future__ import annotations

from rest_framework import serializers

from requests_app.partners.api.document_fields import ModelSerializer

from ..models import Invoice, InvoiceLine


class InvoiceLineSerializer(ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["position", "request_number", "partner_reference", "description", "service", "incurred_on",
                  "amount"]
        read_only_fields = fields


class InvoiceSerializer(ModelSerializer):
    issuer = serializers.CharField(source="library.symbol", read_only=True)
    credits = serializers.CharField(source="credits.number", read_only=True, default=None, allow_null=True,
                                    help_text="A credit note: the number of the invoice it credits; null otherwise.")
    paid = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    outstanding = serializers.SerializerMethodField()
    lines = InvoiceLineSerializer(many=True, read_only=True)
    pdf_url = serializers.HyperlinkedIdentityField(view_name="billing-api:invoice-pdf", lookup_field="number")

    class Meta:
        model = Invoice
        fields = ["number", "kind", "status", "issuer", "issuer_name", "recipient_name", "recipient_symbol",
                  "period_start", "period_end", "issued_on", "due_on", "currency", "total", "paid", "outstanding",
                  "credits", "note", "payment_instructions", "lines", "pdf_url"]
        read_only_fields = fields

    def get_outstanding(self, invoice: Invoice) -> str:
        if invoice.is_credit_note:
            return "0.00"
        return str((invoice.total - invoice.paid).quantize(invoice.total))
