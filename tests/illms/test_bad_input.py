"""Junk posted to the staff and patron forms is an answer, never a server error.

Each form is posted with every field set to one kind of junk: a NUL character (PostgreSQL cannot
store or compare one), text where a number belongs, a negative number, and a number too large for
any column. The forms' own tests check the messages; this only checks that nothing answers 500.
"""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronProfileFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

JUNK = {"a NUL character": "a\x00b", "text": "zz", "a negative number": "-1",
        "a number too large": "99999999999999999999", "a digit that is no ASCII digit": "\u00b2"}
STAFF_FORMS = {
    "rota: build": ("/borrowing/requests/{sourcing}/rota/build/", ["entry", "lender"]),
    "rota: move up": ("/borrowing/requests/{sourcing}/rota/up/", ["entry"]),
    "rota: move down": ("/borrowing/requests/{sourcing}/rota/down/", ["entry"]),
    "rota: remove": ("/borrowing/requests/{sourcing}/rota/remove/", ["entry"]),
    "rota: add a lender": ("/borrowing/requests/{sourcing}/rota/add/", ["entry", "lender"]),
    "rota: send": ("/borrowing/requests/{sourcing}/rota/send/", ["entry"]),
    "borrowing action": ("/borrowing/requests/{received}/actions/notify_patron/", ["note", "expected_status"]),
    "borrowing note": ("/borrowing/requests/{received}/notes/", ["text", "visibility"]),
    "borrowing citation": ("/borrowing/requests/{received}/citation/", ["title", "isbn", "need_by"]),
    "copyright clearance": ("/borrowing/requests/{received}/copyright/", ["fee", "currency", "exception_note"]),
    "borrowing bulk action": ("/borrowing/queue/bulk/", ["action", "requests", "note", "return_query"]),
    "borrowing scan": ("/borrowing/scan/", ["mode", "code"]),
    "lending action": ("/lending/requests/{lending}/actions/unfill/", ["note", "expected_status", "reason"]),
    "lending note": ("/lending/requests/{lending}/notes/", ["text", "visibility"]),
    "pull slips": ("/lending/print/", ["ids"]),
    "lending scan": ("/lending/scan/", ["mode", "code"]),
    "inbox: mark read": ("/inbox/read/", ["all", "note", "next"]),
    "borrowing policy": ("/policies/", ["action", "max_renewals"]),
    "partner rule": ("/policies/partners/", ["partner", "note"]),
    "fee schedule": ("/billing/fees/", ["partner", "amount", "currency"]),
    "budget": ("/billing/budgets/new/", ["fiscal_year", "fund", "amount"]),
    "invoice run": ("/billing/invoices/create/", ["month", "issue"]),
    "exchange rate": ("/billing/exchange-rates/", ["currency", "rate", "valid_from"]),
    "settle charges": ("/billing/charges/settle/", ["charge", "settled_on", "reference"]),
}
PATRON_FORMS = {
    "new request": ("/requests/new/book/", ["title", "author", "isbn", "need_by", "pickup_location"]),
    "preferences": ("/requests/preferences/", ["pickup_location", "email"]),
}


@pytest.fixture
def requests_of(client):
    library = MemberLibraryFactory()
    staff = StaffFactory(library=library, groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.BILLING_STAFF,
                                                  roles.ILL_ADMINISTRATOR])
    return library, staff, {
        "sourcing": IllRequestFactory(library=library, status=BorrowingStatus.SOURCING, partner=None).pk,
        "received": IllRequestFactory(library=library, status=BorrowingStatus.RECEIVED, partner=LibraryFactory()).pk,
        "lending": LendingRequestFactory(library=library, partner=LibraryFactory(), status=LendingStatus.NEW).pk,
    }


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
@pytest.mark.parametrize("form", STAFF_FORMS.values(), ids=STAFF_FORMS.keys())
def test_junk_posted_to_a_staff_form_is_never_a_server_error(client, requests_of, form, junk):
    _library, staff, pks = requests_of
    client.force_login(staff)
    client.raise_request_exception = False
    url, fields = form
    response = client.post(url.format(**pks), dict.fromkeys(fields, junk))
    assert response.status_code < 500


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
@pytest.mark.parametrize("form", PATRON_FORMS.values(), ids=PATRON_FORMS.keys())
def test_junk_posted_to_a_patron_form_is_never_a_server_error(client, form, junk):
    client.force_login(PatronProfileFactory().user)
    client.raise_request_exception = False
    url, fields = form
    response = client.post(url, dict.fromkeys(fields, junk))
    assert response.status_code < 500
