"""Who holds an item: every configured catalogue asked at once, within a hard limit, answers cached."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError

from requests_app.directory import holdings
from requests_app.models import SruRecordSchema, SruVersion, parse_holder_symbols
from tests.catalogue_servers import KUHN, NATURE_ISSN, ONLY_NOBODY
from tests.factories import LibraryFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(zebra_catalogue):
    """Our member library, AAA and CCC with catalogues of their own, BBB and a German library, and the union."""
    return {
        "us": MemberLibraryFactory(symbol="US"),
        "aaa": LibraryFactory(symbol="AAA", agency_id_type="ISIL", agency_id_value="US-AAA",
                              sru_base_url=zebra_catalogue.url("aaa")),
        "bbb": LibraryFactory(symbol="BBB"),
        "ccc": LibraryFactory(symbol="CCC", agency_id_type="ISIL", agency_id_value="US-CCC",
                              sru_base_url=zebra_catalogue.url("ccc"), sru_version=SruVersion.V2_0),
        "berlin": LibraryFactory(symbol="BERLIN", country="DE"),
        "union": LibraryFactory(symbol="UNION", lends_loans=False, lends_copies=False,
                                sru_base_url=zebra_catalogue.url("union"), sru_union_catalogue=True,
                                sru_holder_symbols="DE-1A = BERLIN\n# the Staatsbibliothek\n"),
    }


def test_a_book_is_held_by_the_libraries_every_catalogue_names(directory):
    lookup = holdings.find_holdings(requester=directory["us"], isbn=KUHN)
    assert lookup.holder_ids == {directory["aaa"].pk, directory["bbb"].pk, directory["ccc"].pk}
    assert sorted(lookup.answered) == ["AAA", "CCC", "UNION"]
    assert lookup.unknown == {}


def test_each_holding_keeps_its_call_number_and_availability(directory):
    lookup = holdings.find_holdings(requester=directory["us"], isbn=KUHN)
    aaa = lookup.holding_for(directory["aaa"].pk)
    bbb = lookup.holding_for(directory["bbb"].pk)
    assert (aaa.source, aaa.call_number, aaa.location, aaa.available) == ("AAA", "Q175 .K95 1970", "Stacks", True)
    assert (bbb.source, bbb.call_number, bbb.available, bbb.status) == ("UNION", "Q175 .K95 1970", False, "On loan")


def test_a_union_catalogue_code_is_mapped_by_its_line_or_matched_to_an_isil(directory):
    lookup = holdings.find_holdings(requester=directory["us"], issn=NATURE_ISSN)
    assert lookup.holder_ids == {directory["ccc"].pk, directory["berlin"].pk}


def test_a_holder_no_directory_entry_knows_is_reported_not_invented(directory):
    lookup = holdings.find_holdings(requester=directory["us"], isbn=ONLY_NOBODY)
    assert lookup.holder_ids == set()
    assert lookup.unmatched_codes == ["XX-NOBODY"]


def test_the_requesting_library_does_not_search_its_own_catalogue_as_a_partner(directory, zebra_catalogue):
    lookup = holdings.find_holdings(requester=directory["aaa"], isbn=KUHN)
    assert "AAA" not in lookup.answered


def test_a_catalogue_that_never_answers_is_unknown_and_the_others_still_count(directory, silent_catalogue):
    LibraryFactory(symbol="SLOW", sru_base_url=silent_catalogue.url)
    started = time.monotonic()
    lookup = holdings.find_holdings(requester=directory["us"], isbn=KUHN, time_limit=1.0)
    assert time.monotonic() - started < 1.8
    assert list(lookup.unknown) == ["SLOW"]
    assert directory["aaa"].pk in lookup.holder_ids


def test_answers_are_cached_so_a_second_look_up_asks_no_catalogue(directory, monkeypatch):
    holdings.find_holdings(requester=directory["us"], isbn=KUHN)
    monkeypatch.setattr(holdings, "_ask", lambda *args: pytest.fail("a catalogue was asked again"))
    again = holdings.find_holdings(requester=directory["us"], isbn=KUHN)
    assert again.holder_ids == {directory["aaa"].pk, directory["bbb"].pk, directory["ccc"].pk}


def test_a_catalogue_that_did_not_answer_is_asked_again_next_time(directory, silent_catalogue, zebra_catalogue):
    slow = LibraryFactory(symbol="SLOW", sru_base_url=silent_catalogue.url)
    holdings.find_holdings(requester=directory["us"], isbn=KUHN, time_limit=0.5)
    slow.sru_base_url = zebra_catalogue.url("aaa")
    slow.save()
    assert slow.pk in holdings.find_holdings(requester=directory["us"], isbn=KUHN).holder_ids


def test_a_dublin_core_catalogue_holds_what_it_finds(directory):
    directory["aaa"].sru_record_schema = SruRecordSchema.DC
    directory["aaa"].save()
    lookup = holdings.find_holdings(requester=directory["us"], isbn=KUHN)
    assert lookup.holding_for(directory["aaa"].pk).call_number == ""


def test_a_look_up_costs_two_queries_however_many_catalogues(directory, django_assert_num_queries, zebra_catalogue):
    for n in range(5):
        LibraryFactory(symbol=f"EXTRA{n}", sru_base_url=zebra_catalogue.url("aaa"))
    with django_assert_num_queries(2):
        holdings.find_holdings(requester=directory["us"], isbn=KUHN)


def test_an_item_with_nothing_to_search_by_asks_no_one(directory, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert holdings.find_holdings(requester=directory["us"], title="", isbn="x").answered == []


def test_a_holder_mapping_line_without_an_equals_sign_is_refused_with_its_line_number():
    with pytest.raises(ValidationError, match="Line 2"):
        parse_holder_symbols("DE-1a = BERLIN\nDE-12 BERLIN2\n")
