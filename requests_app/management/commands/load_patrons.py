"""Load a patron file for a member library from the command line, in this process (the same service as the page)."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from requests_app.identity import loads
from requests_app.models import Library, PatronLoad, PatronLoadFormat, PatronMatchKey

_BY_SUFFIX = {".csv": PatronLoadFormat.CSV, ".tsv": PatronLoadFormat.CSV, ".txt": PatronLoadFormat.CSV,
              ".json": PatronLoadFormat.JSON, ".jsonl": PatronLoadFormat.JSON}


class Command(BaseCommand):
    help = "Load patrons (CSV or JSON) for a member library, in this process; the load is listed on its page."

    def add_arguments(self, parser) -> None:
        parser.add_argument("library", help="The member library's symbol.")
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=PatronLoadFormat.values, help="Default: from the file name.")
        parser.add_argument("--match", choices=PatronMatchKey.values, default=PatronMatchKey.BARCODE,
                            help="Match patrons by library card (default) or institutional id.")
        parser.add_argument("--update-only", action="store_true", help="Create no patrons; update known ones.")

    def handle(self, *args, library: str, path: Path, format: str | None = None, match: str = "barcode",
               update_only: bool = False, **options) -> None:
        member = Library.objects.filter(symbol__iexact=library, is_member=True).first()
        if member is None:
            raise CommandError(f"No member library {library}.")
        file_format = format or _BY_SUFFIX.get(path.suffix.lower())
        if file_format is None:
            raise CommandError("Say --format csv or json.")
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        with handle:
            try:
                load = loads.start_load(library=member, upload=File(handle, name=path.name), file_format=file_format,
                                        match_key=match, create_missing=not update_only, queue=False)
            except loads.LoadFileError as exc:
                raise CommandError(exc.message) from exc
        loads.run_load(load.pk)
        load = PatronLoad.objects.get(pk=load.pk)
        label = loads.line_label(load).lower()
        for error in load.errors.all()[:1000]:
            self.stderr.write(f"{label} {error.line}, {error.field or '-'}: {error.message}")
        if load.message:
            raise CommandError(load.message)
        self.stdout.write(f"{load.processed} of {load.total} records read: {load.created} created, {load.updated} "
                          f"updated, {load.unchanged} unchanged, {load.skipped} skipped, {load.failed} with errors; "
                          f"{load.stopped} newly expired or blocked.")
