"""A partner's request keeps where to ship, the requesting library's contact and who to bill (lending side)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import AddressPurpose, IllRequest, RequesterAddress, RequesterDetails, Role
from requests_app.partners.outgoing import agency_id, build_request
from requests_app.partners.requester import requester_details_of
from tests.factories import (
    IllRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PickupLocationFactory,
    sender_credentials,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
DOCK = m.PhysicalAddress(line1="Interlibrary Loan, Loading Dock B", line2="45 Laboratory Lane",
                         locality="Springfield", postal_code="62705", region="IL", country=m.TypedValue(value="US"))
OFFICE = m.PhysicalAddress(line1="1 University Plaza", locality="Springfield", postal_code="62704",
                           country=m.TypedValue(value="US"))
ILL_EMAIL = m.ElectronicAddress(type=m.TypedValue(value="Email"), data="ill@borrower.example.edu")


def partner_request(member, partner, rid="R-1", **parts) -> m.Request:
    return m.Request(
        header=m.RequestHeader(supplying_agency_id=agency_id(member), requesting_agency_id=agency_id(partner),
                               timestamp=T0, requesting_agency_request_id=rid),
        bibliographic_info=m.BibliographicInfo(title="Braiding Sweetgrass", author="Kimmerer, Robin Wall"),
        service_info=parts.pop("service_info", m.ServiceInfo(service_type=m.ServiceType.LOAN)),
        **parts,
    )


def full_request(member, partner, rid="R-1") -> m.Request:
    return partner_request(
        member, partner, rid,
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, service_level=m.TypedValue(value="Rush")),
        # Sent in the wrong order on purpose: sortOrder, not the order sent, says which is preferred.
        requested_delivery_infos=(m.RequestedDeliveryInfo(sort_order=2, address=ILL_EMAIL),
                                  m.RequestedDeliveryInfo(sort_order=1, address=DOCK,
                                                          delivery_method=m.TypedValue(value="Courier"))),
        requesting_agency_info=m.RequestingAgencyInfo(
            name="Borrowing University", contact_name="Ada Lovelace",
            addresses=(ILL_EMAIL, m.ElectronicAddress(type=m.TypedValue(value="Phone"), data="+1 555 0100"), OFFICE)),
        billing_info=m.BillingInfo(billing_name="Borrowing University, Accounts Payable", address=OFFICE,
                                   payment_method=m.TypedValue(value="IFM")),
    )


def post(client, message: m.Request, version: str = xml.DEFAULT_VERSION) -> m.Confirmation:
    response = client.post("/iso18626", data=xml.encode(message, version=version), content_type="application/xml",
                           **sender_credentials(message))
    return xml.decode(response.content)


def received(rid="R-1") -> IllRequest:
    return IllRequest.objects.get(role=Role.LENDING, requesting_agency_request_id=rid)


def rows(request: IllRequest, purpose: str) -> list[tuple[str, ...]]:
    return [(a.electronic_type, a.electronic_data, a.line1, a.locality, a.country)
            for a in RequesterAddress.objects.filter(request=request, purpose=purpose)]


@pytest.mark.parametrize("version", [xml.VERSION_1_2, xml.VERSION_2021_2])
def test_a_partners_ship_to_addresses_are_kept_in_its_order_of_preference(client, version):
    member, partner = MemberLibraryFactory(), LibraryFactory()

    assert post(client, full_request(member, partner), version).header.message_status == m.MessageStatus.OK

    request = received()
    assert rows(request, AddressPurpose.SHIP_TO) == [
        ("", "", "Interlibrary Loan, Loading Dock B", "Springfield", "US"),
        ("Email", "ill@borrower.example.edu", "", "", ""),
    ]
    assert RequesterAddress.objects.get(request=request, purpose=AddressPurpose.SHIP_TO, position=0
                                        ).delivery_method == "Courier"


@pytest.mark.parametrize("version", [xml.VERSION_1_2, xml.VERSION_2021_2])
def test_the_requesting_librarys_contact_billing_and_service_level_are_kept(client, version):
    member, partner = MemberLibraryFactory(), LibraryFactory()

    post(client, full_request(member, partner), version)

    request = received()
    details = RequesterDetails.objects.get(request=request)
    assert (details.name, details.contact_name, details.billing_name, details.payment_method,
            details.service_level) == ("Borrowing University", "Ada Lovelace",
                                       "Borrowing University, Accounts Payable", "IFM", "Rush")
    assert details.is_rush
    assert rows(request, AddressPurpose.CONTACT) == [("Email", "ill@borrower.example.edu", "", "", ""),
                                                     ("Phone", "+1 555 0100", "", "", ""),
                                                     ("", "", "1 University Plaza", "Springfield", "US")]
    assert rows(request, AddressPurpose.BILLING) == [("", "", "1 University Plaza", "Springfield", "US")]


def test_a_request_that_says_nothing_of_its_library_keeps_nothing(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()

    post(client, partner_request(member, partner))

    request = received()
    assert not RequesterDetails.objects.filter(request=request).exists()
    assert not RequesterAddress.objects.filter(request=request).exists()


def test_a_request_received_twice_keeps_its_addresses_once(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    first = full_request(member, partner, "R-TWICE")
    again = dataclasses.replace(first, header=dataclasses.replace(first.header, timestamp=T0 + dt.timedelta(hours=1)))

    answers = [post(client, message) for message in (first, again)]

    assert [a.header.message_status for a in answers] == [m.MessageStatus.OK, m.MessageStatus.OK]
    assert RequesterAddress.objects.filter(request=received("R-TWICE"), purpose=AddressPurpose.SHIP_TO).count() == 2


def test_values_too_long_for_their_columns_are_cut_not_refused(client):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    long = m.PhysicalAddress(line1="L" * 500, postal_code="9" * 50, country=m.TypedValue(value="C" * 100))
    message = partner_request(member, partner, requested_delivery_infos=(m.RequestedDeliveryInfo(address=long),),
                              requesting_agency_info=m.RequestingAgencyInfo(name="N" * 300))

    assert post(client, message).header.message_status == m.MessageStatus.OK

    address = RequesterAddress.objects.get(request=received())
    assert (len(address.line1), len(address.postal_code), len(address.country)) == (200, 20, 60)
    assert len(RequesterDetails.objects.get(request=received()).name) == 200


def test_empty_addresses_are_not_kept():
    member, partner = MemberLibraryFactory(), LibraryFactory()
    message = partner_request(member, partner, requested_delivery_infos=(
        m.RequestedDeliveryInfo(address=m.PhysicalAddress(line1="  ")),
        m.RequestedDeliveryInfo(address=m.ElectronicAddress(type=m.TypedValue(value="Email"), data=" ")),
        m.RequestedDeliveryInfo(sort_order=1)))

    assert requester_details_of(message, IllRequest()) == (None, [])


def test_what_one_installation_sends_is_what_the_other_keeps(client):
    """Our own request, built for a loan to a desk with an address, read back by the lender's intake."""
    borrower, lender = MemberLibraryFactory(contact_name="ILL Office", phone="+1 217 555 0100"), MemberLibraryFactory()
    desk = PickupLocationFactory(library=borrower, address_line1="45 Laboratory Lane", city="Springfield",
                                 postal_code="62705", country="US")
    ours = IllRequestFactory(library=borrower, partner=lender, pickup_location=desk, requesting_agency_request_id="B9")

    post(client, build_request(ours, timestamp=T0))

    request = received("B9")
    assert rows(request, AddressPurpose.SHIP_TO) == [("", "", "45 Laboratory Lane", "Springfield", "US")]
    assert RequesterDetails.objects.get(request=request).contact_name == "ILL Office"
