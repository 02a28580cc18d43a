"""Our holdings at /sru: explain, searchRetrieve with CQL, MARCXML and Dublin Core, diagnostics, paging."""

from __future__ import annotations

import pytest
from django.urls import reverse
from lxml import etree

from requests_app.directory import holdings as partner_holdings
from requests_app.directory import sru as sru_client
from tests.factories import LibraryFactory, MemberLibraryFactory
from tests.lending.factories import HoldingFactory

pytestmark = pytest.mark.django_db

ZS = {"zs": "http://www.loc.gov/zing/srw/", "d": "http://www.loc.gov/zing/srw/diagnostic/",
      "zr": "http://explain.z3950.org/dtd/2.0/"}


@pytest.fixture
def library():
    return MemberLibraryFactory(symbol="DEMO", agency_id_type="ISIL", agency_id_value="US-DEMO")


@pytest.fixture
def kuhn(library):
    return HoldingFactory(library=library, title="The Structure of Scientific Revolutions", author="Kuhn, Thomas S.",
                          isbn="9780226458083", oclc_number="1234", call_number="Q175 .K95 1970")


def ask(client_, **params) -> etree._Element:
    response = client_.get(reverse("lending:sru"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return etree.fromstring(response.content)


def diagnostic(root: etree._Element) -> str:
    return root.findtext(".//d:uri", namespaces=ZS) or root.findtext(
        ".//{http://docs.oasis-open.org/ns/search-ws/diagnostic}uri")


def test_explain_lists_our_indexes_and_schemas(client):
    root = ask(client)
    indexes = {(n.get("set"), n.text) for n in root.iterfind(".//zr:index/zr:map/zr:name", namespaces=ZS)}
    assert {("bath", "isbn"), ("bath", "issn"), ("rec", "id"), ("dc", "title"), ("dc", "creator")} <= indexes
    assert {s.get("name") for s in root.iterfind(".//zr:schema", namespaces=ZS)} == {"marcxml", "dc"}


def test_a_book_is_found_by_isbn_as_marcxml_with_its_852(client, kuhn):
    result = client_parse(ask(client, operation="searchRetrieve", version="1.2", query="bath.isbn=0226458083"))
    [record] = result.records
    assert record.title == "The Structure of Scientific Revolutions"
    assert record.holdings == (sru_client.HoldingStatement(holder="US-DEMO", location="Main stacks",
                                                       call_number="Q175 .K95 1970", available=True,
                                                       status="Available"),)


def client_parse(root: etree._Element) -> sru_client.SruResult:
    return sru_client.parse_response(etree.tostring(root))


def test_title_and_creator_words_are_searched_together(client, kuhn, library):
    HoldingFactory(library=library, title="Scientific Revolutions Revisited", author="Other, Ann")
    result = client_parse(ask(client, operation="searchRetrieve",
                              query='dc.title all "scientific revolutions" and dc.creator=kuhn'))
    assert [r.title for r in result.records] == [kuhn.title]


def test_rec_id_finds_one_record_and_dublin_core_carries_its_identifiers(client, kuhn):
    root = ask(client, operation="searchRetrieve", query=f"rec.id={kuhn.pk}", recordSchema="dc")
    assert root.findtext(".//{http://purl.org/dc/elements/1.1/}title") == kuhn.title
    assert "URN:ISBN:9780226458083" in [e.text for e in root.iter("{http://purl.org/dc/elements/1.1/}identifier")]


def test_sru_2_0_answers_in_its_own_namespace(client, kuhn):
    response = client.get(reverse("lending:sru"), {"version": "2.0", "query": "bath.isbn=9780226458083"})
    assert b"http://docs.oasis-open.org/ns/search-ws/sruResponse" in response.content
    assert len(client_parse(etree.fromstring(response.content)).records) == 1


def test_what_partners_may_not_borrow_is_not_shown(client, library):
    HoldingFactory(library=library, title="Secret reserve", lendable=False)
    HoldingFactory(library=LibraryFactory(symbol="NOTOURS"), title="Secret reserve")
    assert client_parse(ask(client, query='dc.title="secret reserve"')).total == 0


@pytest.mark.parametrize(("params", "uri"), [
    ({"query": "bath.subject=physics"}, "info:srw/diagnostic/1/16"),
    ({"query": "dc.title within physics"}, "info:srw/diagnostic/1/19"),
    ({"query": "dc.title = (unbalanced"}, "info:srw/diagnostic/1/10"),
    ({"query": "dc.title=phys*"}, "info:srw/diagnostic/1/28"),
    ({"query": "dc.title=physics prox dc.title=x"}, "info:srw/diagnostic/1/37"),
    ({"query": "dc.title=x", "recordSchema": "mods"}, "info:srw/diagnostic/1/66"),
    ({"query": "dc.title=x", "startRecord": "zero"}, "info:srw/diagnostic/1/6"),
    ({"query": "dc.title=x", "version": "9.9"}, "info:srw/diagnostic/1/5"),
    ({"operation": "scan", "scanClause": "dc.title=x"}, "info:srw/diagnostic/1/4"),
    ({"operation": "searchRetrieve"}, "info:srw/diagnostic/1/7"),
    ({"query": "dc.title=x", "recordPacking": "json"}, "info:srw/diagnostic/1/71"),
])
def test_an_unsupported_request_is_an_sru_diagnostic_not_an_error_page(client, params, uri):
    assert diagnostic(ask(client, **params)) == uri


def test_a_garbage_query_never_makes_an_error_page(client):
    for query in ['"', "\\", "((((((((", "a=" * 600, 'dc.title="\\"', "and or not"]:
        root = ask(client, query=query)
        assert root.tag.endswith("searchRetrieveResponse")
        assert diagnostic(root) != "info:srw/diagnostic/1/1", query  # no bug hidden behind a diagnostic


def test_paging_is_capped_and_says_where_the_next_page_starts(client, library, settings):
    settings.ILLMS_SRU_SERVER_MAX_RECORDS = 5
    HoldingFactory.create_batch(12, library=library, title="Library science")
    root = ask(client, query='dc.title="library science"', maximumRecords="1000", startRecord="3")
    assert root.findtext("zs:numberOfRecords", namespaces=ZS) == "12"
    positions = [e.text for e in root.iterfind(".//zs:recordPosition", namespaces=ZS)]
    assert positions == ["3", "4", "5", "6", "7"]
    assert root.findtext("zs:nextRecordPosition", namespaces=ZS) == "8"


def test_a_start_past_the_last_record_is_a_diagnostic(client, kuhn):
    assert diagnostic(ask(client, query="dc.creator=kuhn", startRecord="5")) == "info:srw/diagnostic/1/61"


def test_a_search_costs_two_queries_however_many_records(client, library, django_assert_num_queries):
    HoldingFactory.create_batch(20, library=library, title="Library science")
    with django_assert_num_queries(2):
        ask(client, query='dc.title="library science"', maximumRecords="20")


def test_one_member_library_has_its_own_database(client, kuhn):
    other = MemberLibraryFactory(symbol="BRANCH")
    HoldingFactory(library=other, title=kuhn.title, isbn=kuhn.isbn)
    response = client.get(reverse("lending:sru_library", args=["branch"]), {"query": "bath.isbn=9780226458083"})
    assert [h.holder for r in sru_client.parse_response(response.content).records for h in r.holdings] == ["BRANCH"]


def test_an_unknown_library_database_is_a_diagnostic(client):
    response = client.get(reverse("lending:sru_library", args=["NOPE"]), {"query": "dc.title=x"})
    assert diagnostic(etree.fromstring(response.content)) == "info:srw/diagnostic/1/235"


@pytest.mark.django_db(transaction=True)
def test_another_installation_reads_our_sru_back_as_a_union_catalogue(live_server):
    ours = MemberLibraryFactory(symbol="DEMO", agency_id_type="ISIL", agency_id_value="US-DEMO")
    HoldingFactory(library=ours, title="The Structure of Scientific Revolutions", isbn="9780226458083",
                   call_number="Q175 .K95")
    asking = MemberLibraryFactory(symbol="ELSEWHERE")
    LibraryFactory(symbol="OURSRU", lends_loans=False, lends_copies=False, sru_union_catalogue=True,
                   sru_base_url=f"{live_server.url}/sru")
    lookup = partner_holdings.find_holdings(requester=asking, isbn="0-226-45808-3")
    assert lookup.unknown == {}
    assert lookup.holding_for(ours.pk).call_number == "Q175 .K95"


def test_a_client_over_the_sru_rate_is_answered_429_with_an_sru_diagnostic(client, kuhn, settings):
    settings.ILLMS_SRU_RATE = "3/min"
    for _ in range(3):
        ask(client, operation="searchRetrieve", query="bath.isbn=0226458083")
    response = client.get(reverse("lending:sru"), {"operation": "searchRetrieve", "query": "bath.isbn=0226458083"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    root = etree.fromstring(response.content)
    assert diagnostic(root) == "info:srw/diagnostic/1/2"
    assert "3 searches per 60 s" in root.findtext(".//d:details", namespaces=ZS)


def test_the_sru_rate_is_counted_per_client_address(client, kuhn, settings):
    settings.ILLMS_SRU_RATE = "2/min"
    for _ in range(2):
        client.get(reverse("lending:sru"), REMOTE_ADDR="192.0.2.1")
    assert client.get(reverse("lending:sru"), REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get(reverse("lending:sru"), REMOTE_ADDR="192.0.2.2").status_code == 200


def test_behind_a_proxy_the_sru_rate_counts_the_address_the_proxy_saw(client, kuhn, settings):
    settings.ILLMS_SRU_RATE = "1/min"
    settings.ILLMS_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert client.get(reverse("lending:sru"), HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy).status_code == 200
    assert client.get(reverse("lending:sru"), HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy).status_code == 200
    assert client.get(reverse("lending:sru"), HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy).status_code == 429


def test_an_sru_rate_switched_off_never_refuses(client, kuhn, settings):
    settings.ILLMS_SRU_RATE = "off"
    assert all(client.get(reverse("lending:sru")).status_code == 200 for _ in range(5))
