"""A lender's conditions are shown beside the Accept and Refuse buttons, to the patron and to staff, fee included."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.actors import ActorKind
from requests_app.models import Event, EventSource
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


def conditional_request(**fields):
    lender = LibraryFactory(name="Lakeside University Library")
    request = IllRequestFactory(partner=lender, status=BorrowingStatus.CONDITIONAL, **fields)
    Event.objects.create(request=request, action="lender_conditional", from_status=BorrowingStatus.SENT,
                         to_status=BorrowingStatus.CONDITIONAL, actor_kind=ActorKind.PARTNER, actor_library=lender,
                         source=EventSource.ISO18626, note="Reading room only, fragile binding.",
                         data={"loan_conditions": ["LibraryUseOnly", "Cost"],
                               "offered_cost": {"amount": "12.50", "currency": "EUR"}})
    return request


def test_the_patron_sees_the_conditions_and_their_fee_beside_accept_and_refuse(client):
    patron = PatronFactory()
    client.force_login(patron)
    request = conditional_request(patron=patron, library=patron.patron_profile.library)
    content = client.get(reverse("patron-request", args=[request.pk])).content.decode()
    panel = content[content.index('id="conditions"'):content.index("What you can do")]
    assert "Library use only" in panel and "Fee: 12.50 EUR" in panel and "fragile binding" in panel
    assert "Accept conditions" in content[content.index("What you can do"):]


def test_borrowing_staff_see_the_conditions_and_their_fee_in_the_actions_column(client):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = conditional_request(library=home)
    content = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    aside = content[content.index('id="conditions"'):]
    assert "Lakeside University Library offers to supply on these conditions" in aside
    assert "Fee: 12.50 EUR" in aside and aside.index("Fee: 12.50 EUR") < aside.index("Accept conditions")


def test_conditions_of_a_lender_the_request_moved_on_from_are_not_shown(client):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = conditional_request(library=home)
    request.partner = LibraryFactory()
    request.status = BorrowingStatus.SENT
    request.save()
    content = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert 'id="conditions"' not in content


def test_the_lending_desk_asks_a_fee_with_its_currency_when_offering_conditions(client):
    home = MemberLibraryFactory(currency="EUR")
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    request = LendingRequestFactory(library=home, status=LendingStatus.NEW)
    url = reverse("lending:request", args=[request.pk])
    form = client.get(url).context["actions"]
    conditions = next(a["form"] for a in form if a["transition"].action == "offer_conditions")
    assert conditions["fee_currency"].value() == "EUR"
    response = client.post(reverse("lending:action", args=[request.pk, "offer_conditions"]), {
        "offer_conditions-conditions": ["LibraryUseOnly"], "offer_conditions-note": "Reading room only.",
        "offer_conditions-fee_amount": "8", "offer_conditions-fee_currency": "eur",
        "expected_status": LendingStatus.NEW})
    assert response.status_code == 302
    event = Event.objects.get(request=request, action="offer_conditions")
    assert event.data == {"loan_conditions": ["LibraryUseOnly", "Cost"],
                          "offered_cost": {"amount": "8.00", "currency": "EUR"}}
    assert "Fee: 8.00 EUR" in client.get(url).content.decode()


def test_a_fee_ticked_without_an_amount_is_refused_on_the_form(client):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    request = LendingRequestFactory(library=home, status=LendingStatus.NEW)
    response = client.post(reverse("lending:action", args=[request.pk, "offer_conditions"]), {
        "offer_conditions-conditions": ["Cost"], "offer_conditions-note": "A fee.",
        "expected_status": LendingStatus.NEW})
    assert response.status_code == 400
    assert "give its amount" in response.content.decode()
    assert not Event.objects.filter(request=request, action="offer_conditions").exists()
