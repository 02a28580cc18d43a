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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
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
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

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

    supplier = models.ForeignKey(DocumentSupplier, on_delete=models.CASCADE, related_name="prices",
                                 verbose_name=_("supplier"))
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

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="supplier_orders",
                                verbose_name=_("request"))
    supplier = models.ForeignKey(DocumentSupplier, on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("supplier"))
    status = models.CharField(max_length=10, choices=SupplierOrderStatus.choices, default=SupplierOrderStatus.ORDERED,
                              verbose_name=_("status"))
    channel = models.CharField(max_length=5, choices=SupplierChannel.choices, verbose_name=_("channel"))
    speed = models.CharField(max_length=10, choices=SupplierSpeed.choices, default=SupplierSpeed.STANDARD,
                             verbose_name=_("speed"))
    price = models.DecimalField(max_digits=9, decimal_places=2, verbose_name=_("price"))
    copyright_fee = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"),
                                        verbose_name=_("copyright fee"))
    copyright_fee_included = models.BooleanField(default=False, verbose_name=_("copyright fee included"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    delivery_hours = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("delivery hours"))
    supplier_reference = models.CharField(max_length=100, blank=True, help_text=_("The supplier's order number."),
                                          verbose_name=_("supplier reference"))
    #: The API call: waiting to be placed, placed (the supplier has it), or refused; e-mail orders skip it.
    api_placed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("api placed at"))
    api_claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("api claimed at"))
    api_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("api attempts"))
    api_next_at = models.DateTimeField(null=True, blank=True, verbose_name=_("api next at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    document = models.FileField(upload_to="borrowing/supplier-copies/%Y/%m/", max_length=300, blank=True,
                                verbose_name=_("document"))
    failure_reason = models.CharField(max_length=200, blank=True, verbose_name=_("failure reason"))
    ordered_at = models.DateTimeField(default=timezone.now, verbose_name=_("ordered at"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))

    class Meta:
        verbose_name = _("supplier order")
        verbose_name_plural = _("supplier orders")
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

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="rota_entries",
                                verbose_name=_("request"))
    lender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                               verbose_name=_("lender"))
    supplier = models.ForeignKey(DocumentSupplier, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                 verbose_name=_("supplier"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    status = models.CharField(max_length=10, choices=RotaStatus.choices, default=RotaStatus.PENDING,
                              verbose_name=_("status"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))
    reason = models.CharField(max_length=200, blank=True, help_text=_("Why it was unfilled or skipped."),
                              verbose_name=_("reason"))
    # Why the lender is in the rota and in this place, as ``build_rota`` found it (docs/sourcing.md); empty for a
    # lender staff added by hand.
    holdings_known = models.BooleanField(
        null=True, blank=True, help_text=_("Its catalogue (or a union catalogue) lists the item; False: holdings "
                                           "unknown, in the rota because its policy lends the format."),
        verbose_name=_("holdings known"))
    call_number = models.CharField(max_length=100, blank=True, verbose_name=_("call number"))
    location = models.CharField(max_length=100, blank=True, verbose_name=_("location"))
    available = models.BooleanField(null=True, blank=True, help_text=_("On the shelf, as its catalogue says."),
                                    verbose_name=_("available"))
    availability = models.CharField(max_length=100, blank=True, help_text=_("The catalogue's own words."),
                                    verbose_name=_("availability"))
    holdings_source = models.CharField(max_length=32, blank=True, help_text=_("The catalogue that said it."),
                                       verbose_name=_("holdings source"))
    fee = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, verbose_name=_("fee"))
    fill_rate = models.FloatField(null=True, blank=True, help_text=_("Its fill rate for this format, 0 to 1."),
                                  verbose_name=_("fill rate"))
    turnaround_days = models.FloatField(null=True, blank=True, help_text=_("Its median turnaround for this format."),
                                        verbose_name=_("turnaround days"))
    open_requests = models.PositiveIntegerField(null=True, blank=True, help_text=_("Our requests open with it."),
                                                verbose_name=_("open requests"))
    score = models.FloatField(null=True, blank=True, verbose_name=_("score"))
    reasons = models.JSONField(default=list, blank=True, help_text=_("The score's parts, as sentences."),
                               verbose_name=_("reasons"))

    class Meta:
        verbose_name = _("rota entry")
        verbose_name_plural = _("rota entries")
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

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, related_name="copyright_record",
                                   verbose_name=_("request"))
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", verbose_name=_("library"))
    journal_key = models.CharField(max_length=300, help_text=_("The ISSN, or the normalised journal title."),
                                   verbose_name=_("journal key"))
    journal_title = models.CharField(max_length=500, blank=True, verbose_name=_("journal title"))
    request_year = models.PositiveSmallIntegerField(verbose_name=_("request year"))
    publication_year = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("publication year"))
    compliance = models.CharField(max_length=3, choices=CopyrightCompliance.choices, blank=True,
                                  verbose_name=_("compliance"))
    counted = models.BooleanField(default=True, help_text=_("Counts towards the rule of five."),
                                  verbose_name=_("counted"))
    clearance_fee = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True,
                                        verbose_name=_("clearance fee"))
    clearance_currency = models.CharField(max_length=3, blank=True, verbose_name=_("clearance currency"))
    exception_note = models.TextField(blank=True, verbose_name=_("exception note"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    cleared_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cleared at"))

    class Meta:
        verbose_name = _("copyright record")
        verbose_name_plural = _("copyright records")
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

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="reminders",
                                verbose_name=_("request"))
    stage = models.CharField(max_length=10, choices=ReminderStage.choices, verbose_name=_("stage"))
    due_date = models.DateField(verbose_name=_("due date"))
    sent_on = models.DateField(verbose_name=_("sent on"))

    class Meta:
        verbose_name = _("reminder log")
        verbose_name_plural = _("reminder logs")
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

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="patron_downloads",
                                verbose_name=_("request"))
    url = models.URLField(_("lender's link"), max_length=1000, blank=True)
    #: A copy we hold ourselves (a commercial supplier's, uploaded or fetched from its API), served from our storage.
    document = models.FileField(upload_to="borrowing/supplier-copies/%Y/%m/", max_length=300, blank=True,
                                verbose_name=_("document"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    max_downloads = models.PositiveIntegerField(verbose_name=_("max downloads"))
    download_count = models.PositiveIntegerField(default=0, verbose_name=_("download count"))
    last_downloaded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last downloaded at"))

    class Meta:
        verbose_name = _("patron download")
        verbose_name_plural = _("patron downloads")
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

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, related_name="return_shipment",
                                   verbose_name=_("request"))
    carrier = models.CharField(max_length=50, blank=True, verbose_name=_("carrier"))
    tracking_number = models.CharField(max_length=100, blank=True, verbose_name=_("tracking number"))
    shipped_at = models.DateTimeField(default=timezone.now, verbose_name=_("shipped at"))

    class Meta:
        verbose_name = _("return shipment")
        verbose_name_plural = _("return shipments")

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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
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
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("purchase vendor")
        verbose_name_plural = _("purchase vendors")
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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
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
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("purchase rule")
        verbose_name_plural = _("purchase rules")
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

    request = models.OneToOneField(IllRequest, on_delete=models.PROTECT, related_name="purchase_order",
                                   verbose_name=_("request"))
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", verbose_name=_("library"))
    vendor = models.ForeignKey(PurchaseVendor, on_delete=models.PROTECT, related_name="orders",
                               verbose_name=_("vendor"))
    rule = models.ForeignKey(PurchaseRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("rule"))
    rule_name = models.CharField(max_length=100, blank=True, help_text=_("The rule that allowed it, as named then."),
                                 verbose_name=_("rule name"))
    number = models.CharField(max_length=40, unique=True, verbose_name=_("number"))
    quantity = models.PositiveSmallIntegerField(default=1, verbose_name=_("quantity"))
    unit_price = models.DecimalField(max_digits=9, decimal_places=2, verbose_name=_("unit price"))
    currency = models.CharField(max_length=3, validators=[CURRENCY_CODE], verbose_name=_("currency"))
    fund = models.CharField(max_length=100, blank=True, verbose_name=_("fund"))
    note = models.CharField(max_length=300, blank=True, help_text=_("The patron-hold note printed on the order."),
                            verbose_name=_("note"))
    marc_record = models.BinaryField(help_text=_("The MARC 21 order record sent (ISO 2709)."),
                                     verbose_name=_("marc record"))
    csv_text = models.TextField(help_text=_("The CSV sent: a header and the order's line."), verbose_name=_("csv text"))
    invoiced_price = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True,
                                         verbose_name=_("invoiced price"))
    invoice_number = models.CharField(max_length=64, blank=True, verbose_name=_("invoice number"))
    ordered_at = models.DateTimeField(default=timezone.now, verbose_name=_("ordered at"))
    received_at = models.DateTimeField(null=True, blank=True, verbose_name=_("received at"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed at"))
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("ordered by"))

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-ordered_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
