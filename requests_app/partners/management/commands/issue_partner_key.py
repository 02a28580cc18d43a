"""``manage.py issue_partner_key SYMBOL``: issue an API key for a partner library and print it (shown once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.models import Library
from requests_app.partners.keys import issue_api_key


class Command(BaseCommand):
    help = ("Issue an API key for the partner library SYMBOL and print it once: the partner sends it as "
            "“Authorization: Bearer <key>” or as the password of HTTP Basic (user: SYMBOL).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("symbol", help="The partner's symbol in the directory.")
        parser.add_argument("--name", default="ILL system", help="What the key is for (default: “ILL system”).")

    def handle(self, *args, symbol: str, name: str, **options) -> None:
        library = Library.objects.filter(symbol__iexact=symbol.strip()).first()
        if library is None:
            raise CommandError(f"No library has the symbol {symbol!r}.")
        if not library.active:
            raise CommandError(f"{library.symbol} is inactive: its keys would not be accepted.")
        key, raw = issue_api_key(library=library, name=name)
        self.stdout.write(raw)
        self.stderr.write(f"Key {key.prefix}… for {library.symbol} ({name}): copy it now, it is not shown again.")
