"""The borrowing side's own tables: the rota, copyright records, the reminders sent, and purchase on demand
(vendors, purchase rules, purchase orders)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import CopyrightCompliance, IllRequest, Library, PatronCategory, RequestFormat


class RotaStatus(models.TextChoices):
    PENDING = "pending", _("Waiting its turn")
    SENT = "sent", _("Sent, awaiting answer")
    UNFILLED = "unfilled", _("Unfilled")
    SKIPPED = "skipped", _("Skipped")
    NO_ANSWER = "no_answer", _("No answer in time")
    SUPPLIED = "supplied", _("Supplied")


#: An entry in one of these states has had its turn.
ROTA_CLOSED = frozenset({RotaStatus.UNFILLED, RotaStatus.SKIPPED, RotaStatus.NO_ANSWER, RotaStatus.SUPPLIED})


class RotaEntry(models.Model):
    """One candidate lender of a borrowing request's rota (lender string), in the order tried."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="rota_entries")
    lender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=RotaStatus.choices, default=RotaStatus.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was unfilled or skipped.")
    # Why the lender is in the rota and in this place, as ``build_rota`` found it (docs/sourcing.md); empty for a
    # lender staff added by hand.
    holdings_known = models.BooleanField(
        null=True, blank=True, help_text="Its catalogue (or a union catalogue) lists the item; False: holdings "
                                         "unknown, in the rota because its policy lends the format.")
    call_number = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True)
    available = models.BooleanField(null=True, blank=True, help_text="On the shelf, as its catalogue says.")
    availability = models.CharField(max_length=100, blank=True, help_text="The catalogue's own words.")
    holdings_source = models.CharField(max_length=32, blank=True, help_text="The catalogue that said it.")
    fee = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    fill_rate = models.FloatField(null=True, blank=True, help_text="Its fill rate for this format, 0 to 1.")
    turnaround_days = models.FloatField(null=True, blank=True, help_text="Its median turnaround for this format.")
    open_requests = models.PositiveIntegerField(null=True, blank=True, help_text="Our requests open with it.")
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="The score's parts, as sentences.")

    class Meta:
        verbose_name = "rota entry"
        verbose_name_plural = "rota entries"
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="rota_entry_unique_position"),
        ]
        indexes = [
            # The auto-advance job: entries sent and still waiting, oldest first.
            models.Index(fields=["status", "sent_at"], name="rota_entry_waiting_idx"),
            models.Index(fields=["lender", "status"], name="rota_entry_lender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} #{self.position}: {self.lender_id} ({self.status})"

    @property
    def is_closed(self) -> bool:
        return self.status in ROTA_CLOSED

    @property
    def is_pending(self) -> bool:
        """Waiting its turn: not yet sent to this lender."""
        return self.status == RotaStatus.PENDING

    @property
    def is_sent(self) -> bool:
        """With this lender now, waiting for its answer."""
        return self.status == RotaStatus.SENT


class CopyrightRecord(models.Model):
    """The copyright record of one copy request, for the rule of five and the three-year keeping.

    ``counted``: the article falls under the rule of five (published within the five years
    before the request). ``compliance`` is empty while the request awaits clearance.
    """

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, related_name="copyright_record")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    journal_key = models.CharField(max_length=300, help_text="The ISSN, or the normalised journal title.")
    journal_title = models.CharField(max_length=500, blank=True)
    request_year = models.PositiveSmallIntegerField()
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True)
    compliance = models.CharField(max_length=3, choices=CopyrightCompliance.choices, blank=True)
    counted = models.BooleanField(default=True, help_text="Counts towards the rule of five.")
    clearance_fee = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    clearance_currency = models.CharField(max_length=3, blank=True)
    exception_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["library", "journal_key", "request_year"], name="copyright_journal_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.journal_key} {self.request_year} ({self.compliance or 'awaiting'})"


class ReminderStage(models.TextChoices):
    DUE_SOON = "due_soon", _("Due-date reminder")
    OVERDUE = "overdue", _("Overdue notice")


class ReminderLog(models.Model):
    """A reminder sent: the row is written before the e-mail, so each loan gets each stage once.

    ``due_date`` is the patron due date the reminder was about: a renewed loan (a new due
    date) gets its own reminder.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=10, choices=ReminderStage.choices)
    due_date = models.DateField()
    sent_on = models.DateField()

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(fields=["request", "stage", "due_date"], name="reminder_once_per_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.stage} ({self.due_date})"


class PatronDownload(models.Model):
    """A lender's electronic copy as our patron reaches it: behind sign-in, with our own limits.

    The lender's link (an ILLMS ``/delivery/<token>/`` page, Article Exchange, …) reaches us in
    the ISO 18626 CopyCompleted message. The patron never needs it from an e-mail: My requests
    shows a download button that counts the download here (30 days / 5 downloads by default,
    as Article Exchange does) and then sends the browser on to the lender's file. A new link
    from the lender (a re-issue) is a new row; the newest one is the one offered.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="patron_downloads")
    url = models.URLField("lender's link", max_length=1000)
    received_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveIntegerField()
    download_count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["request", "-received_at"], name="patron_download_request_idx")]

    def __str__(self) -> str:
        return f"Copy for B{self.request_id} ({self.download_count}/{self.max_downloads})"

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return self.expires_at > now and self.download_count < self.max_downloads

    @property
    def downloads_left(self) -> int:
        return max(self.max_downloads - self.download_count, 0)


class ReturnShipment(models.Model):
    """How we sent a lender's item back: carrier and tracking number, told to the lender in the ShippedReturn note.

    One per request (a loan goes back once); written by ``loans.return_ship`` in the transition's transaction.
    """

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, related_name="return_shipment")
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"B{self.request_id} back by {self.carrier or 'post'} {self.tracking_number}".strip()

    @property
    def note(self) -> str:
        """What the lender reads in the ShippedReturn message: ``Shipped back by UPS, tracking 1Z999.``"""
        by = f" by {self.carrier}" if self.carrier else ""
        tracking = f", tracking {self.tracking_number}" if self.tracking_number else ""
        return f"Shipped back{by}{tracking}." if by or tracking else ""


# Purchase on demand ----------------------------------------------------------------------

CURRENCY_CODE = RegexValidator(r"^[A-Z]{3}$", _("An ISO 4217 code: three capital letters, e.g. EUR."))


class PurchaseVendor(models.Model):
    """A bookseller a member library buys from instead of borrowing: where its orders go and how we are known.

    Orders go by e-mail to ``order_email`` (a MARC order record and a CSV line attached); ``api_base_url`` names
    the vendor's ordering API where one is configured (``borrowing.services.vendor_clients``).
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="purchase_vendors",
                                limit_choices_to={"is_member": True})
    name = models.CharField(_("name"), max_length=200)
    order_email = models.EmailField(_("order e-mail"), help_text=_("Where purchase orders are sent."))
    account_number = models.CharField(_("account number"), max_length=64, blank=True,
                                      help_text=_("Our account with the vendor, printed on every order."))
    customer_id = models.CharField(_("our customer id"), max_length=64, blank=True,
                                   help_text=_("How the vendor knows us (its customer or SAN number)."))
    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY_CODE],
                                help_text=_("The currency of its prices, e.g. EUR."))
    api_base_url = models.URLField(_("API base URL"), blank=True,
                                   help_text=_("The vendor's ordering API, where it has one; empty: orders go "
                                               "by e-mail only."))
    active = models.BooleanField(_("active"), default=True, help_text=_("Untick to stop ordering from it."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["library", "name"]
        constraints = [models.UniqueConstraint(fields=["library", "name"], name="purchase_vendor_unique_name")]

    def __str__(self) -> str:
        return self.name


class PurchaseRule(models.Model):
    """When a member library buys a book instead of borrowing it: every criterion set must hold.

    Empty criteria do not restrict. ``max_price`` is compared with the vendor's quote for the copy (entered by
    staff when ordering, or given by the vendor's API), in ``currency``. Theses and dissertations are never
    bought under a rule that excludes them (the default): they are rarely for sale.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="purchase_rules",
                                limit_choices_to={"is_member": True})
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. “Recent books for faculty”."))
    active = models.BooleanField(_("enabled"), default=True)
    formats = models.JSONField(_("formats"), default=list, blank=True,
                               help_text=_("The kinds of item it buys; none ticked: any."))
    published_within_years = models.PositiveSmallIntegerField(
        _("published within (years)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Only items published this many years ago or less; empty: any year."))
    max_price = models.DecimalField(_("price at most"), max_digits=9, decimal_places=2, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0.01"))],
                                    help_text=_("The vendor's quote must be at most this; empty: any price."))
    currency = models.CharField(_("currency of the price"), max_length=3, blank=True,
                                help_text=_("Required with a price limit, e.g. EUR."))
    patron_categories = models.JSONField(_("patron categories"), default=list, blank=True,
                                         help_text=_("For these patrons only; none ticked: any patron."))
    exclude_theses = models.BooleanField(_("not for theses and dissertations"), default=True)
    fund = models.CharField(_("fund"), max_length=100, blank=True,
                            help_text=_("The budget fund purchases under this rule are spent from; empty: the "
                                        "patron's department."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["library", "name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "name"], name="purchase_rule_unique_name"),
            models.CheckConstraint(condition=Q(max_price__isnull=True) | ~Q(currency=""),
                                   name="purchase_rule_price_has_currency",
                                   violation_error_message=_("A price limit needs its currency.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def format_labels(self) -> str:
        labels = dict(RequestFormat.choices)
        return ", ".join(str(labels.get(value, value)) for value in self.formats)

    @property
    def category_labels(self) -> str:
        labels = dict(PatronCategory.choices)
        return ", ".join(str(labels.get(value, value)) for value in self.patron_categories)


class PurchaseOrder(models.Model):
    """What we ordered from a vendor for one request: a frozen copy of the order as it was sent.

    The MARC order record and the CSV line are written when the order is made and never change; the e-mail
    to the vendor attaches them. ``invoiced_price`` is the vendor's invoice at receipt, where it differs.
    """

    request = models.OneToOneField(IllRequest, on_delete=models.PROTECT, related_name="purchase_order")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(PurchaseVendor, on_delete=models.PROTECT, related_name="orders")
    rule = models.ForeignKey(PurchaseRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rule_name = models.CharField(max_length=100, blank=True, help_text="The rule that allowed it, as named then.")
    number = models.CharField(max_length=40, unique=True)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[CURRENCY_CODE])
    fund = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="The patron-hold note printed on the order.")
    marc_record = models.BinaryField(help_text="The MARC 21 order record sent (ISO 2709).")
    csv_text = models.TextField(help_text="The CSV sent: a header and the order's line.")
    invoiced_price = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    invoice_number = models.CharField(max_length=64, blank=True)
    ordered_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-ordered_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
