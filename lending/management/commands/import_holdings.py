"""Import a holdings file for a member library from the command line (same service as the staff page)."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from requests_app.models import Library
from requests_app.workflow import WorkflowError

from ...models import HoldingsImport, ImportFormat
from ...services.holdings import run_import, start_import

_BY_SUFFIX = {".csv": ImportFormat.CSV, ".mrc": ImportFormat.MARC, ".marc": ImportFormat.MARC,
              ".xml": ImportFormat.MARCXML}


class Command(BaseCommand):
    help = "Import holdings (CSV, MARC 21 or MARCXML) for a member library, in this process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("library", help="The member library's symbol.")
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=ImportFormat.values, help="Default: from the file name.")

    def handle(self, *args, library: str, path: Path, format: str | None = None, **options) -> None:
        member = Library.objects.filter(symbol__iexact=library, is_member=True).first()
        if member is None:
            raise CommandError(f"No member library {library}.")
        file_format = format or _BY_SUFFIX.get(path.suffix.lower())
        if file_format is None:
            raise CommandError("Say --format csv, marc or marcxml.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            job = start_import(library=member, upload=SimpleUploadedFile(path.name, data), file_format=file_format,
                               queue=False)
        except WorkflowError as exc:
            raise CommandError(exc.message) from exc
        run_import(job.pk)
        job = HoldingsImport.objects.get(pk=job.pk)
        for error in job.errors:
            self.stderr.write(f"record {error['record']}: {error['reason']}")
        if job.message:
            raise CommandError(job.message)
        self.stdout.write(f"{job.imported} of {job.total} records imported, {job.failed} with errors.")
