"""Compiles the translations in ``LOCALE_PATHS`` (``locale/<lang>/LC_MESSAGES/*.po``) to the ``.mo`` files Django reads.

``make install`` runs it, so a checkout serves its languages without compiled files in the repository. It does
the job of Django's ``compilemessages`` for our own catalogues only (not those of installed packages): with
GNU ``msgfmt`` (Debian's ``gettext`` package) when it is installed, checking format strings as
``compilemessages`` does; without it with polib, in pure Python, and it says so. A catalogue whose ``.mo`` is
newer than its ``.po`` is left alone; each ``.mo`` is written beside under another name and moved into place,
so a process reading it never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogues() -> list[Path]:
    """Every ``.po`` file of our own locale directories."""
    return sorted(po for base in settings.LOCALE_PATHS for po in Path(base).glob("*/LC_MESSAGES/*.po"))


def compile_catalogue(po: Path, *, msgfmt: str | None) -> None:
    """``po`` to its ``.mo`` beside it, with ``msgfmt`` when given, else polib."""
    mo = po.with_suffix(".mo")
    handle, temporary = tempfile.mkstemp(dir=po.parent, prefix=".", suffix=".mo")
    os.close(handle)
    try:
        if msgfmt:
            result = subprocess.run([msgfmt, "--check-format", "-o", temporary, str(po)],
                                    capture_output=True, text=True)
            if result.returncode:
                raise CommandError(f"{po}: {result.stderr.strip()}")
        else:
            import polib

            polib.pofile(str(po)).save_as_mofile(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def compile_all(*, force: bool = False, msgfmt: str | None = None) -> list[Path]:
    """Compile the catalogues that changed (all with ``force``); returns the ones compiled."""
    compiled = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            compile_catalogue(po, msgfmt=msgfmt)
            compiled.append(po)
    return compiled


class Command(BaseCommand):
    help = "Compiles locale/*/LC_MESSAGES/*.po to .mo files (msgfmt when installed, else pure Python)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Compile every catalogue, changed or not.")

    def handle(self, *args, force: bool = False, **options) -> None:
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            self.stdout.write("msgfmt (Debian's gettext package) is not installed: compiling the translations "
                              "with polib instead, without msgfmt's format checks.")
        compiled = compile_all(force=force, msgfmt=msgfmt)
        self.stdout.write(f"Translations: {len(compiled)} catalogue(s) compiled, "
                          f"{len(catalogues()) - len(compiled)} already up to date.")
