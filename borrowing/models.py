"""The borrowing side's own tables: the rota, copyright records and the reminders sent."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from requests_app.models import CopyrightCompliance, IllRequest, Library


class RotaStatus(models.TextChoices):
    PENDING = "pending", "Waiting its turn"
    SENT = "sent", "Sent, awaiting answer"
    UNFILLED = "unfilled", "Unfilled"
    SKIPPED = "skipped", "Skipped"
    NO_ANSWER = "no_answer", "No answer in time"
    SUPPLIED = "supplied", "Supplied"


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
    DUE_SOON = "due_soon", "Due-date reminder"
    OVERDUE = "overdue", "Overdue notice"


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
