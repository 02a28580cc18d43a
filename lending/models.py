"""Lending's own tables: our holdings, their imports, what the availability check found, e-delivery links."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import IllRequest, Library

_LEADING_ARTICLES = ("the ", "a ", "an ", "der ", "die ", "das ", "le ", "la ", "les ", "el ", "los ")


def title_key(title: str) -> str:
    """A title reduced for matching: accents, case, punctuation and a leading article dropped."""
    text = unicodedata.normalize("NFKD", title or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = " ".join(re.sub(r"[^\w\s]|_", " ", text).split())
    for article in _LEADING_ARTICLES:
        if text.startswith(article):
            text = text[len(article):]
            break
    return text[:200]


def author_key(author: str) -> str:
    """The author's surname for matching: the part before a comma, otherwise the last word."""
    text = title_key(author)
    raw = unicodedata.normalize("NFKD", author or "")
    if "," in raw:
        text = title_key(raw.split(",", 1)[0])
        return text.split()[-1] if text else ""
    words = text.split()
    return words[-1] if words else ""


class HoldingFormat(models.TextChoices):
    BOOK = "book", _("Book")
    SERIAL = "serial", _("Journal or serial")
    THESIS = "thesis", _("Thesis")
    AUDIOVISUAL = "audiovisual", _("Audio-visual")
    MICROFORM = "microform", _("Microform")
    MAP = "map", _("Map")
    SCORE = "score", _("Music score")
    OTHER = "other", _("Other")


class Holding(models.Model):
    """One item (or title) a member library holds, as imported from its catalogue."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="holdings",
                                limit_choices_to={"is_member": True})
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    isbn = models.CharField("ISBN", max_length=13, blank=True)
    issn = models.CharField("ISSN", max_length=9, blank=True)
    oclc_number = models.CharField("OCLC number", max_length=12, blank=True)
    call_number = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=100, blank=True)
    barcode = models.CharField("item barcode", max_length=50, blank=True)
    format = models.CharField(max_length=20, choices=HoldingFormat.choices, default=HoldingFormat.BOOK)
    circulates = models.BooleanField(default=True, help_text="May leave the building as a loan.")
    copyable = models.BooleanField(default=True, help_text="May be scanned for a copy request.")
    lendable = models.BooleanField(default=True, help_text="Offered to partners at all.")
    title_key = models.CharField(max_length=200, editable=False)
    author_key = models.CharField(max_length=100, blank=True, editable=False)
    source_import = models.ForeignKey("HoldingsImport", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="holdings")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["library", "isbn"], name="holding_isbn_idx"),
            models.Index(fields=["library", "issn"], name="holding_issn_idx"),
            models.Index(fields=["library", "oclc_number"], name="holding_oclc_idx"),
            models.Index(fields=["library", "title_key"], name="holding_title_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title[:60]} ({self.call_number or 'no call number'})"

    def save(self, *args, **kwargs) -> None:
        self.fill_keys()
        super().save(*args, **kwargs)

    def fill_keys(self) -> None:
        """Compute the matching keys (``bulk_create`` skips ``save``, so importers call this)."""
        self.title_key = title_key(self.title)
        self.author_key = author_key(self.author)[:100]


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    MARC = "marc", _("MARC 21 (binary, .mrc)")
    MARCXML = "marcxml", "MARCXML"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class HoldingsImport(models.Model):
    """One uploaded holdings file and how its import went (the progress bar reads this row)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="holdings_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    file = models.FileField(upload_to="lending/holdings-imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=10, choices=ImportFormat.choices)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{record: n, reason: text}, …]")
    message = models.TextField(blank=True, help_text="Why the whole import failed, if it did.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name or self.file.name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class MatchKind(models.TextChoices):
    ISBN = "isbn", _("ISBN")
    ISSN = "issn", _("ISSN")
    OCLC = "oclc", _("OCLC number")
    TITLE = "title", _("Title and author")
    NONE = "none", _("Not held")


class LendingDetail(models.Model):
    """Lending's side table of a request: what the availability check found, and shipping details."""

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, primary_key=True,
                                   related_name="lending_detail")
    holding = models.ForeignKey(Holding, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    match_kind = models.CharField(max_length=10, choices=MatchKind.choices, default=MatchKind.NONE)
    warnings = models.JSONField(default=list, blank=True, help_text="Policy warnings for staff, as sentences.")
    checked_at = models.DateTimeField(null=True, blank=True)
    shipping_method = models.CharField(max_length=20, blank=True)
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["match_kind"], name="lending_detail_match_idx")]

    def __str__(self) -> str:
        return f"L{self.request_id}: {self.get_match_kind_display()}"

    @property
    def is_held(self) -> bool:
        return self.holding_id is not None


class ElectronicDelivery(models.Model):
    """A scanned copy for the borrower, reached by a secret link that expires by time or downloads."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="electronic_deliveries")
    file = models.FileField(upload_to="lending/edelivery/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveIntegerField()
    download_count = models.PositiveIntegerField(default=0)
    reissue_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="When the expiry job deleted the file.")

    class Meta:
        verbose_name_plural = "electronic deliveries"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["deleted_at", "expires_at"], name="edelivery_expiry_idx")]

    def __str__(self) -> str:
        return f"Copy for L{self.request_id} ({self.download_count}/{self.max_downloads})"

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return self.deleted_at is None and self.expires_at > now and self.download_count < self.max_downloads


class DownloadLog(models.Model):
    delivery = models.ForeignKey(ElectronicDelivery, on_delete=models.CASCADE, related_name="downloads")
    at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M}"


class PartnerLendingRule(models.Model):
    """What one member library lends to one partner, when it differs from what it lends to everyone.

    Edited by the library's ILL administrator on ``/policies/``. The rule never refuses by
    itself: the availability check turns it into warnings staff read before answering (and
    automatic renewals are not granted against it).
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="partner_lending_rules",
                                limit_choices_to={"is_member": True})
    partner = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    lends_loans = models.BooleanField(
        _("lend returnables"), default=True,
        help_text=_("Untick to stop sending books and other returnables to this partner."))
    lends_copies = models.BooleanField(_("supply copies"), default=True,
                                       help_text=_("Untick to stop supplying articles and chapters to this partner."))
    max_loans_outstanding = models.PositiveIntegerField(
        _("most loans out at once"), null=True, blank=True,
        help_text=_("Empty: our general limit applies."))
    loan_period_days = models.PositiveSmallIntegerField(
        _("loan period (days)"), null=True, blank=True,
        help_text=_("Empty: our usual loan period applies."))
    block_unpaid_after_days = models.PositiveSmallIntegerField(
        _("warn when an invoice is unpaid for (days)"), null=True, blank=True,
        help_text=_("Warn staff when this partner has one of our invoices unpaid this many days past its due date. "
                    "Empty: do not check."))
    note = models.CharField(max_length=300, blank=True, help_text=_("Shown to lending staff with the warnings."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["library", "partner__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["library", "partner"], name="partner_rule_unique_partner"),
            models.CheckConstraint(condition=~models.Q(library=models.F("partner")), name="partner_rule_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.library_id} → {self.partner_id}"
