"""Creating requests on each side: the rules each side checks before a row exists."""

import pytest
from django.core.exceptions import ValidationError

from borrowing.services import submit_request
from borrowing.states import BorrowingStatus
from lending.services import receive_request
from lending.states import LendingStatus
from requests_app.models import Event, IllRequest
from tests.factories import LibraryFactory, MemberLibraryFactory, PatronFactory

pytestmark = pytest.mark.django_db


def test_a_patron_submits_a_request_that_starts_in_submitted_with_one_event():
    patron = PatronFactory()
    request = submit_request(patron=patron, format="book", title="Middlemarch", isbn="0-14-143954-8")
    assert request.status == BorrowingStatus.SUBMITTED
    assert request.isbn == "9780141439549"
    assert request.requesting_agency_request_id == f"{request.library.symbol}-{request.pk}"
    assert list(Event.objects.filter(request=request).values_list("action", flat=True)) == ["create"]


def test_an_article_is_asked_for_as_an_electronic_copy():
    request = submit_request(patron=PatronFactory(), format="article", title="On Loans",
                             container_title="Journal of Access Services", issn="1536-7967")
    assert (request.service_type, request.delivery_method) == ("Copy", "electronic")


def test_a_blocked_patron_is_told_why_and_nothing_is_created():
    patron = PatronFactory()
    patron.patron_profile.blocked = True
    patron.patron_profile.blocked_reason = "unpaid replacement fee"
    patron.patron_profile.save()
    with pytest.raises(ValidationError, match="unpaid replacement fee"):
        submit_request(patron=patron, format="book", title="Anything")
    assert not IllRequest.objects.exists()


def test_a_patron_over_the_active_request_limit_is_refused(settings):
    settings.ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON = 2
    patron = PatronFactory()
    for n in range(2):
        submit_request(patron=patron, format="book", title=f"Book {n}")
    with pytest.raises(ValidationError) as excinfo:
        submit_request(patron=patron, format="book", title="One too many")
    assert excinfo.value.code == "over_limit"
    assert IllRequest.objects.count() == 2


def test_a_bad_isbn_is_refused_on_its_field_and_nothing_is_created():
    with pytest.raises(ValidationError) as excinfo:
        submit_request(patron=PatronFactory(), format="book", title="X", isbn="978-0-00-000000-1")
    assert "isbn" in excinfo.value.message_dict
    assert not IllRequest.objects.exists()


def test_a_partners_request_received_twice_exists_once():
    library, partner = MemberLibraryFactory(), LibraryFactory()
    first, created = receive_request(library=library, partner=partner, requesting_agency_request_id="NFC-77",
                                     format="book", title="Moby-Dick")
    again, created_again = receive_request(library=library, partner=partner, requesting_agency_request_id="NFC-77",
                                           format="book", title="Moby-Dick")
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert first.status == LendingStatus.NEW
    assert first.supplying_agency_request_id == f"{library.symbol}-{first.pk}"
    assert IllRequest.objects.count() == 1


def test_a_resent_request_whose_citation_would_not_validate_is_answered_with_the_first():
    library, partner = MemberLibraryFactory(), LibraryFactory()
    first, _ = receive_request(library=library, partner=partner, requesting_agency_request_id="NFC-78",
                               format="book", title="Moby-Dick")

    again, created = receive_request(library=library, partner=partner, requesting_agency_request_id="NFC-78",
                                     format="book", title="Moby-Dick", isbn="978-0-00-000000-1")

    assert (again.pk, created) == (first.pk, False)
    assert IllRequest.objects.count() == 1


def test_a_new_request_with_a_bad_citation_is_still_refused_on_its_field():
    with pytest.raises(ValidationError) as excinfo:
        receive_request(library=MemberLibraryFactory(), partner=LibraryFactory(), requesting_agency_request_id="N-1",
                        format="book", title="Moby-Dick", isbn="978-0-00-000000-1")
    assert "isbn" in excinfo.value.message_dict
    assert not IllRequest.objects.exists()


def test_an_inactive_partner_cannot_send_us_requests():
    from requests_app.workflow import WorkflowError

    partner = LibraryFactory(active=False)
    with pytest.raises(WorkflowError):
        receive_request(library=MemberLibraryFactory(), partner=partner, requesting_agency_request_id="1",
                        format="book", title="T")
    assert not IllRequest.objects.exists()


def test_a_partners_request_is_written_once_with_its_supplier_id_on_postgresql(postgres):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    library, partner = MemberLibraryFactory(), LibraryFactory()
    with CaptureQueriesContext(connection) as queries:
        request, _ = receive_request(library=library, partner=partner, requesting_agency_request_id="NFC-79",
                                     format="book", title="Moby-Dick")
    assert request.supplying_agency_request_id == f"{library.symbol}-{request.pk}"
    assert IllRequest.objects.get(pk=request.pk).supplying_agency_request_id == f"{library.symbol}-{request.pk}"
    written = [q["sql"] for q in queries.captured_queries if '"requests_app_illrequest"' in q["sql"]
               and q["sql"].startswith(("INSERT", "UPDATE"))]
    assert len(written) == 1 and written[0].startswith("INSERT")


def test_reserved_request_ids_are_not_handed_out_again_by_the_table(postgres):
    reserved = IllRequest.objects.reserve_id()
    library, partner = MemberLibraryFactory(), LibraryFactory()
    request, _ = receive_request(library=library, partner=partner, requesting_agency_request_id="NFC-80",
                                 format="book", title="Moby-Dick")
    later = submit_request(patron=PatronFactory(), format="book", title="Typee")
    assert reserved not in {request.pk, later.pk}
    assert later.pk > request.pk > reserved
