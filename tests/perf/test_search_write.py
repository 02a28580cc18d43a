"""The staff search's write cost (bench/search_write.py) drops the trigram index for one round: it must leave the
index as it found it, and report rates it really measured."""

from __future__ import annotations

import pytest
from django.db import connection

from requests_app.models import IllRequest
from tests.factories import LibraryFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def search_write(postgres):
    from bench import bare, search_write

    bare._STATE.clear()
    MemberLibraryFactory(symbol="AAA")
    LibraryFactory()
    yield search_write
    bare._STATE.clear()


def _index() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'request_search_trgm_idx'")
        row = cursor.fetchone()
    return row[0] if row else None


def test_the_measure_leaves_the_trigram_index_as_it_found_it(search_write):
    before = _index()

    search_write.measure(seconds=0.2)

    assert before is not None and _index() == before


def test_the_measure_reports_the_rates_of_the_rows_it_wrote(search_write):
    result = search_write.measure(seconds=0.2)

    written = sum(r["transactions"] for r in result["with_index"]["rounds"]) + result["without_index"]["transactions"]
    assert written == IllRequest.objects.count() > 0
    assert result["cost_share"] == round(1 - result["with_index"]["per_second"] /
                                         result["without_index"]["per_second"], 3)
