"""Remove patron identity from borrowing requests completed or cancelled longer ago than their library's retention.

The daily Celery beat job runs the same service; this command is for a first run, a cron
without Celery, or checking what the purge would do (``--dry-run``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app import privacy


class Command(BaseCommand):
    help = ("Purge patron identity from borrowing requests final for longer than their library's retention "
            "(policy, else ILLMS_PATRON_DATA_RETENTION_DAYS).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the requests due; change nothing.")
        parser.add_argument("--batch-size", type=int, default=privacy.DEFAULT_BATCH_SIZE,
                            help="Requests per transaction (default %(default)s).")

    def handle(self, *args, dry_run: bool = False, batch_size: int = privacy.DEFAULT_BATCH_SIZE, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        counts = privacy.purge_patron_identity(batch_size=batch_size, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{counts['requests']} request(s) final for longer than their library's retention "
                              "would lose their patron's identity (dry run: nothing changed).")
            return
        self.stdout.write(f"Purged the patron identity of {counts['requests']} request(s) final for longer than "
                          "their library's retention: " + ", ".join(
                              f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if k != "requests") + ".")
