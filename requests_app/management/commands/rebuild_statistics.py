"""Recompute the monthly statistics rollup.

The hourly Celery beat job recomputes only the months touched since its last run; this command
recomputes every month of every member library (after an upgrade, a restore, a bulk load, or a change
of a library's time zone), or with ``--touched`` does what the hourly job does.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app import rollups


class Command(BaseCommand):
    help = ("Recompute the monthly statistics rollup: every month (default), or only the months touched since "
            "the last run.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--touched", action="store_true",
                            help="Only the months touched since the last run, as the hourly job does.")

    def handle(self, *args, touched: bool = False, **options) -> None:
        result = rollups.refresh(full=not touched)
        if result.get("skipped"):
            raise CommandError("Another run of the statistics rollup is in progress; nothing was done.")
        self.stdout.write(f"Statistics rollup: {result['months']} library-month(s) recomputed, "
                          f"{result['cells']} cell(s) written.")
