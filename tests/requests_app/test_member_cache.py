"""Our active member libraries by symbol, kept per process for the partner doors (requests_app/partners/members.py):
what a partner's create asks is found without a query, and a library changed in this process is read afresh."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.partners import members
from requests_app.partners.members import active_member
from tests.factories import LibraryFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db


def queries_of(call) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured.captured_queries)


def test_an_active_member_is_found_by_its_symbol():
    library = MemberLibraryFactory(symbol="OURS")

    assert active_member("OURS").pk == library.pk


def test_a_member_asked_again_is_answered_without_a_query():
    MemberLibraryFactory(symbol="OURS")
    active_member("OURS")

    found, queries = queries_of(lambda: active_member("OURS"))

    assert (found.symbol, queries) == ("OURS", 0)


def test_each_caller_gets_a_copy_of_its_own():
    MemberLibraryFactory(symbol="OURS", name="Our library")
    active_member("OURS").name = "Changed by one caller"

    assert active_member("OURS").name == "Our library"


@pytest.mark.parametrize("symbol", ["NOPE", "PARTNER", "ASLEEP"])
def test_a_symbol_of_no_active_member_library_is_none(symbol):
    LibraryFactory(symbol="PARTNER")
    MemberLibraryFactory(symbol="ASLEEP", active=False)

    assert active_member(symbol) is None


def test_a_symbol_not_found_is_not_kept_so_a_library_added_later_is_found_at_once():
    assert active_member("NEW") is None
    MemberLibraryFactory(symbol="NEW")

    assert active_member("NEW") is not None


def test_a_library_switched_off_in_this_process_is_refused_at_once():
    library = MemberLibraryFactory(symbol="OURS")
    active_member("OURS")

    library.active = False
    library.save()

    assert active_member("OURS") is None


def test_a_library_renamed_in_this_process_is_no_longer_found_by_its_old_symbol():
    library = MemberLibraryFactory(symbol="OLD")
    active_member("OLD")

    library.symbol = "NEW"
    library.save()

    assert (active_member("OLD"), active_member("NEW").pk) == (None, library.pk)


def test_an_entry_older_than_the_cache_seconds_is_read_again(monkeypatch):
    MemberLibraryFactory(symbol="OURS")
    clock = [1000.0]
    monkeypatch.setattr(members.time, "monotonic", lambda: clock[0])
    active_member("OURS")

    clock[0] += members._cache_seconds() + 1
    _, queries = queries_of(lambda: active_member("OURS"))

    assert queries == 1


def test_with_no_cache_seconds_every_look_up_is_a_query(settings):
    settings.ILLMS_API_KEY_CACHE_SECONDS = 0
    MemberLibraryFactory(symbol="OURS")
    active_member("OURS")

    _, queries = queries_of(lambda: active_member("OURS"))

    assert queries == 1
