"""The lending page asks the ILS about every copy of the matched record at once: one LookupItemSet where the
profile offers it, one LookupItem per copy where it does not; against the test responder over real HTTP."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lending.models import LendingDetail
from lending.states import LendingStatus
from tests.factories import StaffFactory
from tests.lending.factories import HoldingFactory, IncomingRequestFactory, IsoPartnerFactory

pytestmark = pytest.mark.django_db
S = LendingStatus


@pytest.fixture
def wanted(home, ils):
    """A request matched to our copy 39015000000001 of Middlemarch; we hold two more copies of the record."""
    holding = HoldingFactory(library=home, barcode="39015000000001", title="Middlemarch", oclc_number="12345")
    HoldingFactory(library=home, barcode="39015000000002", title="Middlemarch", oclc_number="12345")
    HoldingFactory(library=home, barcode="39015000000003", title="Middlemarch", oclc_number="12345")
    HoldingFactory(library=home, barcode="39015000000099", title="Daniel Deronda", oclc_number="99999")
    request = IncomingRequestFactory(library=home, partner=IsoPartnerFactory(symbol="BRW"), status=S.AWAITING_PICKING,
                                     title="Middlemarch")
    LendingDetail.objects.create(request=request, holding=holding)
    ils.add_item("39015000000001", title="Middlemarch", status="On Loan", due="2027-01-31T23:59:59Z",
                 location="Stacks", call_number="PR4662")
    ils.add_item("39015000000002", title="Middlemarch", status="Available On Shelf", location="Stacks",
                 call_number="PR4662 c.2")
    return request


def page(client, home, wanted) -> str:
    client.force_login(StaffFactory(library=home))
    response = client.get(reverse("lending:request", args=[wanted.pk]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_standard_profile_asks_about_every_copy_of_the_record_in_one_lookup_item_set(home, wanted, connect,
                                                                                         ils, client):
    connect(home)
    text = page(client, home, wanted)
    assert "In our ILS now: <strong>On Loan</strong>, Stacks, PR4662, due back" in text
    assert '<ul id="other-copies">' in text  # what the tests without other copies look for
    assert "Item 39015000000002: <strong>Available On Shelf</strong>, Stacks, PR4662 c.2" in text
    assert "Item 39015000000003: <span class=\"text-body-secondary\">The ILS does not know item 39015000000003" in text
    assert "39015000000099" not in text  # another record's copy
    assert ils.services_received() == ["LookupItemSet"] and ils.state()["set_sizes"] == [3]
    assert all(entry["valid"] for entry in ils.log())


def test_koha_without_lookup_item_set_is_asked_copy_by_copy(home, wanted, connect, ils, client):
    connect(home, ils="koha")
    text = page(client, home, wanted)
    assert "Item 39015000000002: <strong>Available On Shelf</strong>" in text
    assert ils.services_received() == ["LookupItem"] * 3


def test_an_ils_that_refuses_lookup_item_set_is_asked_copy_by_copy(home, wanted, connect, ils, client):
    connect(home)
    ils.offer_only(["LookupItem"])
    text = page(client, home, wanted)
    assert "Item 39015000000002: <strong>Available On Shelf</strong>" in text
    assert ils.services_received() == ["LookupItemSet", "LookupItem", "LookupItem", "LookupItem"]


def test_a_second_view_of_the_page_asks_the_ils_nothing(home, wanted, connect, ils, client):
    connect(home)
    page(client, home, wanted)
    page(client, home, wanted)
    assert ils.services_received() == ["LookupItemSet"]


def test_the_ils_down_says_so_for_every_copy_and_the_page_opens(home, wanted, connect, ils, client):
    connect(home)
    ils.down()
    text = page(client, home, wanted)
    assert text.count("The ILS did not answer") == 3


def test_alma_which_cannot_look_items_up_shows_no_live_copies(home, wanted, connect, ils, client):
    connect(home, ils="alma")
    text = page(client, home, wanted)
    assert "In our ILS now" not in text and "other-copies" not in text and ils.log() == []


def test_a_copy_alone_of_its_record_shows_no_other_copies(home, wanted, connect, ils, client):
    from lending.models import Holding

    Holding.objects.filter(barcode__in=["39015000000002", "39015000000003"]).update(oclc_number="77777")
    connect(home)
    text = page(client, home, wanted)
    assert "In our ILS now: <strong>On Loan</strong>" in text and "other-copies" not in text
