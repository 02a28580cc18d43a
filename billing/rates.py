"""Reference exchange rates from a central bank: the client that fetches and reads them.

Budgets count a charge in another currency at the library's exchange rate of the day it was
incurred (``ExchangeRate``). Staff can enter those rates by hand; with ``ILLMS_EXCHANGE_RATES_URL``
set, a daily job also fetches reference rates and adds the ones the libraries need
(``billing.services.import_reference_rates``).

The document read is the European Central Bank's ``eurofxref`` format: the ECB's own daily file
(``https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml``) or a finance office's copy of
it. It quotes what one euro buys in about thirty currencies on one day; any pair of them is a
cross rate. Reading is strict: a document that is not that format changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from lxml import etree

from requests_app.utilities.outgoing_http import FetchError, fetch

from .money import normalize_currency

ECB_NAMESPACE = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
#: The stored precision of ``ExchangeRate.rate``.
RATE_PLACES = Decimal("0.00000001")
MAX_RATE = Decimal(10) ** 10
MAX_DOCUMENT_BYTES = 1_000_000


class RatesError(Exception):
    """The rates could not be fetched or read; the message says why."""


@dataclass(frozen=True)
class ReferenceRates:
    """What one unit of ``base`` bought in each currency of ``quotes`` on ``day``."""

    day: dt.date
    base: str
    quotes: dict[str, Decimal]

    def rate(self, currency: str, base_currency: str) -> Decimal | None:
        """One unit of ``currency`` in ``base_currency`` (a cross rate), or ``None`` if either is not quoted
        (or the rate does not fit the column: zero at eight places, or ten digits before the point)."""
        known = {**self.quotes, self.base: Decimal(1)}
        if currency not in known or base_currency not in known or currency == base_currency:
            return None
        rate = (known[base_currency] / known[currency]).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
        return rate if 0 < rate < MAX_RATE else None  # what ExchangeRate.rate can store


def parse_eurofxref(data: bytes) -> ReferenceRates:
    """The rates of an ECB ``eurofxref`` document. Raises ``RatesError`` for anything else."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RatesError(f"The rates document is larger than {MAX_DOCUMENT_BYTES} bytes.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RatesError(f"The rates document is not XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise RatesError("The rates document declares a DOCTYPE; it is not read.")
    days = root.findall(f"{{{ECB_NAMESPACE}}}Cube/{{{ECB_NAMESPACE}}}Cube[@time]")
    if len(days) != 1:
        raise RatesError(f"Expected the reference rates of one day (eurofxref format); found {len(days)} days.")
    try:
        day = dt.date.fromisoformat(days[0].get("time"))
    except ValueError:
        raise RatesError(f"The day {days[0].get('time')!r} is not a date (YYYY-MM-DD).") from None
    quotes: dict[str, Decimal] = {}
    for cube in days[0].findall(f"{{{ECB_NAMESPACE}}}Cube"):
        code, text = cube.get("currency", ""), cube.get("rate", "")
        try:
            currency = normalize_currency(code)
        except ValueError:
            raise RatesError(f"{code!r} is not a currency code.") from None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise RatesError(f"The rate of {currency} ({text!r}) is not a number.") from None
        if not value.is_finite() or value <= 0:
            raise RatesError(f"The rate of {currency} ({text!r}) is not more than zero.")
        quotes[currency] = value
    if not quotes:
        raise RatesError(f"The document quotes no currency for {day}.")
    return ReferenceRates(day=day, base="EUR", quotes=quotes)


def fetch_reference_rates(url: str) -> ReferenceRates:
    """Fetch and read the rates document at ``url``, waiting ``ILLMS_PARTNER_TIMEOUT_SECONDS`` at most.

    Raises ``RatesError``.
    """
    try:
        data = fetch(url, headers={"Accept": "application/xml, text/xml"}, max_bytes=MAX_DOCUMENT_BYTES)
    except FetchError as exc:
        raise RatesError(str(exc)) from exc
    return parse_eurofxref(data)
