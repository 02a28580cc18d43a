"""``manage.py rotate_partner_credentials``: encrypt every stored partner credential (and every library's NCIP
secret) with the first key of
``ILLMS_CREDENTIALS_KEY`` (after a new key was put first), so the old key can be dropped."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from requests_app.models import Library, NcipConnection
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
            # The libraries' ILS secrets (NCIP) are encrypted with the same keys.
            for connection in NcipConnection.objects.exclude(secret="").select_for_update().select_related(
                    "library").only("pk", "secret", "library__symbol"):
                try:
                    token = credentials.rotate(connection.secret)
                except credentials.CredentialError:
                    unreadable.append(f"{connection.library.symbol} (NCIP)")
                    continue
                NcipConnection.objects.filter(pk=connection.pk).update(secret=token)
                rotated += 1
            if unreadable:
                raise CommandError(f"No key of ILLMS_CREDENTIALS_KEY reads the credentials of {', '.join(unreadable)}"
                                   ": nothing was changed. Put the old key back in the list and run this again.")
        self.stdout.write(f"{rotated} partner credential(s) encrypted with the first key.")
