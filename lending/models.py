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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    title = models.CharField(max_length=500, verbose_name=_("title"))
    author = models.CharField(max_length=300, blank=True, verbose_name=_("author"))
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True)
    issn = models.CharField(_("ISSN"), max_length=9, blank=True)
    oclc_number = models.CharField(_("OCLC number"), max_length=12, blank=True)
    call_number = models.CharField(max_length=100, blank=True, verbose_name=_("call number"))
    location = models.CharField(max_length=100, blank=True, verbose_name=_("location"))
    barcode = models.CharField(_("item barcode"), max_length=50, blank=True)
    format = models.CharField(max_length=20, choices=HoldingFormat.choices, default=HoldingFormat.BOOK,
                              verbose_name=_("format"))
    circulates = models.BooleanField(default=True, help_text=_("May leave the building as a loan."),
                                     verbose_name=_("circulates"))
    copyable = models.BooleanField(default=True, help_text=_("May be scanned for a copy request."),
                                   verbose_name=_("copyable"))
    lendable = models.BooleanField(default=True, help_text=_("Offered to partners at all."), verbose_name=_("lendable"))
    title_key = models.CharField(max_length=200, editable=False, verbose_name=_("title key"))
    author_key = models.CharField(max_length=100, blank=True, editable=False, verbose_name=_("author key"))
    source_import = models.ForeignKey("HoldingsImport", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="holdings", verbose_name=_("source import"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
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

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="holdings_imports",
                                verbose_name=_("library"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))
    file = models.FileField(upload_to="lending/holdings-imports/%Y/%m/", verbose_name=_("file"))
    original_name = models.CharField(max_length=255, blank=True, verbose_name=_("original name"))
    file_format = models.CharField(max_length=10, choices=ImportFormat.choices, verbose_name=_("file format"))
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING,
                              verbose_name=_("status"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    processed = models.PositiveIntegerField(default=0, verbose_name=_("processed"))
    imported = models.PositiveIntegerField(default=0, verbose_name=_("imported"))
    failed = models.PositiveIntegerField(default=0, verbose_name=_("failed"))
    errors = models.JSONField(default=list, blank=True, help_text=_("[{record: n, reason: text}, …]"),
                              verbose_name=_("errors"))
    message = models.TextField(blank=True, help_text=_("Why the whole import failed, if it did."),
                               verbose_name=_("message"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("holdings import")
        verbose_name_plural = _("holdings imports")
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
                                   related_name="lending_detail", verbose_name=_("request"))
    holding = models.ForeignKey(Holding, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("holding"))
    match_kind = models.CharField(max_length=10, choices=MatchKind.choices, default=MatchKind.NONE,
                                  verbose_name=_("match kind"))
    warnings = models.JSONField(default=list, blank=True, help_text=_("Policy warnings for staff, as sentences."),
                                verbose_name=_("warnings"))
    checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("checked at"))
    shipping_method = models.CharField(max_length=20, blank=True, verbose_name=_("shipping method"))
    carrier = models.CharField(max_length=50, blank=True, verbose_name=_("carrier"))
    tracking_number = models.CharField(max_length=100, blank=True, verbose_name=_("tracking number"))
    shipped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("shipped at"))

    class Meta:
        verbose_name = _("lending detail")
        verbose_name_plural = _("lending details")
        indexes = [models.Index(fields=["match_kind"], name="lending_detail_match_idx")]

    def __str__(self) -> str:
        return f"L{self.request_id}: {self.get_match_kind_display()}"

    @property
    def is_held(self) -> bool:
        return self.holding_id is not None


class ElectronicDelivery(models.Model):
    """A scanned copy for the borrower, reached by a secret link that expires by time or downloads."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="electronic_deliveries",
                                verbose_name=_("request"))
    file = models.FileField(upload_to="lending/edelivery/%Y/%m/", max_length=300, verbose_name=_("file"))
    original_name = models.CharField(max_length=255, blank=True, verbose_name=_("original name"))
    size = models.PositiveBigIntegerField(default=0, verbose_name=_("size"))
    token = models.CharField(max_length=64, unique=True, verbose_name=_("token"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    max_downloads = models.PositiveIntegerField(verbose_name=_("max downloads"))
    download_count = models.PositiveIntegerField(default=0, verbose_name=_("download count"))
    reissue_count = models.PositiveSmallIntegerField(default=0, verbose_name=_("reissue count"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    deleted_at = models.DateTimeField(null=True, blank=True, help_text=_("When the expiry job deleted the file."),
                                      verbose_name=_("deleted at"))

    class Meta:
        verbose_name = _("electronic delivery")
        verbose_name_plural = _("electronic deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["deleted_at", "expires_at"], name="edelivery_expiry_idx")]

    def __str__(self) -> str:
        return f"Copy for L{self.request_id} ({self.download_count}/{self.max_downloads})"

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return self.deleted_at is None and self.expires_at > now and self.download_count < self.max_downloads


class DownloadLog(models.Model):
    delivery = models.ForeignKey(ElectronicDelivery, on_delete=models.CASCADE, related_name="downloads",
                                 verbose_name=_("delivery"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("ip"))
    user_agent = models.CharField(max_length=300, blank=True, verbose_name=_("user agent"))

    class Meta:
        verbose_name = _("download log")
        verbose_name_plural = _("download logs")
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
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    partner = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner"))
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
    note = models.CharField(max_length=300, blank=True, help_text=_("Shown to lending staff with the warnings."),
                            verbose_name=_("note"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("partner lending rule")
        verbose_name_plural = _("partner lending rules")
        ordering = ["library", "partner__symbol"]
        constraints = [
            models.UniqueConstraint(fields=["library", "partner"], name="partner_rule_unique_partner"),
            models.CheckConstraint(condition=~models.Q(library=models.F("partner")), name="partner_rule_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.library_id} → {self.partner_id}"
