"""``manage.py rotate_partner_credentials``: encrypt every stored partner credential with the first key of
``ILLMS_CREDENTIALS_KEY`` (after a new key was put first), so the old key can be dropped."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from requests_app.models import Library
from requests_app.partners import credentials


class Command(BaseCommand):
    help = "Re-encrypt the credentials we send to partners with the first key of ILLMS_CREDENTIALS_KEY."

    def handle(self, *args, **options) -> None:
        rotated, unreadable = 0, []
        with transaction.atomic():
            for library in Library.objects.exclude(outgoing_secret="").select_for_update().only(
                    "pk", "symbol", "outgoing_secret"):
                try:
                    token = credentials.rotate(library.outgoing_secret)
                except credentials.CredentialError:
                    unreadable.append(library.symbol)
                    continue
                Library.objects.filter(pk=library.pk).update(outgoing_secret=token)
                rotated += 1
            if unreadable:
                raise CommandError(f"No key of ILLMS_CREDENTIALS_KEY reads the credentials of {', '.join(unreadable)}"
                                   ": nothing was changed. Put the old key back in the list and run this again.")
        self.stdout.write(f"{rotated} partner credential(s) encrypted with the first key.")
