"""Keyset batches: every row once, in order, one short query a batch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import Library
from requests_app.utilities.batches import keyset_batches, keyset_rows
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def test_every_row_comes_once_in_key_order_in_batches_of_the_size_asked():
    libraries = LibraryFactory.create_batch(7)
    batches = list(keyset_batches(Library.objects.all(), 3))
    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert [row.pk for batch in batches for row in batch] == sorted(library.pk for library in libraries)


def test_each_batch_is_one_query():
    LibraryFactory.create_batch(6)
    with CaptureQueriesContext(connection) as queries:
        batches = list(keyset_batches(Library.objects.all(), 3))
    assert len(batches) == 2
    assert len(queries) == 3  # two full batches and the empty look that ends the run


def test_a_composite_order_continues_after_the_last_row_with_ties_broken_by_the_key():
    for name in ["b", "a", "b", "a", "c"]:
        LibraryFactory(name=name)
    rows = list(keyset_rows(Library.objects.all(), 2, ("name", "pk")))
    assert [row.name for row in rows] == ["a", "a", "b", "b", "c"]
    assert len({row.pk for row in rows}) == 5


def test_rows_the_caller_takes_out_of_the_filter_are_not_met_again():
    LibraryFactory.create_batch(5, active=True)
    seen = []
    for batch in keyset_batches(Library.objects.filter(active=True), 2):
        seen += [row.pk for row in batch]
        Library.objects.filter(pk__in=[row.pk for row in batch]).update(active=False)
    assert len(seen) == len(set(seen)) == 5


def test_a_batch_of_no_rows_is_refused():
    with pytest.raises(ValueError, match="at least one row"):
        list(keyset_batches(Library.objects.all(), 0))
