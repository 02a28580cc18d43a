"""The SRU client: CQL built safely, answers read with a hardened parser, and a real Zebra catalogue asked."""

from __future__ import annotations

import time

import pytest

from requests_app.directory import sru
from tests.catalogue_servers import KUHN, NATURE_ISSN, QUOTED_TITLE


def test_a_quote_a_backslash_and_a_wildcard_in_a_title_are_searched_for_not_obeyed():
    assert sru.cql_term('say "hi" \\ *all? ^x') == r'"say \"hi\" \\ \*all\? \^x"'


def test_control_characters_cannot_break_out_of_a_term():
    assert sru.cql_term('a"\n or dc.title=*') == r'"a\" or dc.title=\*"'


def test_an_isbn_is_searched_in_both_its_forms():
    assert sru.build_cql(isbn="0-226-45808-3") == 'bath.isbn="9780226458083" or bath.isbn="0226458083"'


def test_an_invalid_isbn_falls_back_to_title_and_author():
    assert sru.build_cql(isbn="12345", title="The Structure of Scientific Revolutions", author="Kuhn, Thomas") == (
        'dc.title all "Structure Scientific Revolutions" and dc.creator all "Kuhn"')


def test_identifiers_are_searched_together():
    assert sru.build_cql(issn="00280836", oclc_number="ocm00012345") == (
        'bath.issn="0028-0836" or bath.standardIdentifier="(OCoLC)12345"')


def test_an_item_with_nothing_to_search_by_is_refused():
    with pytest.raises(ValueError):
        sru.build_cql(isbn="not one", title="  --  ")


ANSWER_1_2 = b"""<?xml version="1.0"?>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.2</zs:version>
<zs:numberOfRecords>1</zs:numberOfRecords><zs:records><zs:record><zs:recordSchema>marcxml</zs:recordSchema>
<zs:recordPacking>string</zs:recordPacking><zs:recordData>&lt;record xmlns="http://www.loc.gov/MARC21/slim"&gt;
&lt;leader&gt;00000nam a2200000 a 4500&lt;/leader&gt;
&lt;datafield tag="245" ind1="0" ind2="0"&gt;&lt;subfield code="a"&gt;Escaped /&lt;/subfield&gt;&lt;/datafield&gt;
&lt;datafield tag="AVA" ind1=" " ind2=" "&gt;&lt;subfield code="a"&gt;01ALMA&lt;/subfield&gt;
&lt;subfield code="d"&gt;QA1 .B2&lt;/subfield&gt;&lt;subfield code="e"&gt;unavailable&lt;/subfield&gt;&lt;/datafield&gt;
&lt;/record&gt;</zs:recordData></zs:record></zs:records></zs:searchRetrieveResponse>"""


def test_a_record_packed_as_a_string_is_read_with_its_alma_availability():
    result = sru.parse_response(ANSWER_1_2)
    assert result.total == 1
    [record] = result.records
    assert record.title == "Escaped"
    assert record.holdings == (sru.HoldingStatement(holder="01ALMA", call_number="QA1 .B2", available=False,
                                                    status="unavailable"),)


def test_an_answer_with_a_doctype_is_refused_before_any_entity_is_expanded():
    laughs = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>&b;</zs:numberOfRecords>
</zs:searchRetrieveResponse>"""
    with pytest.raises(sru.SruError) as caught:
        sru.parse_response(laughs)
    assert caught.value.code == "malformed"


def test_an_external_entity_is_never_read():
    secret = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:numberOfRecords>0</zs:numberOfRecords>
<zs:diagnostics><d:diagnostic xmlns:d="http://www.loc.gov/zing/srw/diagnostic/"><d:message>&x;</d:message>
</d:diagnostic></zs:diagnostics></zs:searchRetrieveResponse>"""
    with pytest.raises(sru.SruError):
        sru.parse_response(secret)


@pytest.mark.parametrize("body", [b"", b"<html>Not found</html>", b"<unclosed", b"\xff\xfe garbage"])
def test_what_is_not_an_sru_answer_is_a_clear_error(body):
    with pytest.raises(sru.SruError) as caught:
        sru.parse_response(body)
    assert caught.value.code == "malformed"


def test_a_fatal_diagnostic_is_an_error_naming_it():
    body = b"""<zs:searchRetrieveResponse xmlns:zs="http://docs.oasis-open.org/ns/search-ws/sruResponse">
<zs:diagnostics><d:diagnostic xmlns:d="http://docs.oasis-open.org/ns/search-ws/diagnostic">
<d:uri>info:srw/diagnostic/1/16</d:uri><d:details>bath.isbn</d:details><d:message>Unsupported index</d:message>
</d:diagnostic></zs:diagnostics></zs:searchRetrieveResponse>"""
    with pytest.raises(sru.SruError) as caught:
        sru.parse_response(body)
    assert caught.value.code == "diagnostic"
    assert "Unsupported index (bath.isbn)" in caught.value.message


# Against a real Zebra server --------------------------------------------------------------------------------------

def test_zebra_finds_a_book_by_isbn_over_sru_1_2_with_its_holders_in_852(zebra_catalogue):
    result = sru.search_retrieve(base_url=zebra_catalogue.url("union"), query=sru.build_cql(isbn=KUHN))
    [record] = result.records
    assert record.title == "The structure of scientific revolutions"
    assert record.author == "Kuhn, Thomas S."
    assert record.oclc_numbers == ("1",)
    assert [(h.holder, h.call_number, h.available) for h in record.holdings] == [
        ("BBB", "Q175 .K95 1970", False), ("US-CCC", "Q175 .K95", None)]


def test_zebra_answers_sru_2_0_too(zebra_catalogue):
    result = sru.search_retrieve(base_url=zebra_catalogue.url("union"), query=sru.build_cql(issn=NATURE_ISSN),
                                 version="2.0")
    assert [h.holder for h in result.records[0].holdings] == ["US-CCC", "DE-1a"]


def test_zebra_finds_a_title_with_quotes_and_a_star_by_title_and_author(zebra_catalogue):
    query = sru.build_cql(title=QUOTED_TITLE, author="Quinn Writer")
    result = sru.search_retrieve(base_url=zebra_catalogue.url("union"), query=query)
    assert [r.title for r in result.records] == [QUOTED_TITLE]


def test_dublin_core_records_are_read_with_their_identifiers(zebra_catalogue):
    result = sru.search_retrieve(base_url=zebra_catalogue.url("aaa"), query=sru.build_cql(isbn=KUHN), schema="dc")
    [record] = result.records
    assert (record.title, record.author, record.isbns[0], record.holdings) == (
        "The structure of scientific revolutions", "Kuhn, Thomas S.", KUHN, ())


def test_koha_items_in_952_are_read_as_holdings(zebra_catalogue):
    result = sru.search_retrieve(base_url=zebra_catalogue.url("ccc"), query=sru.build_cql(isbn=KUHN))
    assert result.records[0].holdings == (sru.HoldingStatement(holder="CCC", location="Science",
                                                               call_number="Q175 .K95 1996", available=True,
                                                               status="Available"),)


def test_an_unsupported_schema_at_zebra_is_a_diagnostic_error(zebra_catalogue):
    with pytest.raises(sru.SruError) as caught:
        sru.search_retrieve(base_url=zebra_catalogue.url("union"), query=sru.build_cql(isbn=KUHN), schema="mods")
    assert caught.value.code == "diagnostic"


def test_a_catalogue_that_never_answers_is_a_timeout_within_the_limit(silent_catalogue):
    started = time.monotonic()
    with pytest.raises(sru.SruError) as caught:
        sru.search_retrieve(base_url=silent_catalogue.url, query=sru.build_cql(isbn=KUHN), timeout=0.5)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 2
