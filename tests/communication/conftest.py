"""Two member libraries of this installation (one borrows, one lends) and a partner outside it."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import IllRequest
from requests_app.roles import BORROWING_STAFF, LENDING_STAFF
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, PatronFactory, StaffFactory
from tests.interop.conftest import iso18626_schema_dir, schema_errors  # noqa: F401  (shared fixtures)


@pytest.fixture
def borrower(db):
    return MemberLibraryFactory(symbol="BRW", name="Borrowing College")


@pytest.fixture
def lender(db):
    return MemberLibraryFactory(symbol="LND", name="Lending University")


@pytest.fixture
def borrowing_staff(borrower):
    return StaffFactory(library=borrower, groups=[BORROWING_STAFF])


@pytest.fixture
def lending_staff(lender):
    return StaffFactory(library=lender, groups=[LENDING_STAFF])


@pytest.fixture
def iso_partner(db):
    """A library outside this installation that speaks ISO 18626 over HTTP."""
    return LibraryFactory(symbol="EXT", iso18626_endpoint="https://partner.example.org/iso18626")


@pytest.fixture
def patron(borrower):
    return PatronFactory(profile__library=borrower, email="reader@example.edu")


@pytest.fixture
def loan_between_members(borrower, lender, borrowing_staff, patron, django_capture_on_commit_callbacks):
    """A borrowing request of BRW sent to LND in-process: returns (borrowing request, lending request)."""
    borrowing = IllRequestFactory(library=borrower, partner=lender, patron=patron, status=BorrowingStatus.SOURCING,
                                  requesting_agency_request_id="BRW-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=borrowing, action="send_to_lender", actor=Actor.staff(borrowing_staff))
    borrowing.refresh_from_db()
    return borrowing, IllRequest.objects.get(role="lending", library=lender)
