"""Money: fee schedules, charges (with their audit rows), budgets, invoices, payments.

Amounts are ``Decimal`` quantised to the currency's minor unit (``billing.money``). Charges
are keyed so a replayed workflow event creates nothing twice; invoices are frozen copies,
numbered per member library under a unique constraint, never deleted (a credit note
corrects an issued one).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import IllRequest, Library

CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", "An ISO 4217 code: three capital letters, e.g. USD.")


class Service(models.TextChoices):
    LOAN = "loan", _("Loan")
    COPY = "copy", _("Copy")
    RUSH = "rush", _("Rush surcharge")
    LOST_ITEM = "lost_item", _("Lost item")
    COPYRIGHT = "copyright", _("Copyright fee")
    PURCHASE = "purchase", _("Purchase instead of a loan")


class Direction(models.TextChoices):
    RECEIVABLE = "receivable", _("Receivable (the partner owes us)")
    PAYABLE = "payable", _("Payable (we owe the partner)")
    PATRON = "patron", _("Patron charge (passed on to the patron)")


class BillingSettings(models.Model):
    """A member library's billing choices and the sequence its invoice numbers come from."""

    library = models.OneToOneField(Library, on_delete=models.CASCADE, related_name="billing_settings",
                                   limit_choices_to={"is_member": True})
    passes_costs_to_patrons = models.BooleanField(
        default=False, help_text="Charge patrons what lenders charge us for their requests.")
    invoice_prefix = models.CharField(max_length=16, blank=True,
                                      help_text="Printed before invoice numbers; empty: the library's symbol.")
    last_invoice_sequence = models.PositiveIntegerField(default=0, editable=False)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    payment_instructions = models.TextField(blank=True, help_text="Printed on every invoice: bank, IFM, vouchers…")
    budget_warning_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Warn when this share of a budget is spent or committed.")

    class Meta:
        verbose_name = "billing settings"
        verbose_name_plural = "billing settings"

    def __str__(self) -> str:
        return f"Billing settings of {self.library.symbol}"


class FeeSchedule(models.Model):
    """What a service costs between a member library and a partner (or any partner) for a time.

    ``direction`` receivable: what we charge the partner when we supply it; payable: what the
    partner charges us when it supplies us. An empty partner is the default for every partner.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="fee_schedules",
                                limit_choices_to={"is_member": True})
    partner = models.ForeignKey(Library, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                help_text="Empty: every partner without a row of its own.")
    direction = models.CharField(max_length=10, choices=[(Direction.RECEIVABLE, Direction.RECEIVABLE.label),
                                                         (Direction.PAYABLE, Direction.PAYABLE.label)])
    service = models.CharField(max_length=12, choices=Service.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day it applies; empty: open-ended.")

    class Meta:
        ordering = ["library", "direction", "service", "-effective_from"]
        indexes = [models.Index(fields=["library", "direction", "service", "effective_from"], name="fee_lookup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="fee_schedule_dates_ordered", violation_error_message="The last day comes before the first."),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_schedule_amount_not_negative"),
        ]

    def __str__(self) -> str:
        who = self.partner.symbol if self.partner_id else "any partner"
        return f"{self.library.symbol} {self.direction} {self.service} {who}: {self.amount} {self.currency}"


class ChargeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAIVED = "waived", _("Waived")
    INVOICED = "invoiced", _("Invoiced")
    SETTLED = "settled", _("Settled (paid to the lender or by the patron)")


class Charge(models.Model):
    """One amount owed, once: ``(request, direction, service, key)`` is unique.

    ``key`` is empty for what happens once per request (the loan fee, the copy fee, the
    copyright fee) and names the occasion otherwise (a rush surcharge's event id).
    """

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="charges",
                                limit_choices_to={"is_member": True})
    partner = models.ForeignKey(Library, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    patron = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="ill_charges")
    request = models.ForeignKey(IllRequest, on_delete=models.PROTECT, related_name="charges")
    event = models.ForeignKey("requests_app.Event", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    service = models.CharField(max_length=12, choices=Service.choices)
    key = models.CharField(max_length=64, blank=True, default="")
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    original_amount = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.OPEN)
    note = models.CharField(max_length=200, blank=True, help_text="Why this amount: the schedule, reciprocity…")
    fund = models.CharField(max_length=100, blank=True, help_text="Budget fund or department it is spent from.")
    invoice = models.ForeignKey("Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="charges")
    settled_on = models.DateField(null=True, blank=True)
    settlement_reference = models.CharField(max_length=100, blank=True, help_text="IFM month, cheque, voucher…")
    incurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-incurred_at", "-pk"]
        indexes = [
            models.Index(fields=["library", "direction", "incurred_at"], name="charge_period_idx"),
            models.Index(fields=["partner", "direction", "status"], name="charge_partner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "direction", "service", "key"], name="charge_once_per_key"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charge_amount_not_negative"),
        ]
        permissions = [("manage_billing", "Can manage charges, budgets and invoices")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.service} {self.amount} {self.currency} ({self.request_id})"

    @property
    def is_open(self) -> bool:
        return self.status == ChargeStatus.OPEN

    @property
    def is_invoiced(self) -> bool:
        return self.status == ChargeStatus.INVOICED

    @property
    def is_waived(self) -> bool:
        return self.status == ChargeStatus.WAIVED

    @property
    def counts(self) -> bool:
        """Whether the charge is money owed (not waived)."""
        return self.status != ChargeStatus.WAIVED and self.amount > 0


class ChargeAdjustment(models.Model):
    """The audit row of a staff change to a charge: waived or adjusted, from what to what, and why."""

    class Action(models.TextChoices):
        WAIVE = "waive", _("Waived")
        ADJUST = "adjust", _("Adjusted")

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="adjustments")
    action = models.CharField(max_length=10, choices=Action.choices)
    old_amount = models.DecimalField(max_digits=12, decimal_places=4)
    new_amount = models.DecimalField(max_digits=12, decimal_places=4)
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.old_amount}→{self.new_amount}: {self.reason[:40]}"


class Budget(models.Model):
    """A member library's money for borrowing costs in one fiscal year, optionally for one fund."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="budgets",
                                limit_choices_to={"is_member": True})
    fiscal_year = models.CharField(max_length=20, help_text="How the library names it, e.g. FY2026.")
    fund = models.CharField(max_length=100, blank=True,
                            help_text="Department or fund; empty: the whole library's borrowing budget.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])

    class Meta:
        ordering = ["library", "-starts_on", "fund"]
        constraints = [
            models.UniqueConstraint(fields=["library", "fiscal_year", "fund"], name="budget_unique_year_fund"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="budget_dates_ordered",
                                   violation_error_message="The budget must end after it starts."),
        ]

    def __str__(self) -> str:
        return f"{self.library.symbol} {self.fiscal_year}{' ' + self.fund if self.fund else ''}"


class ExchangeRate(models.Model):
    """What one unit of ``currency`` is worth in ``base_currency`` from ``valid_from`` until the next rate.

    A member library's own rates (its finance office's or its bank's): budgets count a payable charged in
    another currency at the rate valid on the day it was incurred.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="exchange_rates",
                                limit_choices_to={"is_member": True})
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR], help_text="The charge's currency.")
    base_currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR],
                                     help_text="The budget's currency.")
    rate = models.DecimalField(max_digits=18, decimal_places=8, validators=[
        MinValueValidator(Decimal("0.00000001"), "The rate must be more than zero.")],
                               help_text="One unit of the currency in the base currency, e.g. 1.0850 for EUR in USD.")
    valid_from = models.DateField()
    source = models.CharField(max_length=100, blank=True, help_text="Where the rate comes from, e.g. the bank.")

    class Meta:
        ordering = ["library", "currency", "base_currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["library", "currency", "base_currency", "valid_from"],
                                    name="exchange_rate_unique_day"),
            models.CheckConstraint(condition=~Q(currency=models.F("base_currency")),
                                   name="exchange_rate_two_currencies",
                                   violation_error_message="A rate converts one currency into another."),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base_currency} from {self.valid_from}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class Invoice(models.Model):
    """An invoice (or credit note) from a member library to a partner: a frozen copy, never deleted."""

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="invoices_issued")
    partner = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="invoices_received")
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    credits = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes",
                                help_text="The invoice a credit note corrects.")
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR])
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # Frozen at creation: later edits of the directory do not change a sent invoice.
    issuer_name = models.CharField(max_length=200)
    issuer_address = models.TextField()
    issuer_email = models.EmailField(blank=True)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField()
    recipient_email = models.EmailField(blank=True)
    recipient_symbol = models.CharField(max_length=32)
    recipient_language = models.CharField(
        max_length=10, blank=True,
        help_text="The partner's directory language when the invoice was made: its PDF and e-mail are written in "
                  "it; empty: the site's default.")
    payment_instructions = models.TextField(blank=True)
    note = models.TextField(blank=True)
    issued_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    pdf = models.FileField(upload_to="billing/invoices/", blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["partner", "status", "-created_at"], name="invoice_partner_idx")]
        constraints = [
            models.UniqueConstraint(fields=["library", "sequence"], name="invoice_unique_sequence"),
            models.UniqueConstraint(fields=["library", "partner", "period_start", "currency"],
                                    condition=Q(kind="invoice") & ~Q(status=InvoiceStatus.VOID),
                                    name="invoice_once_per_partner_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def language(self) -> str:
        """The language its lines, PDF and e-mail are written in: the partner's, frozen when it was made (an invoice
        made before partners had a language has none: the site's default)."""
        return self.recipient_language or settings.LANGUAGE_CODE

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class InvoiceLine(models.Model):
    """One line of an invoice, copied from its charge when the invoice was made."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    request_number = models.CharField(max_length=20, blank=True)
    partner_reference = models.CharField(max_length=64, blank=True, help_text="The partner's request id.")
    description = models.CharField(max_length=300)
    service = models.CharField(max_length=12, choices=Service.choices)
    incurred_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_unique_position")]

    def __str__(self) -> str:
        return f"{self.invoice.number} #{self.position}: {self.amount}"


class Payment(models.Model):
    """Money received against an invoice; several make a partial payment whole."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    received_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.invoice.number}"
