"""The rota from who holds the item: only its holders, in the order of a score whose reasons are shown."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from borrowing.models import RotaEntry, RotaStatus
from borrowing.services import rota
from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.models import Event, IllRequest, RequestFormat, ServiceType
from requests_app.workflow import Actor
from tests.catalogue_servers import KUHN, LEVELLED
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

NOBODY_HOLDS = "9780131103627"  # a valid ISBN no catalogue of the tests lists


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", country="US", reciprocal_groups="STATENET")


@pytest.fixture
def union(zebra_catalogue):
    """A union catalogue that lends nothing itself."""
    return LibraryFactory(symbol="UNION", lends_loans=False, lends_copies=False, sru_union_catalogue=True,
                          sru_base_url=zebra_catalogue.url("union"))


@pytest.fixture
def partners(zebra_catalogue, union):
    """AAA with its own catalogue; BBB (reciprocal with us) and CCC known by the union; two that hold nothing."""
    return {
        "aaa": LibraryFactory(symbol="AAA", agency_id_type="ISIL", agency_id_value="US-AAA",
                              sru_base_url=zebra_catalogue.url("aaa")),
        "bbb": LibraryFactory(symbol="BBB", reciprocal_groups="STATENET"),
        "ccc": LibraryFactory(symbol="CCC", agency_id_type="ISIL", agency_id_value="US-CCC"),
        "none": LibraryFactory(symbol="NOTHELD"),
        "berlin": LibraryFactory(symbol="BERLIN", country="DE"),
    }


def sourcing(home, **fields) -> IllRequest:
    fields.setdefault("partner", None)
    return IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, **fields)


def symbols(entries) -> list[str]:
    return [e.lender.symbol for e in entries]


def test_the_rota_for_a_held_item_lists_only_its_holders(home, partners):
    assert set(symbols(rota.build_rota(request=sourcing(home, isbn=KUHN)))) == {"AAA", "BBB", "CCC"}


def test_holders_are_ordered_by_the_documented_score(home, partners):
    # BBB: reciprocal (+40) though on loan; AAA: available (+10); CCC: availability not said (+5).
    entries = rota.build_rota(request=sourcing(home, isbn=KUHN))
    assert symbols(entries) == ["BBB", "AAA", "CCC"]
    assert [e.score for e in entries] == sorted((e.score for e in entries), reverse=True)


def test_each_entry_keeps_the_holding_and_the_reasons_for_its_place(home, partners):
    entries = {e.lender.symbol: e for e in rota.build_rota(request=sourcing(home, isbn=KUHN))}
    aaa, bbb = entries["AAA"], entries["BBB"]
    assert (aaa.call_number, aaa.location, aaa.available, aaa.holdings_source) == (
        "Q175 .K95 1970", "Stacks", True, "AAA")
    assert (bbb.call_number, bbb.available, bbb.availability, bbb.holdings_source) == (
        "Q175 .K95 1970", False, "On loan", "UNION")
    assert "reciprocal: lends to us without fees: +40.0" in bbb.reasons
    assert any(r.startswith("holds it (Q175 .K95 1970, Stacks), available, says AAA: +10.0") for r in aaa.reasons)


def test_with_no_holder_known_the_lenders_whose_policy_lends_the_format_are_listed_as_holdings_unknown(
        home, partners):
    entries = rota.build_rota(request=sourcing(home, isbn=NOBODY_HOLDS))
    assert set(symbols(entries)) == {"AAA", "BBB", "CCC", "NOTHELD", "BERLIN"}
    assert {e.holdings_known for e in entries} == {False}
    assert entries[-1].reasons[0].startswith("holdings unknown")


def test_when_every_holder_has_had_its_turn_a_new_rota_asks_the_others_as_holdings_unknown(home, partners):
    request = sourcing(home, isbn=KUHN)
    rota.build_rota(request=request)
    RotaEntry.objects.filter(request=request).update(status=RotaStatus.UNFILLED)
    fresh = [e for e in rota.build_rota(request=request) if e.is_pending]
    assert {e.lender.symbol for e in fresh} == {"NOTHELD", "BERLIN"}
    assert {e.holdings_known for e in fresh} == {False}


def test_a_lender_in_our_country_comes_before_an_equal_one_abroad(home, partners):
    entries = rota.build_rota(request=sourcing(home, isbn=NOBODY_HOLDS))
    assert symbols(entries)[-1] == "BERLIN"


def test_a_holder_charging_more_than_the_patrons_maximum_is_left_out(home, partners):
    partners["aaa"].loan_fee = Decimal("30")
    partners["aaa"].save()
    entries = rota.build_rota(request=sourcing(home, isbn=KUHN, max_cost=Decimal("20")))
    assert symbols(entries) == ["BBB", "CCC"]


def test_a_cheaper_holder_ranks_before_a_dearer_one_against_the_patrons_maximum(home, partners):
    partners["ccc"].loan_fee = Decimal("2")
    partners["ccc"].save()
    partners["aaa"].loan_fee = Decimal("18")
    partners["aaa"].save()
    # AAA's availability (+10 against CCC's +5) no longer outweighs its fee (1 of 10 cost points against 9).
    entries = rota.build_rota(request=sourcing(home, isbn=KUHN, max_cost=Decimal("20")))
    assert symbols(entries) == ["BBB", "CCC", "AAA"]


def past_answers(home, lender, *, format: str, filled: int, unfilled: int) -> None:
    start = timezone.now() - dt.timedelta(days=30)
    for i in range(filled + unfilled):
        past = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.COMPLETED, format=format)
        Event.objects.create(request=past, action="send_to_lender", actor_kind="staff", created_at=start)
        Event.objects.create(request=past, action="lender_shipped" if i < filled else "lender_unfilled",
                             actor_kind="partner", actor_library=lender, created_at=start + dt.timedelta(days=3))


def test_the_fill_rate_that_counts_is_the_one_for_the_requested_format(home):
    books, articles = LibraryFactory(symbol="BOOKS"), LibraryFactory(symbol="ARTICLES")
    past_answers(home, books, format=RequestFormat.BOOK, filled=4, unfilled=0)
    past_answers(home, books, format=RequestFormat.ARTICLE, filled=0, unfilled=4)
    past_answers(home, articles, format=RequestFormat.BOOK, filled=0, unfilled=4)
    past_answers(home, articles, format=RequestFormat.ARTICLE, filled=4, unfilled=0)
    assert symbols(rota.build_rota(request=sourcing(home, format=RequestFormat.BOOK))) == ["BOOKS", "ARTICLES"]
    article = sourcing(home, format=RequestFormat.ARTICLE, service_type=ServiceType.COPY)
    assert symbols(rota.build_rota(request=article)) == ["ARTICLES", "BOOKS"]


def test_load_levelling_spreads_a_hundred_identical_requests_across_equal_holders(home, union):
    for symbol, isil in (("AAA", "US-AAA"), ("BBB", "BBB"), ("CCC", "US-CCC"), ("DDD", "DDD")):
        LibraryFactory(symbol=symbol, agency_id_type="ISIL", agency_id_value=isil)
    LibraryFactory(symbol="NOTHELD")
    for _ in range(100):
        request = sourcing(home, isbn=LEVELLED)
        rota.build_rota(request=request)
        rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    sent_to = Counter(IllRequest.objects.filter(library=home, status=BorrowingStatus.SENT)
                      .values_list("partner__symbol", flat=True))
    assert sent_to == {"AAA": 25, "BBB": 25, "CCC": 25, "DDD": 25}


def test_building_a_rota_from_holdings_costs_the_same_queries_for_two_holders_as_for_four(home, union):
    for symbol in ("BBB", "DDD"):
        LibraryFactory(symbol=symbol)
    rota.build_rota(request=sourcing(home, isbn=LEVELLED))  # the catalogue's answer is cached from here on
    with CaptureQueriesContext(connection) as two:
        rota.build_rota(request=sourcing(home, isbn=LEVELLED))
    for symbol, isil in (("AAA", "US-AAA"), ("CCC", "US-CCC")):
        LibraryFactory(symbol=symbol, agency_id_type="ISIL", agency_id_value=isil)
    with CaptureQueriesContext(connection) as four:
        entries = rota.build_rota(request=sourcing(home, isbn=LEVELLED))
    assert len(entries) == 4
    assert len(four) == len(two)


def test_the_request_page_shows_each_lenders_holding_fee_fill_rate_turnaround_and_why(client, home, partners):
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = sourcing(home, isbn=KUHN)
    rota.build_rota(request=request)
    page = client.get(reverse("borrowing_staff:request", kwargs={"pk": request.pk})).content.decode()
    for text in ("Q175 .K95 1970", "Available", "On loan", "(per UNION)", "Availability not said",
                 "reciprocal: lends to us without fees: +40.0", "no answers yet for books: an even chance",
                 "Fill rate", "Turnaround"):
        assert text in page
    assert RotaEntry.objects.filter(request=request, fee=Decimal("0")).count() == 3


def test_building_the_rota_by_hand_says_which_catalogues_did_not_answer(client, home, partners, silent_catalogue,
                                                                       settings):
    settings.ILLMS_SRU_TIME_LIMIT_SECONDS = 1.0
    LibraryFactory(symbol="SLOW", sru_base_url=silent_catalogue.url)
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = sourcing(home, isbn=KUHN)
    response = client.post(reverse("borrowing_staff:rota", args=[request.pk, "build"]), follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Rota built: 3 lenders waiting. Catalogues asked: 3; 3 lenders hold it." in text
    assert "Did not answer: SLOW (No answer within 1 seconds.)" in text
