"""Identifier codes as peers spell them: read into the citation, the rest kept for staff to see."""

from __future__ import annotations

import datetime as dt

import pytest

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import IllRequest
from requests_app.partners.handler import OTHER_IDENTIFIERS_KEY
from requests_app.partners.identifier_codes import code_for, read_identifiers
from requests_app.partners.outgoing import agency_id
from tests.factories import LibraryFactory, MemberLibraryFactory, sender_credentials


@pytest.mark.parametrize(("spelling", "field"), [
    ("ISBN", "isbn"), ("isbn", "isbn"), ("ISBN-13", "isbn"), ("ISBN13", "isbn"), ("isbn10", "isbn"),
    ("issn", "issn"), ("eISSN", "issn"), ("pISSN", "issn"), ("ISSN-L", "issn"),
    ("doi", "doi"), ("DOI", "doi"),
    ("pmid", "pmid"), ("PubMed", "pmid"), ("Medline", "pmid"),
    ("OCLC", "oclc_number"), ("oclcNumber", "oclc_number"), ("OCoLC", "oclc_number"), ("WorldCat", "oclc_number"),
    ("oclc_number", "oclc_number"),
])
def test_each_spelling_of_a_code_names_the_field_it_fills(spelling, field):
    assert code_for(spelling).field == field


@pytest.mark.parametrize(("code", "value", "field", "stored"), [
    ("OCLC", "(OCoLC)12345", "oclc_number", "12345"),
    ("oclcNumber", "ocm00012345", "oclc_number", "12345"),
    ("OCoLC", "OCoLC 987654321", "oclc_number", "987654321"),
    ("ISBN-13", "978-0-226-45808-3", "isbn", "9780226458083"),
    ("isbn", "0-226-45808-3 (pbk.)", "isbn", "9780226458083"),
    ("doi", "doi:10.1000/XYZ123", "doi", "10.1000/XYZ123"),
    ("DOI", "https://doi.org/10.1000/xyz123", "doi", "10.1000/xyz123"),
    ("PMID", "https://pubmed.ncbi.nlm.nih.gov/31452104/", "pmid", "31452104"),
    ("issn", "0028-0836", "issn", "0028-0836"),
])
def test_values_are_cleaned_the_way_peers_send_them(code, value, field, stored):
    fields, others = read_identifiers([(code, value)])
    assert fields == {field: stored}
    assert others == []


def test_an_identifier_with_no_field_is_kept_among_the_others():
    fields, others = read_identifiers([("LCCN", "2001012345"), ("isbn", "9780226458083")])
    assert fields == {"isbn": "9780226458083"}
    assert others == [{"code": "LCCN", "value": "2001012345"}]


def test_a_second_isbn_and_an_unknown_code_are_kept_among_the_others():
    fields, others = read_identifiers([("ISBN", "9780226458083"), ("ISBN", "9780226458076"), ("ZDB", "2018427-X")])
    assert fields == {"isbn": "9780226458083"}
    assert others == [{"code": "ISBN", "value": "9780226458076"}, {"code": "ZDB", "value": "2018427-X"}]


def test_the_first_valid_isbn_fills_the_field_and_a_bad_one_before_it_is_kept():
    fields, others = read_identifiers([("ISBN", "9780226458084"), ("ISBN", "9780226458083")])
    assert fields == {"isbn": "9780226458083"}
    assert others == [{"code": "ISBN", "value": "9780226458084"}]


def test_a_field_with_no_valid_value_gets_the_value_as_sent_for_the_citation_to_refuse():
    fields, _others = read_identifiers([("isbn", "not an isbn")])
    assert fields == {"isbn": "not an isbn"}


# Through the door --------------------------------------------------------------------------------

def request_with_ids(library, partner, item_ids=(), record_ids=(), supplier_record_id=None) -> m.Request:
    return m.Request(
        header=m.RequestHeader(supplying_agency_id=agency_id(library), requesting_agency_id=agency_id(partner),
                               timestamp=dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC),
                               requesting_agency_request_id="R-1"),
        bibliographic_info=m.BibliographicInfo(
            title="The Structure of Scientific Revolutions", supplier_unique_record_id=supplier_record_id,
            bibliographic_item_ids=tuple(m.BibliographicItemId(code=m.TypedValue(value=c), value=v)
                                         for c, v in item_ids),
            bibliographic_record_ids=tuple(m.BibliographicRecordId(code=m.TypedValue(value=c), value=v)
                                           for c, v in record_ids)),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN),
    )


def post(client, message) -> m.Confirmation:
    response = client.post("/iso18626", data=xml.encode(message), content_type="application/xml",
                           **sender_credentials(message))
    return xml.decode(response.content)


@pytest.mark.django_db
def test_a_reshare_style_request_fills_every_identifier_it_carries(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    message = request_with_ids(library, partner, item_ids=[("isbn", "978-0-226-45808-3"), ("issn", "0028-0836")],
                               record_ids=[("oclcNumber", "(OCoLC)ocm00001827"), ("doi", "doi:10.1000/abc")])
    confirmation = post(client, message)
    assert confirmation.header.message_status == m.MessageStatus.OK, confirmation.error_data
    request = IllRequest.objects.get(role="lending")
    assert (request.isbn, request.issn, request.oclc_number, request.doi) == (
        "9780226458083", "0028-0836", "1827", "10.1000/abc")


@pytest.mark.django_db
def test_identifiers_without_a_field_are_kept_in_the_intake_event(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    message = request_with_ids(library, partner, record_ids=[("LCCN", "62019420"), ("OCLC", "1827")],
                               supplier_record_id="990012345670106381")
    post(client, message)
    created = IllRequest.objects.get(role="lending").events.get(action="create")
    assert created.data[OTHER_IDENTIFIERS_KEY] == [
        {"code": "LCCN", "value": "62019420"}, {"code": "Record id at the supplier", "value": "990012345670106381"}]
