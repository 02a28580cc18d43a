"""Two member libraries of one installation complete a loan through the outbox, in-process."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import services
from requests_app.models import Event, IllRequest, OutboxMessage
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_two_member_libraries_complete_a_loan_through_the_same_outbox(django_capture_on_commit_callbacks):
    borrower_library, lender_library = MemberLibraryFactory(symbol="AAA"), MemberLibraryFactory(symbol="BBB")
    borrowing = IllRequestFactory(library=borrower_library, partner=lender_library, status=BorrowingStatus.SOURCING,
                                  requesting_agency_request_id="AAA-1", isbn="9780226458083")
    borrower_staff = Actor.staff(StaffFactory(library=borrower_library))
    lender_staff = Actor.staff(StaffFactory(library=lender_library))

    def act(request, action, actor, **data):
        with django_capture_on_commit_callbacks(execute=True):
            services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=actor, data=data)

    act(borrowing, "send_to_lender", borrower_staff)
    lending = IllRequest.objects.get(role="lending", library=lender_library)
    assert (lending.partner, lending.status, lending.isbn) == (borrower_library, LendingStatus.NEW, "9780226458083")

    act(lending, "print_pull_slip", lender_staff)
    act(lending, "will_supply", lender_staff)
    act(lending, "ship", lender_staff, due_date="2027-01-15")
    borrowing.refresh_from_db()
    assert (borrowing.status, str(borrowing.due_date)) == (BorrowingStatus.SHIPPED, "2027-01-15")
    assert borrowing.supplying_agency_request_id == lending.supplying_agency_request_id

    act(borrowing, "receive", borrower_staff)
    act(borrowing, "notify_patron", borrower_staff)
    act(borrowing, "check_out", borrower_staff)
    act(borrowing, "check_in", borrower_staff)
    act(borrowing, "return_ship", borrower_staff)
    lending.refresh_from_db()
    assert lending.status == LendingStatus.RETURN_SHIPPED

    act(lending, "check_in", lender_staff)
    borrowing.refresh_from_db()
    lending.refresh_from_db()
    assert (borrowing.status, lending.status) == (LendingStatus.COMPLETED, LendingStatus.COMPLETED)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert list(Event.objects.filter(request=lending).values_list("action", flat=True)) == [
        "create", "print_pull_slip", "will_supply", "ship", "borrower_received", "borrower_return_shipped",
        "check_in"]
    assert list(Event.objects.filter(request=borrowing, actor_kind="partner").values_list("action", flat=True)) == [
        "lender_expects_to_supply", "lender_will_supply", "lender_shipped", "lender_checked_in"]
