"""The borrowing side's own tables: the rota, copyright records, the reminders sent, purchase on demand
(vendors, purchase rules, purchase orders) and commercial document suppliers (their prices and orders)."""

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


class SupplierSpeed(models.TextChoices):
    STANDARD = "standard", _("Standard")
    EXPRESS = "express", _("Express")


class SupplierChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    API = "api", _("API")


class DocumentSupplier(models.Model):
    """A commercial document supplier one member library buys copies from (British Library On Demand,
    Reprints Desk, Get It Now…): its prices, delivery times, copyright fee and how it takes orders.

    Beside the partner libraries, not in the directory: it lends nothing and speaks no ISO 18626. An order
    goes by e-mail (``order_email``) or to its API (``api_base_url``, ``borrowing.services.supplier_api``).
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="document_suppliers",
                                limit_choices_to={"is_member": True})
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32, help_text=_("Short name in the rota and on charges, e.g. BLOD."))
    active = models.BooleanField(_("active"), default=True)
    in_rota = models.BooleanField(
        _("in the rota for copies"), default=True,
        help_text=_("Ranked beside the partner libraries in the rota of article and chapter requests; when its "
                    "turn comes it is ordered from, as a lender is sent to. Unticked: staff order from it by hand."))
    country = models.CharField(_("country"), max_length=2, blank=True,
                               validators=[RegexValidator(r"^[A-Z]{2}$", _("An ISO 3166 code: two capital letters."))],
                               help_text=_("ISO 3166-1 alpha-2 code, for the rota's country part."))
    currency = models.CharField(_("currency"), max_length=3, default="USD",
                                validators=[RegexValidator(r"^[A-Z]{3}$", _("An ISO 4217 code: three capital "
                                                                            "letters, e.g. USD."))])
    account_number = models.CharField(_("our account number"), max_length=64,
                                      help_text=_("Our customer or account number at the supplier, sent with each "
                                                  "order."))
    order_email = models.EmailField(_("order e-mail"), blank=True,
                                    help_text=_("Orders are e-mailed here (when no API is set)."))
    api_base_url = models.URLField(_("API base URL"), max_length=300, blank=True,
                                   help_text=_("Orders go to its API instead of by e-mail."))
    api_key = models.TextField(_("API key"), blank=True, editable=False, help_text=_("Stored encrypted."))
    copyright_fee_included = models.BooleanField(
        _("copyright fee included"), default=True, help_text=_("Its prices include the copyright fee."))
    copyright_fee = models.DecimalField(
        _("copyright fee"), max_digits=9, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Added to each copy when the prices do not include it (unless a publisher's fee below "
                    "applies)."))
    publisher_fees = models.TextField(
        _("copyright fee by publisher"), blank=True,
        help_text=_("One “publisher = fee” a line, e.g. “Elsevier = 31.50”; a request whose publisher contains "
                    "the name pays that fee instead of the default."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("document supplier")
        verbose_name_plural = _("document suppliers")
        ordering = ["library", "name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "code"], name="document_supplier_unique_code"),
            models.CheckConstraint(condition=Q(copyright_fee__gte=0), name="document_supplier_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def channel(self) -> str:
        return SupplierChannel.API if self.api_base_url else SupplierChannel.EMAIL


class SupplierPrice(models.Model):
    """One line of a supplier's price list: what a copy of a format costs at a speed, and how long it takes."""

    supplier = models.ForeignKey(DocumentSupplier, on_delete=models.CASCADE, related_name="prices")
    format = models.CharField(_("format"), max_length=20,
                              choices=[(RequestFormat.ARTICLE, RequestFormat.ARTICLE.label),
                                       (RequestFormat.CHAPTER, RequestFormat.CHAPTER.label),
                                       (RequestFormat.CONFERENCE, RequestFormat.CONFERENCE.label)])
    speed = models.CharField(_("speed"), max_length=10, choices=SupplierSpeed.choices, default=SupplierSpeed.STANDARD)
    price = models.DecimalField(_("price"), max_digits=9, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])
    delivery_hours = models.PositiveIntegerField(_("delivery time (hours)"),
                                                 validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("supplier price")
        verbose_name_plural = _("supplier prices")
        ordering = ["supplier", "format", "speed"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "format", "speed"], name="supplier_price_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="supplier_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.format} {self.speed}: {self.price}"


class SupplierOrderStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class SupplierOrder(models.Model):
    """One order of a copy from a commercial supplier for a borrowing request: its price and fee as quoted when
    ordered, how it went (e-mail or API, the supplier's reference) and how it ended.

    At most one order of a request is open (``ordered``) at a time. The copy the supplier sends is kept in
    ``document`` and reaches the patron as a ``PatronDownload``.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="supplier_orders")
    supplier = models.ForeignKey(DocumentSupplier, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=10, choices=SupplierOrderStatus.choices, default=SupplierOrderStatus.ORDERED)
    channel = models.CharField(max_length=5, choices=SupplierChannel.choices)
    speed = models.CharField(max_length=10, choices=SupplierSpeed.choices, default=SupplierSpeed.STANDARD)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    copyright_fee = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    copyright_fee_included = models.BooleanField(default=False)
    currency = models.CharField(max_length=3)
    delivery_hours = models.PositiveIntegerField(null=True, blank=True)
    supplier_reference = models.CharField(max_length=100, blank=True, help_text="The supplier's order number.")
    #: The API call: waiting to be placed, placed (the supplier has it), or refused; e-mail orders skip it.
    api_placed_at = models.DateTimeField(null=True, blank=True)
    api_claimed_at = models.DateTimeField(null=True, blank=True)
    api_attempts = models.PositiveSmallIntegerField(default=0)
    api_next_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    document = models.FileField(upload_to="borrowing/supplier-copies/%Y/%m/", max_length=300, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    ordered_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=Q(status=SupplierOrderStatus.ORDERED),
                                    name="supplier_order_one_open_per_request"),
        ]
        indexes = [
            # The API job: orders still open at an API, due for their next call.
            models.Index(fields=["status", "channel", "api_next_at"], name="supplier_order_api_idx"),
            models.Index(fields=["supplier", "status"], name="supplier_order_supplier_idx"),
        ]

    def __str__(self) -> str:
        return f"B{self.request_id} from {self.supplier_id} ({self.status})"

    @property
    def total(self) -> Decimal:
        return self.price + (Decimal("0") if self.copyright_fee_included else self.copyright_fee)

    @property
    def is_open(self) -> bool:
        return self.status == SupplierOrderStatus.ORDERED


class RotaEntry(models.Model):
    """One candidate of a borrowing request's rota (lender string), in the order tried: a partner library
    (``lender``) or, for a copy, a commercial document supplier (``supplier``), never both."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="rota_entries")
    lender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    supplier = models.ForeignKey(DocumentSupplier, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
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
            models.CheckConstraint(condition=Q(lender__isnull=False, supplier__isnull=True)
                                   | Q(lender__isnull=True, supplier__isnull=False),
                                   name="rota_entry_lender_or_supplier"),
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
    def source(self) -> Library | DocumentSupplier:
        """Whom this entry asks: the partner library, or the document supplier."""
        return self.supplier if self.supplier_id else self.lender

    @property
    def source_code(self) -> str:
        return self.supplier.code if self.supplier_id else self.lender.symbol

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
    the ISO 18626 CopyCompleted message; a commercial supplier's copy is a file of ours (``document``).
    The patron never needs it from an e-mail: My requests shows a download button that counts the
    download here (30 days / 5 downloads by default, as Article Exchange does) and then sends the
    browser on to the lender's file (or sends ours). A new link from the lender (a re-issue) is a
    new row; the newest one is the one offered.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="patron_downloads")
    url = models.URLField("lender's link", max_length=1000, blank=True)
    #: A copy we hold ourselves (a commercial supplier's, uploaded or fetched from its API), served from our storage.
    document = models.FileField(upload_to="borrowing/supplier-copies/%Y/%m/", max_length=300, blank=True)
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
