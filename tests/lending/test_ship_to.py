"""Where a loan is shipped: the address the borrower's request gave, else the directory's, and which one it is."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from lending import pdf, selectors
from requests_app.models import AddressPurpose, RequesterAddress, RequesterDetails
from tests.lending.factories import IncomingRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def from_directory(library):
    return IncomingRequestFactory(library=library, partner__name="Borrowing College",
                                  partner__address_line1="1 Library Way", partner__city="Ann Arbor",
                                  partner__postal_code="48109")


@pytest.fixture
def with_ship_to(from_directory):
    request = from_directory
    RequesterDetails.objects.create(request=request, name="Borrowing College Libraries", contact_name="Ada Lovelace",
                                    billing_name="Borrowing College, Accounts Payable", service_level="Rush")
    RequesterAddress.objects.bulk_create([
        RequesterAddress(request=request, purpose=AddressPurpose.SHIP_TO, position=0, electronic_type="Email",
                         electronic_data="ill@borrowing.example.edu"),
        RequesterAddress(request=request, purpose=AddressPurpose.SHIP_TO, position=1, line1="Science Library",
                         line2="45 Laboratory Lane", locality="Ypsilanti", region="MI", postal_code="48197",
                         country="US"),
        RequesterAddress(request=request, purpose=AddressPurpose.CONTACT, position=0, electronic_type="Phone",
                         electronic_data="+1 734 555 0100"),
        RequesterAddress(request=request, purpose=AddressPurpose.BILLING, position=0, electronic_type="Email",
                         electronic_data="ap@borrowing.example.edu"),
    ])
    return request


def label_text(request) -> str:
    return PdfReader(io.BytesIO(pdf.shipping_labels([request]))).pages[0].extract_text()


def test_the_first_postal_ship_to_address_of_their_request_is_where_the_loan_goes(with_ship_to):
    ship_to = selectors.ship_to(with_ship_to)

    assert ship_to.from_request
    assert ship_to.name == "Borrowing College Libraries"
    assert ship_to.lines == ["Science Library", "45 Laboratory Lane", "Ypsilanti MI 48197", "US"]


def test_without_a_postal_ship_to_address_the_directory_address_is_used(from_directory):
    ship_to = selectors.ship_to(from_directory)

    assert not ship_to.from_request
    assert ship_to.lines == ["1 Library Way", "Ann Arbor 48109", "US"]


def test_the_desk_page_shows_the_ship_to_address_from_their_request_and_says_so(staff_client, with_ship_to):
    html = staff_client.get(reverse("lending:request", args=[with_ship_to.pk])).content.decode()

    assert "45 Laboratory Lane" in html and "Ypsilanti MI 48197" in html
    assert "From their request: the shipping label and pull slip print this address." in html
    assert "Ada Lovelace" in html and "+1 734 555 0100" in html
    assert "Borrowing College, Accounts Payable" in html and "ap@borrowing.example.edu" in html
    assert "Service: Rush" in html


def test_the_desk_page_says_when_the_directory_address_is_used(staff_client, from_directory):
    html = staff_client.get(reverse("lending:request", args=[from_directory.pk])).content.decode()

    assert "1 Library Way" in html
    assert "Their request gave no postal address: this is the directory's address" in html


def test_the_desk_page_warns_when_no_address_is_known(staff_client, library):
    request = IncomingRequestFactory(library=library, partner__city="", partner__country="")

    html = staff_client.get(reverse("lending:request", args=[request.pk])).content.decode()

    assert "ask them where to ship" in html


def test_the_shipping_label_prints_the_ship_to_address_from_their_request(with_ship_to):
    text = label_text(with_ship_to)

    assert "45 Laboratory Lane" in text and "Ypsilanti MI 48197" in text
    assert "1 Library Way" not in text
    assert "ship-to address from their request" in text


def test_the_shipping_label_falls_back_to_the_directory_address_and_says_so(from_directory):
    text = label_text(from_directory)

    assert "Borrowing College" in text and "1 Library Way" in text
    assert "directory address: their request gave none" in text


def test_the_pull_slip_names_the_ship_to_address(with_ship_to):
    text = PdfReader(io.BytesIO(pdf.pull_slips([with_ship_to]))).pages[0].extract_text()

    assert "45 Laboratory Lane" in text and "from their request" in text


def test_labels_from_the_desk_print_the_ship_to_address_in_the_same_queries_for_one_or_many(
        staff_client, library, with_ship_to, django_assert_max_num_queries):
    url = reverse("lending:labels_pdf")
    with django_assert_max_num_queries(12) as one:
        assert staff_client.get(url, {"ids": str(with_ship_to.pk)}).status_code == 200
    more = [IncomingRequestFactory(library=library) for _ in range(4)]
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = staff_client.get(url, {"ids": ",".join(str(r.pk) for r in [with_ship_to, *more])})
    assert response.status_code == 200
    assert "45 Laboratory Lane" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_the_desk_page_reads_what_their_request_said_in_two_queries(staff_client, with_ship_to,
                                                                    django_assert_num_queries):
    from lending.selectors import requester

    request = type(with_ship_to).objects.select_related("partner").get(pk=with_ship_to.pk)  # as the page reads it
    with django_assert_num_queries(2):  # the details row, and every address at once
        said = requester(request)
    assert [len(said.ship_to_addresses), len(said.contact_addresses), len(said.billing_addresses)] == [2, 1, 1]
