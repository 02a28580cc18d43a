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

CURRENCY_VALIDATOR = RegexValidator(r"^[A-Z]{3}$", _("An ISO 4217 code: three capital letters, e.g. USD."))


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
                                   limit_choices_to={"is_member": True}, verbose_name=_("library"))
    passes_costs_to_patrons = models.BooleanField(
        default=False, help_text=_("Charge patrons what lenders charge us for their requests."),
        verbose_name=_("passes costs to patrons"))
    invoice_prefix = models.CharField(max_length=16, blank=True,
                                      help_text=_("Printed before invoice numbers; empty: the library's symbol."),
                                      verbose_name=_("invoice prefix"))
    last_invoice_sequence = models.PositiveIntegerField(default=0, editable=False,
                                                        verbose_name=_("last invoice sequence"))
    payment_terms_days = models.PositiveSmallIntegerField(default=30, verbose_name=_("payment terms days"))
    payment_instructions = models.TextField(blank=True, help_text=_("Printed on every invoice: bank, IFM, vouchers…"),
                                            verbose_name=_("payment instructions"))
    budget_warning_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Warn when this share of a budget is spent or committed."),
        verbose_name=_("budget warning percent"))

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return f"Billing settings of {self.library.symbol}"


class FeeSchedule(models.Model):
    """What a service costs between a member library and a partner (or any partner) for a time.

    ``direction`` receivable: what we charge the partner when we supply it; payable: what the
    partner charges us when it supplies us. An empty partner is the default for every partner.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="fee_schedules",
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    partner = models.ForeignKey(Library, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                help_text=_("Empty: every partner without a row of its own."),
                                verbose_name=_("partner"))
    direction = models.CharField(max_length=10, choices=[(Direction.RECEIVABLE, Direction.RECEIVABLE.label),
                                                         (Direction.PAYABLE, Direction.PAYABLE.label)],
                                 verbose_name=_("direction"))
    service = models.CharField(max_length=12, choices=Service.choices, verbose_name=_("service"))
    amount = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))],
                                 verbose_name=_("amount"))
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR], verbose_name=_("currency"))
    effective_from = models.DateField(verbose_name=_("effective from"))
    effective_to = models.DateField(null=True, blank=True, help_text=_("Last day it applies; empty: open-ended."),
                                    verbose_name=_("effective to"))

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    partner = models.ForeignKey(Library, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("partner"))
    patron = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="ill_charges", verbose_name=_("patron"))
    request = models.ForeignKey(IllRequest, on_delete=models.PROTECT, related_name="charges", verbose_name=_("request"))
    event = models.ForeignKey("requests_app.Event", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("event"))
    direction = models.CharField(max_length=10, choices=Direction.choices, verbose_name=_("direction"))
    service = models.CharField(max_length=12, choices=Service.choices, verbose_name=_("service"))
    key = models.CharField(max_length=64, blank=True, default="", verbose_name=_("key"))
    amount = models.DecimalField(max_digits=12, decimal_places=4, verbose_name=_("amount"))
    original_amount = models.DecimalField(max_digits=12, decimal_places=4, verbose_name=_("original amount"))
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR], verbose_name=_("currency"))
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.OPEN,
                              verbose_name=_("status"))
    note = models.CharField(max_length=200, blank=True, help_text=_("Why this amount: the schedule, reciprocity…"),
                            verbose_name=_("note"))
    fund = models.CharField(max_length=100, blank=True, help_text=_("Budget fund or department it is spent from."),
                            verbose_name=_("fund"))
    invoice = models.ForeignKey("Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="charges",
                                verbose_name=_("invoice"))
    settled_on = models.DateField(null=True, blank=True, verbose_name=_("settled on"))
    settlement_reference = models.CharField(max_length=100, blank=True, help_text=_("IFM month, cheque, voucher…"),
                                            verbose_name=_("settlement reference"))
    incurred_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("incurred at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
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

    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("charge"))
    action = models.CharField(max_length=10, choices=Action.choices, verbose_name=_("action"))
    old_amount = models.DecimalField(max_digits=12, decimal_places=4, verbose_name=_("old amount"))
    new_amount = models.DecimalField(max_digits=12, decimal_places=4, verbose_name=_("new amount"))
    reason = models.TextField(verbose_name=_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("actor"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("charge adjustment")
        verbose_name_plural = _("charge adjustments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.old_amount}→{self.new_amount}: {self.reason[:40]}"


class Budget(models.Model):
    """A member library's money for borrowing costs in one fiscal year, optionally for one fund."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="budgets",
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    fiscal_year = models.CharField(max_length=20, help_text=_("How the library names it, e.g. FY2026."),
                                   verbose_name=_("fiscal year"))
    fund = models.CharField(max_length=100, blank=True,
                            help_text=_("Department or fund; empty: the whole library's borrowing budget."),
                            verbose_name=_("fund"))
    starts_on = models.DateField(verbose_name=_("starts on"))
    ends_on = models.DateField(verbose_name=_("ends on"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))],
                                 verbose_name=_("amount"))
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR], verbose_name=_("currency"))

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR], help_text=_("The charge's currency."),
                                verbose_name=_("currency"))
    base_currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR],
                                     help_text=_("The budget's currency."), verbose_name=_("base currency"))
    rate = models.DecimalField(
        max_digits=18, decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"), _("The rate must be more than zero."))],
        help_text=_("One unit of the currency in the base currency, e.g. 1.0850 for EUR in USD."),
        verbose_name=_("rate"))
    valid_from = models.DateField(verbose_name=_("valid from"))
    source = models.CharField(max_length=100, blank=True, help_text=_("Where the rate comes from, e.g. the bank."),
                              verbose_name=_("source"))

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
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

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="invoices_issued",
                                verbose_name=_("library"))
    partner = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="invoices_received",
                                verbose_name=_("partner"))
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE,
                            verbose_name=_("kind"))
    credits = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes",
                                help_text=_("The invoice a credit note corrects."), verbose_name=_("credits"))
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))
    number = models.CharField(max_length=40, unique=True, verbose_name=_("number"))
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT,
                              verbose_name=_("status"))
    period_start = models.DateField(verbose_name=_("period start"))
    period_end = models.DateField(verbose_name=_("period end"))
    currency = models.CharField(max_length=3, validators=[CURRENCY_VALIDATOR], verbose_name=_("currency"))
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"), verbose_name=_("total"))
    # Frozen at creation: later edits of the directory do not change a sent invoice.
    issuer_name = models.CharField(max_length=200, verbose_name=_("issuer name"))
    issuer_address = models.TextField(verbose_name=_("issuer address"))
    issuer_email = models.EmailField(blank=True, verbose_name=_("issuer email"))
    recipient_name = models.CharField(max_length=200, verbose_name=_("recipient name"))
    recipient_address = models.TextField(verbose_name=_("recipient address"))
    recipient_email = models.EmailField(blank=True, verbose_name=_("recipient email"))
    recipient_symbol = models.CharField(max_length=32, verbose_name=_("recipient symbol"))
    recipient_language = models.CharField(
        max_length=10, blank=True,
        help_text=_("The partner's directory language when the invoice was made: its PDF and e-mail are written in "
                    "it; empty: the site's default."), verbose_name=_("recipient language"))
    payment_instructions = models.TextField(blank=True, verbose_name=_("payment instructions"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    issued_on = models.DateField(null=True, blank=True, verbose_name=_("issued on"))
    due_on = models.DateField(null=True, blank=True, verbose_name=_("due on"))
    pdf = models.FileField(upload_to="billing/invoices/", blank=True, verbose_name=_("pdf"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
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

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("charge"))
    request_number = models.CharField(max_length=20, blank=True, verbose_name=_("request number"))
    partner_reference = models.CharField(max_length=64, blank=True, help_text=_("The partner's request id."),
                                         verbose_name=_("partner reference"))
    description = models.CharField(max_length=300, verbose_name=_("description"))
    service = models.CharField(max_length=12, choices=Service.choices, verbose_name=_("service"))
    incurred_on = models.DateField(verbose_name=_("incurred on"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, verbose_name=_("amount"))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_unique_position")]

    def __str__(self) -> str:
        return f"{self.invoice.number} #{self.position}: {self.amount}"


class Payment(models.Model):
    """Money received against an invoice; several make a partial payment whole."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))],
                                 verbose_name=_("amount"))
    received_on = models.DateField(verbose_name=_("received on"))
    reference = models.CharField(max_length=100, blank=True, verbose_name=_("reference"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("recorded by"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.invoice.number}"
