import pytest
from django.core.exceptions import ValidationError

from borrowing.states import BorrowingStatus
from requests_app import identifiers
from requests_app.models import IllRequest


@pytest.mark.parametrize(("typed", "expected"), [
    ("0-306-40615-2", "9780306406157"),
    ("978-0-306-40615-7", "9780306406157"),
    ("urn:ISBN:0306406152", "9780306406157"),
    ("  ISBN 978 0 306 40615 7 ", "9780306406157"),
    ("080442957X", "9780804429573"),
])
def test_a_good_isbn_is_normalised_to_isbn_13(typed, expected):
    assert identifiers.normalize_isbn(typed) == expected


@pytest.mark.parametrize("typed", ["0-306-40615-3", "978-0-306-40615-8", "12345", "not an isbn", ""])
def test_a_bad_isbn_is_a_validation_error_that_names_the_value(typed):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.normalize_isbn(typed)
    assert excinfo.value.code == "invalid_isbn"
    assert typed in excinfo.value.messages[0]


@pytest.mark.parametrize(("typed", "expected"), [
    ("0378-5955", "0378-5955"), ("03785955", "0378-5955"), ("issn 2049-3630", "2049-3630"), ("2434-561x", "2434-561X"),
])
def test_a_good_issn_is_formatted_with_its_hyphen(typed, expected):
    assert identifiers.normalize_issn(typed) == expected


@pytest.mark.parametrize("typed", ["0378-5954", "1234", "abcd-efgh"])
def test_an_issn_with_a_wrong_check_digit_is_refused(typed):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.normalize_issn(typed)
    assert excinfo.value.code == "invalid_issn"


@pytest.mark.parametrize(("typed", "expected"), [
    ("https://doi.org/10.1038/nphys1170", "10.1038/nphys1170"),
    ("http://dx.doi.org/10.1038/nphys1170", "10.1038/nphys1170"),
    ("doi.org/10.1038/nphys1170", "10.1038/nphys1170"),
    ("info:doi/10.1002/asi.24400", "10.1002/asi.24400"),
    ("urn:doi:10.1002/asi.24400", "10.1002/asi.24400"),
    ("doi: 10.1016/j.acalib.2020.102271", "10.1016/j.acalib.2020.102271"),
])
def test_a_doi_loses_its_resolver_prefix(typed, expected):
    assert identifiers.normalize_doi(typed) == expected


def test_a_doi_keeps_the_case_it_was_given_in():
    assert identifiers.normalize_doi("https://doi.org/10.1002/ASI.24400") == "10.1002/ASI.24400"


def test_two_dois_differing_only_in_case_have_the_same_key():
    assert identifiers.doi_key("10.1002/ASI.24400") == identifiers.doi_key("info:doi/10.1002/asi.24400")
    assert identifiers.doi_key("10.1002/asi.24400") != identifiers.doi_key("10.1002/asi.24401")


@pytest.mark.parametrize("typed", ["11.1000/abc", "10.12/abc", "10.1000", "doi", "10.1000/ has space"])
def test_a_string_that_is_not_shaped_like_a_doi_is_refused(typed):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.normalize_doi(typed)
    assert excinfo.value.code == "invalid_doi"


def test_pmid_and_oclc_numbers_are_digits_without_prefixes():
    assert identifiers.normalize_pmid("info:pmid/0012345") == "12345"
    assert identifiers.normalize_oclc_number("(OCoLC)ocm00012345") == "12345"
    with pytest.raises(ValidationError):
        identifiers.normalize_pmid("12a45")
    with pytest.raises(ValidationError):
        identifiers.normalize_oclc_number("0")


@pytest.mark.django_db
def test_a_request_with_two_bad_identifiers_reports_each_on_its_field_and_is_not_saved():
    request = IllRequest(role="borrowing", status=BorrowingStatus.SUBMITTED, title="T", isbn="123", issn="0378-5954",
                         doi="10.1000/ok")
    with pytest.raises(ValidationError) as excinfo:
        request.full_clean(exclude=["library"])
    assert set(excinfo.value.message_dict) == {"isbn", "issn"}
    assert request.pk is None


def test_cleaning_a_request_normalises_its_identifiers():
    request = IllRequest(isbn="0-306-40615-2", issn="03785955", doi="https://doi.org/10.1000/ABC")
    request.clean()
    assert (request.isbn, request.issn, request.doi) == ("9780306406157", "0378-5955", "10.1000/ABC")
