"""``manage.py fetch_exchange_rates [--url URL | --file PATH]``: add the reference rates the budgets need now."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.rates import RatesError, fetch_reference_rates, parse_eurofxref
from billing.services import import_reference_rates


class Command(BaseCommand):
    help = ("Fetch reference exchange rates (ECB eurofxref format) and add the rates member libraries' budgets "
            "need for that day. Rates already there are kept.")

    def add_arguments(self, parser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--url", help="Where to fetch them (default: ILLMS_EXCHANGE_RATES_URL).")
        source.add_argument("--file", type=Path, help="A eurofxref document already downloaded.")

    def handle(self, *args, url: str | None = None, file: Path | None = None, **options) -> None:
        try:
            if file is not None:
                try:
                    data = file.read_bytes()
                except OSError as exc:
                    raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
                rates, origin = parse_eurofxref(data), file.name
            else:
                origin = url or settings.ILLMS_EXCHANGE_RATES_URL
                if not origin:
                    raise CommandError("Give --url or --file, or set ILLMS_EXCHANGE_RATES_URL.")
                rates = fetch_reference_rates(origin)
        except RatesError as exc:
            raise CommandError(str(exc)) from None
        added = import_reference_rates(rates, origin=origin)
        self.stdout.write(f"{added} exchange rate(s) added for {rates.day} ({len(rates.quotes)} currencies quoted).")
