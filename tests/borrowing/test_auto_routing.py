"""Auto-routing: a request of a format the library sends automatically goes to its first lender once reviewed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.models import RotaEntry, RotaStatus
from borrowing.states import BorrowingStatus
from requests_app import roles, services
from requests_app.models import Event, IllRequest, LibraryPolicy, RequestFormat
from requests_app.policies import save_policy
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory
from tests.policies.test_pages import borrowing_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    library = MemberLibraryFactory(symbol="HOME")
    save_policy(library=library, values={"auto_send_formats": {RequestFormat.BOOK: True}}, actor=None, area="test")
    return library


def verify(home, capture, **fields) -> IllRequest:
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, **fields)
    with capture(execute=True):
        services.perform(request=request, action="verify", actor=Actor.staff(StaffFactory(library=home)))
    request.refresh_from_db()
    return request


def test_a_verified_book_goes_to_the_first_lender_of_its_rota_without_staff(home, django_capture_on_commit_callbacks):
    LibraryFactory(symbol="AAA")
    request = verify(home, django_capture_on_commit_callbacks, format=RequestFormat.BOOK)
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "AAA")
    sent = Event.objects.get(request=request, action="send_to_lender")
    assert (sent.actor_kind, sent.actor_name) == ("system", "auto-routing")
    assert RotaEntry.objects.get(request=request).status == RotaStatus.SENT


def test_a_format_the_library_does_not_send_automatically_waits_for_staff(home, django_capture_on_commit_callbacks):
    LibraryFactory(symbol="AAA")
    request = verify(home, django_capture_on_commit_callbacks, format=RequestFormat.THESIS)
    assert request.status == BorrowingStatus.SOURCING
    assert RotaEntry.objects.get(request=request).status == RotaStatus.PENDING


def test_with_no_lender_in_the_rota_the_request_stays_with_staff(home, django_capture_on_commit_callbacks):
    request = verify(home, django_capture_on_commit_callbacks, format=RequestFormat.BOOK)
    assert request.status == BorrowingStatus.SOURCING


def test_the_borrowing_policy_page_saves_the_formats_sent_automatically(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR]))
    response = client.post(reverse("policies:borrowing"),
                           {**borrowing_data(), "auto_send_article": "on", "auto_send_book": "on"})
    assert response.status_code == 302
    assert LibraryPolicy.objects.get(library=home).auto_send_formats == {"book": True, "article": True}
