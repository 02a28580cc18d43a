"""Reference exchange rates: read from the ECB's eurofxref format, fetched over HTTP, added where budgets need them."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import Direction, ExchangeRate
from billing.rates import RatesError, fetch_reference_rates, parse_eurofxref
from billing.services import add_exchange_rate, import_reference_rates
from billing.tasks import fetch_exchange_rates
from borrowing.states import BorrowingStatus
from tests.factories import IllRequestFactory, MemberLibraryFactory

from .factories import BudgetFactory, ReceivableFactory

DAY = dt.date(2026, 11, 27)
TODAY = dt.date(2026, 11, 29)

#: As the ECB publishes it (eurofxref-daily.xml), with four of its currencies.
EUROFXREF = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time='2026-11-27'>
      <Cube currency='USD' rate='1.0500'/>
      <Cube currency='JPY' rate='160.12'/>
      <Cube currency='GBP' rate='0.8400'/>
      <Cube currency='CAD' rate='1.4700'/>
    </Cube>
  </Cube>
</gesmes:Envelope>"""


def payable(library, currency, *, incurred_at=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)):
    return ReceivableFactory(request=IllRequestFactory(library=library, status=BorrowingStatus.RECEIVED),
                             direction=Direction.PAYABLE, currency=currency, incurred_at=incurred_at)


def usd_budget_charged_in(*currencies, incurred_at=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)):
    """A member library with a budget in US dollars and a payable in each of ``currencies``."""
    library = MemberLibraryFactory()
    BudgetFactory(library=library, currency="USD")
    for currency in currencies:
        payable(library, currency, incurred_at=incurred_at)
    return library


# Reading ------------------------------------------------------------------------------------

def test_the_day_and_each_quote_of_a_eurofxref_document_are_read():
    rates = parse_eurofxref(EUROFXREF)
    assert (rates.day, rates.base) == (DAY, "EUR")
    assert rates.quotes == {"USD": Decimal("1.0500"), "JPY": Decimal("160.12"), "GBP": Decimal("0.8400"),
                            "CAD": Decimal("1.4700")}


def test_cross_rates_go_through_the_euro_to_eight_places():
    rates = parse_eurofxref(EUROFXREF)
    assert rates.rate("EUR", "USD") == Decimal("1.05000000")
    assert rates.rate("USD", "EUR") == Decimal("0.95238095")
    assert rates.rate("GBP", "USD") == Decimal("1.25000000")
    assert rates.rate("CHF", "USD") is None and rates.rate("USD", "USD") is None


def test_a_cross_rate_too_small_to_store_is_not_offered():
    rates = parse_eurofxref(EUROFXREF.replace(b"rate='160.12'", b"rate='900000000'"))
    assert rates.rate("JPY", "EUR") is None
    assert rates.rate("EUR", "JPY") == Decimal("900000000.00000000")


@pytest.mark.parametrize(("document", "says"), [
    (b"not xml at all", "not XML"),
    (b"<rates><rate currency='USD'>1.05</rate></rates>", "one day"),
    (EUROFXREF.replace(b"2026-11-27", b"27/11/2026"), "not a date"),
    (EUROFXREF.replace(b"rate='1.0500'", b"rate='one'"), "not a number"),
    (EUROFXREF.replace(b"rate='0.8400'", b"rate='-0.84'"), "not more than zero"),
    (EUROFXREF.replace(b"currency='CAD'", b"currency='C$'"), "not a currency code"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "DOCTYPE"),
])
def test_a_document_that_is_not_eurofxref_is_refused_with_the_reason(document, says):
    with pytest.raises(RatesError, match=says):
        parse_eurofxref(document)


# Adding the rates budgets need --------------------------------------------------------------

@pytest.mark.django_db
def test_a_library_gets_a_rate_for_each_foreign_currency_it_was_charged_in_into_its_budget_currency():
    usd_budget_charged_in("EUR", "GBP", "USD")

    added = import_reference_rates(parse_eurofxref(EUROFXREF), origin="https://bank.example/rates.xml", today=TODAY)

    assert added == 2
    assert {(r.currency, r.base_currency, r.rate, r.valid_from) for r in ExchangeRate.objects.all()} == {
        ("EUR", "USD", Decimal("1.05000000"), DAY), ("GBP", "USD", Decimal("1.25000000"), DAY)}
    assert ExchangeRate.objects.first().source == "Reference rates of 2026-11-27: https://bank.example/rates.xml"


@pytest.mark.django_db
def test_nothing_is_added_for_a_library_without_foreign_charges_or_budgets_or_for_old_charges():
    no_budget, old_only, same_currency = MemberLibraryFactory(), MemberLibraryFactory(), MemberLibraryFactory()
    payable(no_budget, "EUR")
    BudgetFactory(library=old_only, currency="USD")
    payable(old_only, "EUR", incurred_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    BudgetFactory(library=same_currency, currency="USD")
    payable(same_currency, "USD")

    assert import_reference_rates(parse_eurofxref(EUROFXREF), origin="test", today=TODAY) == 0
    assert not ExchangeRate.objects.exists()


@pytest.mark.django_db
def test_importing_the_same_day_twice_adds_nothing_and_keeps_a_rate_staff_entered():
    library = usd_budget_charged_in("EUR", "CAD")
    add_exchange_rate(library=library, currency="EUR", base_currency="USD", rate=Decimal("1.1"), valid_from=DAY,
                      source="Our bank")
    rates = parse_eurofxref(EUROFXREF)

    assert import_reference_rates(rates, origin="test", today=TODAY) == 1  # CAD only
    assert import_reference_rates(rates, origin="test", today=TODAY) == 0
    assert ExchangeRate.objects.get(currency="EUR").rate == Decimal("1.1")
    assert ExchangeRate.objects.count() == 2


@pytest.mark.django_db
def test_a_currency_the_document_does_not_quote_is_left_to_staff():
    usd_budget_charged_in("AUD")
    assert import_reference_rates(parse_eurofxref(EUROFXREF), origin="test", today=TODAY) == 0


@pytest.mark.django_db
def test_the_rates_are_found_in_a_constant_number_of_queries(django_assert_num_queries):
    for currency in ("EUR", "GBP", "CAD", "JPY"):
        usd_budget_charged_in(currency)
    with django_assert_num_queries(4):  # budgets, charges, rates already there, one insert
        assert import_reference_rates(parse_eurofxref(EUROFXREF), origin="test", today=TODAY) == 4


# Fetching over HTTP ---------------------------------------------------------------------------

class _Bank(http.server.BaseHTTPRequestHandler):
    status, body = 200, EUROFXREF

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(self.status)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def bank():
    """A local stand-in for the bank's server, answering what ``_Bank`` says."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Bank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/eurofxref-daily.xml"
    server.shutdown()
    server.server_close()
    _Bank.status, _Bank.body = 200, EUROFXREF


def test_the_rates_are_fetched_over_http(bank):
    assert fetch_reference_rates(bank).quotes["JPY"] == Decimal("160.12")


def test_a_server_error_is_a_rates_error(bank):
    _Bank.status = 503
    with pytest.raises(RatesError, match="HTTP 503"):
        fetch_reference_rates(bank)


@pytest.mark.django_db
def test_the_daily_task_adds_the_fetched_rates(bank, settings):
    settings.ILLMS_EXCHANGE_RATES_URL = bank
    usd_budget_charged_in("JPY", incurred_at=dt.datetime.now(dt.UTC))
    assert fetch_exchange_rates() == 1
    assert ExchangeRate.objects.get().rate == Decimal("0.00655758")


@pytest.mark.django_db
def test_the_daily_task_changes_nothing_when_the_document_is_bad_or_no_url_is_set(bank, settings, caplog):
    usd_budget_charged_in("EUR", incurred_at=dt.datetime.now(dt.UTC))
    settings.ILLMS_EXCHANGE_RATES_URL = ""
    assert fetch_exchange_rates() == 0
    settings.ILLMS_EXCHANGE_RATES_URL = bank
    _Bank.body = b"<html>Maintenance</html>"
    assert fetch_exchange_rates() == 0
    assert not ExchangeRate.objects.exists()
    assert "Exchange rates not fetched" in caplog.text


@pytest.mark.django_db
def test_the_command_reads_a_downloaded_file(tmp_path):
    usd_budget_charged_in("EUR", incurred_at=dt.datetime.now(dt.UTC))
    path = tmp_path / "eurofxref-daily.xml"
    path.write_bytes(EUROFXREF)
    out = StringIO()
    call_command("fetch_exchange_rates", "--file", str(path), stdout=out)
    assert "1 exchange rate(s) added for 2026-11-27 (4 currencies quoted)" in out.getvalue()


@pytest.mark.django_db
def test_the_command_says_why_it_added_nothing(tmp_path, settings):
    settings.ILLMS_EXCHANGE_RATES_URL = ""
    with pytest.raises(CommandError, match="Give --url or --file"):
        call_command("fetch_exchange_rates")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("fetch_exchange_rates", "--file", str(tmp_path / "missing.xml"))
    (tmp_path / "bad.xml").write_bytes(b"<x/>")
    with pytest.raises(CommandError, match="one day"):
        call_command("fetch_exchange_rates", "--file", str(tmp_path / "bad.xml"))
