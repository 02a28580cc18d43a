"""The ISO 18626 request we send carries what a lender needs: where to ship, who we are, who pays, how soon."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from lxml import etree

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import DeliveryMethod, RequestFormat, ServiceType
from requests_app.partners.outgoing import build_request
from requests_app.policies import save_policy
from tests.factories import IllRequestFactory, MemberLibraryFactory, PickupLocationFactory

pytestmark = pytest.mark.django_db

SENT = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def library():
    return MemberLibraryFactory(
        name="Demo University Library", address_line1="1 University Plaza", address_line2="ILL Office, Room 104",
        city="Springfield", region="IL", postal_code="62704", country="US", contact_name="Interlibrary Loan Office",
        email="ill@demo.example.edu", phone="+1 217 555 0100", billing_email="ill-billing@demo.example.edu")


@pytest.fixture
def science_desk(library):
    return PickupLocationFactory(library=library, name="Science library", address_line1="45 Laboratory Lane",
                                 address_line2="Loading Dock B", city="Springfield", region="IL",
                                 postal_code="62705", country="us")


def loan(library, **fields):
    return IllRequestFactory(library=library, service_type=ServiceType.LOAN, **fields)


def article(library, **fields):
    return IllRequestFactory(library=library, format=RequestFormat.ARTICLE, service_type=ServiceType.COPY,
                             title="On lending", container_title="Journal of Resource Sharing", issn="0378-5955",
                             **fields)


def delivery(message: m.Request) -> list[tuple[int, m.Address]]:
    return [(info.sort_order, info.address) for info in message.requested_delivery_infos]


# Where to ship --------------------------------------------------------------------------------

def test_a_loan_for_a_pickup_location_with_an_address_is_shipped_to_that_desk(library, science_desk):
    message = build_request(loan(library, pickup_location=science_desk), timestamp=SENT)

    assert delivery(message) == [(1, m.PhysicalAddress(
        line1="45 Laboratory Lane", line2="Loading Dock B", locality="Springfield", postal_code="62705",
        region="IL", country=m.TypedValue(value="US")))]


def test_a_loan_for_a_pickup_location_without_an_address_is_shipped_to_the_library(library):
    desk = PickupLocationFactory(library=library, name="Main circulation desk")

    message = build_request(loan(library, pickup_location=desk), timestamp=SENT)

    assert delivery(message) == [(1, m.PhysicalAddress(
        line1="1 University Plaza", line2="ILL Office, Room 104", locality="Springfield", postal_code="62704",
        region="IL", country=m.TypedValue(value="US")))]


def test_a_loan_is_not_offered_an_email_delivery(library):
    message = build_request(loan(library), timestamp=SENT)

    assert [type(address) for _, address in delivery(message)] == [m.PhysicalAddress]


def test_a_copy_asked_for_electronically_prefers_the_librarys_ill_email_then_the_post(library):
    message = build_request(article(library, delivery_method=DeliveryMethod.ELECTRONIC), timestamp=SENT)

    assert [(n, type(a)) for n, a in delivery(message)] == [(1, m.ElectronicAddress), (2, m.PhysicalAddress)]
    assert delivery(message)[0][1] == m.ElectronicAddress(type=m.TypedValue(value="Email"),
                                                          data="ill@demo.example.edu")


def test_a_paper_copy_prefers_the_post_then_the_email(library):
    message = build_request(article(library, delivery_method=DeliveryMethod.PHYSICAL), timestamp=SENT)

    assert [(n, type(a)) for n, a in delivery(message)] == [(1, m.PhysicalAddress), (2, m.ElectronicAddress)]


def test_a_library_without_an_address_or_email_asks_for_no_delivery_address():
    bare = MemberLibraryFactory(email="", city="", country="")

    assert build_request(article(bare, delivery_method=DeliveryMethod.ELECTRONIC), timestamp=SENT
                         ).requested_delivery_infos == ()


# Who we are and who pays ------------------------------------------------------------------------

def test_our_agency_info_names_the_contact_and_every_address_we_have(library):
    info = build_request(loan(library), timestamp=SENT).requesting_agency_info

    assert (info.name, info.contact_name) == ("Demo University Library", "Interlibrary Loan Office")
    assert info.addresses == (
        m.ElectronicAddress(type=m.TypedValue(value="Email"), data="ill@demo.example.edu"),
        m.ElectronicAddress(type=m.TypedValue(value="Phone"), data="+1 217 555 0100"),
        m.PhysicalAddress(line1="1 University Plaza", line2="ILL Office, Room 104", locality="Springfield",
                          postal_code="62704", region="IL", country=m.TypedValue(value="US")),
    )


def test_billing_names_the_library_its_billing_email_and_the_patrons_maximum_cost(library):
    billing = build_request(loan(library, max_cost=Decimal("25.00"), max_cost_currency="USD"),
                            timestamp=SENT).billing_info

    assert billing.billing_name == "Demo University Library"
    assert billing.address == m.ElectronicAddress(type=m.TypedValue(value="Email"),
                                                  data="ill-billing@demo.example.edu")
    assert billing.maximum_costs == m.Costs(currency_code=m.TypedValue(value="USD"), monetary_value=Decimal("25.00"))


def test_without_a_billing_email_invoices_go_to_the_librarys_postal_address(library):
    library.billing_email = ""
    library.save()

    billing = build_request(loan(library), timestamp=SENT).billing_info

    assert isinstance(billing.address, m.PhysicalAddress) and billing.address.line1 == "1 University Plaza"
    assert billing.maximum_costs is None


# How soon, and what -----------------------------------------------------------------------------

def level(request) -> str:
    return build_request(request, timestamp=SENT).service_info.service_level.value


def test_a_request_needed_within_the_rush_policy_asks_for_rush_service(library):
    save_policy(library=library, values={"rush_within_days": 5}, actor=None, area="test")

    assert level(loan(library, need_by=SENT.date() + dt.timedelta(days=5))) == "Rush"
    assert level(loan(library, need_by=SENT.date() + dt.timedelta(days=6))) == "Normal"


def test_a_request_with_no_need_by_date_asks_for_normal_service(library):
    assert level(loan(library, need_by=None)) == "Normal"


def test_a_rush_policy_of_zero_never_asks_for_rush(library):
    save_policy(library=library, values={"rush_within_days": 0}, actor=None, area="test")

    assert level(loan(library, need_by=SENT.date())) == "Normal"


def test_the_need_by_date_is_sent_as_need_before_date(library):
    message = build_request(loan(library, need_by=dt.date(2026, 11, 20)), timestamp=SENT)

    assert message.service_info.need_before_date.date() == dt.date(2026, 11, 20)


def test_every_identifier_we_hold_is_sent(library):
    request = article(library, doi="10.1000/xyz123", pmid="12345678", oclc_number="12345")
    request.isbn = "9780306406157"

    sent = build_request(request, timestamp=SENT).bibliographic_info.bibliographic_item_ids
    ids = {i.code.value: i.value for i in sent}

    assert ids == {"ISBN": "9780306406157", "ISSN": "0378-5955", "DOI": "10.1000/xyz123", "PMID": "12345678",
                   "OCLC": "12345"}


# What goes on the wire ----------------------------------------------------------------------------

def empty_elements(document: bytes) -> list[str]:
    root = etree.fromstring(document)
    return [etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)
            and len(e) == 0 and not (e.text or "").strip()]


VERSIONS = pytest.mark.parametrize("version", [xml.VERSION_1_2, xml.VERSION_2021_2])


@VERSIONS
def test_empty_values_are_left_out_never_sent_as_empty_elements(version):
    bare = MemberLibraryFactory(name="Bare Library", email="", city="", country="", phone="  ", contact_name="")
    request = IllRequestFactory(library=bare, author="", edition=" ", volume="", publisher="", publication_date="",
                                pages="")

    document = xml.encode(build_request(request, timestamp=SENT), version=version)

    # 1.2's header requires multipleItemRequestId: a request that is not one of several sends it empty.
    assert [e for e in empty_elements(document) if e != "multipleItemRequestId"] == []
    assert b"requestedDeliveryInfo" not in document and b"contactName" not in document
    assert not re.search(rb"<ill:address>\s*</ill:address>", document)


def test_nothing_of_the_patron_is_sent(library, science_desk):
    request = loan(library, pickup_location=science_desk, patron_note="For my thesis, Ada")
    document = xml.encode(build_request(request, timestamp=SENT))

    assert b"patronInfo" not in document
    for trace in (request.patron.last_name, request.patron.email, request.patron.patron_profile.card_barcode,
                  "thesis"):
        assert trace.encode() not in document


@pytest.mark.parametrize("make", [
    pytest.param(lambda lib, desk: loan(lib, pickup_location=desk, need_by=SENT.date(), max_cost=Decimal("10")),
                 id="loan-to-a-desk-with-an-address"),
    pytest.param(lambda lib, desk: loan(lib), id="loan-to-the-library"),
    pytest.param(lambda lib, desk: article(lib, delivery_method=DeliveryMethod.ELECTRONIC, doi="10.1000/x1",
                                           pmid="1234567"), id="electronic-copy"),
])
@VERSIONS
def test_the_request_we_send_is_valid_against_the_schema_of_either_version(library, science_desk, schema_errors,
                                                                           make, version):
    message = build_request(make(library, science_desk), timestamp=SENT)
    document = xml.encode(message, version=version)

    assert schema_errors(document) == []
    assert b"requestedDeliveryInfo" in document and b"billingInfo" in document and b"serviceLevel" in document
    assert xml.decode(document).requested_delivery_infos == message.requested_delivery_infos
