"""The staff partner directory: search, one page per partner, nothing secret, constant queries, staff only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import roles
from requests_app.directory import selectors
from requests_app.directory.views import PAGE_SIZE
from requests_app.models import Event, IllRequest, Library
from requests_app.partners import credentials
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronFactory,
    StaffFactory,
)
from tests.statistics import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def own():
    return MemberLibraryFactory(symbol="OWN", reciprocal_groups="NRLC")


@pytest.fixture
def clerk(client, own):
    user = StaffFactory(library=own, groups=[roles.BORROWING_STAFF])
    client.force_login(user)
    return user


def rows(response) -> list[str]:
    body = response.content.decode()
    table = re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1)
    return re.findall(r'href="/partners/([^/"]+)/"', table)


def test_the_list_shows_every_other_library_of_the_directory_by_name(client, clerk, own):
    LibraryFactory(symbol="ZZZ", name="Zeta Library")
    LibraryFactory(symbol="AAA", name="Alpha Library")
    assert rows(client.get(reverse("directory:list"))) == ["AAA", "ZZZ"]


@pytest.mark.parametrize("q, found", [("alpha", ["AAA"]), ("bbb", ["BBB"]), ("DE-1", ["BBB"]),
                                      ("springfield", ["AAA"]), ("nothing", [])])
def test_the_search_finds_a_partner_by_name_symbol_isil_or_city(client, clerk, q, found):
    LibraryFactory(symbol="AAA", name="Alpha Library", city="Springfield", country="US")
    LibraryFactory(symbol="BBB", name="Beta Library", city="Berlin", country="DE", agency_id_type="ISIL",
                   agency_id_value="DE-1")
    assert rows(client.get(reverse("directory:list"), {"q": q})) == found


def test_the_search_narrows_to_a_country_in_either_case(client, clerk):
    LibraryFactory(symbol="AAA", country="US")
    LibraryFactory(symbol="BBB", country="DE")
    assert rows(client.get(reverse("directory:list"), {"country": "de"})) == ["BBB"]


def test_a_country_that_is_not_a_two_letter_code_is_a_form_error_listing_nothing(client, clerk):
    LibraryFactory(symbol="AAA")
    response = client.get(reverse("directory:list"), {"country": "Germany"})
    assert response.status_code == 200
    assert "two-letter ISO code" in response.content.decode()
    assert rows(response) == []


def test_the_list_pages_by_keyset(client, clerk):
    for n in range(PAGE_SIZE + 2):
        LibraryFactory(symbol=f"P{n:03d}", name=f"Library {n:03d}")
    first = client.get(reverse("directory:list"))
    cursor = re.search(r'rel="next" href="\?cursor=([^"]+)"', first.content.decode()).group(1)
    second = client.get(reverse("directory:list") + f"?cursor={cursor}")
    assert len(rows(first)) == PAGE_SIZE
    assert rows(second) == ["P025", "P026"]


def test_the_list_shows_a_partners_fill_rate_for_our_requests_and_what_we_lent_and_borrowed(client, own, clerk):
    with_dates_in_window(scenario.build(own))
    body = client.get(reverse("directory:list")).content.decode()
    alpha = re.search(r'href="/partners/AAA/".*?</tr>', body, re.S).group(0)
    assert "67 %" in alpha  # AAA filled 2 of the 3 requests of ours it answered
    assert "3 / 2" in alpha  # we supplied AAA three (one in February), AAA supplied us two


def with_dates_in_window(month: scenario.Scenario) -> scenario.Scenario:
    """Move the scenario's March into the directory's window (the last year)."""
    shift = timezone.now() - dt.timedelta(days=30) - scenario.T0
    for event in Event.objects.all():
        Event.objects.filter(pk=event.pk).update(created_at=event.created_at + shift)
    for request in IllRequest.objects.all():
        IllRequest.objects.filter(pk=request.pk).update(created_at=request.created_at + shift)
    return month


def make_partners(count: int, own: Library) -> None:
    """``count`` more partners, each with a borrowing and a lending request of ours."""
    first = Library.objects.exclude(pk=own.pk).count()
    for n in range(first, first + count):
        partner = LibraryFactory(symbol=f"Q{n:03d}")
        IllRequestFactory(library=own, partner=partner)
        LendingRequestFactory(library=own, partner=partner)


def test_the_list_costs_the_same_queries_with_3_or_20_partners(client, own, clerk):
    make_partners(3, own)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("directory:list"))
    make_partners(17, own)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(reverse("directory:list"))
    assert len(rows(response)) == 20
    assert len(twenty) == len(three)
    assert len(twenty) <= 14


def test_the_detail_shows_addresses_contacts_endpoints_policy_and_reciprocity(client, own, clerk):
    LibraryFactory(symbol="AAA", name="Alpha Library", address_line1="1 Main Street", city="Springfield",
                   postal_code="12345", contact_name="Grace Hopper", email="ill@alpha.example.org",
                   phone="+1 555 0100", billing_email="billing@alpha.example.org",
                   iso18626_endpoint="https://ill.alpha.example.org/iso18626", loan_fee="12.50", currency="EUR",
                   loan_period_days=21, lends_copies=False, reciprocal_groups="nrlc")
    body = client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    for text in ["1 Main Street", "Grace Hopper", "ill@alpha.example.org", "+1 555 0100", "billing@alpha.example.org",
                 "https://ill.alpha.example.org/iso18626", "12.50 EUR", "21 days", "Loans only",
                 "both lend without fees in NRLC"]:
        assert text in body


def test_the_detail_says_which_catalogue_is_searched_for_its_holdings_without_its_query_string(client, own, clerk):
    LibraryFactory(symbol="AAA", sru_base_url="https://catalogue.alpha.example.org/sru?x-key=s3cret",
                   sru_version="2.0", sru_union_catalogue=True)
    body = client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    assert "<code>https://catalogue.alpha.example.org/sru</code>, SRU 2.0, marcxml; a union catalogue" in body
    assert "s3cret" not in body


def test_the_detail_never_shows_a_credential_even_one_written_into_an_endpoint(client, own, clerk):
    partner = LibraryFactory(symbol="AAA", iso18626_endpoint="https://ill:hunter2@ill.example.org/iso?apikey=s3cret",
                             rest_endpoint="https://api.example.org/v1/#token=abc", outgoing_username="ourname",
                             ip_allowlist="192.0.2.0/24")
    Library.objects.filter(pk=partner.pk).update(outgoing_secret=credentials.encrypt("topsecret"))
    body = client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    assert "https://ill.example.org/iso" in body
    for secret in ["hunter2", "s3cret", "apikey", "token=abc", "topsecret", "ourname", "192.0.2.0",
                   Library.objects.get(pk=partner.pk).outgoing_secret]:
        assert secret not in body


def test_the_detail_costs_a_bounded_number_of_queries(client, own, clerk, django_assert_max_num_queries):
    with_dates_in_window(scenario.build(own))
    with django_assert_max_num_queries(17):
        assert client.get(reverse("directory:detail", args=["AAA"])).status_code == 200


def test_the_detail_gives_fill_rates_and_turnaround_from_our_requests_with_the_partner(client, own, clerk):
    with_dates_in_window(scenario.build(own))
    standing = selectors.standing(own, Library.objects.get(symbol="AAA"))
    assert (standing.they_answered.filled, standing.they_answered.unfilled) == (2, 1)
    assert (standing.lent, standing.borrowed, standing.balance) == (3, 2, 1)
    assert standing.measure("lending_shipped").count == 3


def test_our_own_library_has_no_partner_page(client, own, clerk):
    assert client.get(reverse("directory:detail", args=["OWN"])).status_code == 404


def test_an_unknown_symbol_is_a_404(client, clerk):
    assert client.get(reverse("directory:detail", args=["NOPE"])).status_code == 404


def test_a_directory_administrator_gets_an_edit_in_admin_link(client, own):
    partner = LibraryFactory(symbol="AAA")
    client.force_login(StaffFactory(library=own, groups=[roles.ILL_ADMINISTRATOR], is_staff=True, is_superuser=True))
    body = client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    assert reverse("admin:requests_app_library_change", args=[partner.pk]) in body


def test_a_clerk_reads_the_entry_without_an_edit_link(client, own, clerk):
    LibraryFactory(symbol="AAA")
    assert "Edit in admin" not in client.get(reverse("directory:detail", args=["AAA"])).content.decode()


@pytest.mark.parametrize("name, args", [("directory:list", []), ("directory:detail", ["AAA"])])
def test_a_patron_is_refused(client, name, args):
    LibraryFactory(symbol="AAA")
    client.force_login(PatronFactory())
    response = client.get(reverse(name, args=args))
    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("directory:list")).status_code == 302


def test_staff_see_partners_in_the_main_menu_and_patrons_do_not(client, clerk):
    assert f'href="{reverse("directory:list")}"' in client.get(reverse("home")).content.decode()
    client.force_login(PatronFactory())
    assert f'href="{reverse("directory:list")}"' not in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("url, shown", [
    ("https://user:pw@ill.example.org:8443/iso18626?key=1#x", "https://ill.example.org:8443/iso18626"),
    ("http://ill.example.org/", "http://ill.example.org/"),
    ("", ""),
])
def test_an_endpoint_is_shown_without_user_password_query_or_fragment(url, shown):
    assert selectors.public_endpoint(url) == shown


def test_the_detail_shows_what_we_lend_to_this_partner_when_our_rule_differs(client, own, clerk):
    from lending.models import PartnerLendingRule

    partner = LibraryFactory(symbol="AAA")
    PartnerLendingRule.objects.create(library=own, partner=partner, lends_copies=False, loan_period_days=14,
                                      max_loans_outstanding=3, note="Pays late; copies only by invoice")
    body = client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    for text in ["What OWN lends to AAA", "14 days", "At most 3", "Pays late; copies only by invoice"]:
        assert text in body


def test_without_a_rule_the_detail_says_our_general_policy_applies(client, own, clerk):
    LibraryFactory(symbol="AAA")
    body = client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    assert "our general lending policy applies" in body


def test_only_an_ill_administrator_gets_the_link_to_change_our_rule(client, own, clerk):
    LibraryFactory(symbol="AAA")
    assert reverse("partner-rules:list") not in client.get(reverse("directory:detail", args=["AAA"])).content.decode()
    client.force_login(StaffFactory(library=own, groups=[roles.ILL_ADMINISTRATOR]))
    assert reverse("partner-rules:list") in client.get(reverse("directory:detail", args=["AAA"])).content.decode()
