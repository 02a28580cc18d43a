"""A request's history in words: labels from the workflow tables, actors by name, the door in words."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import history, roles
from requests_app.actors import ActorKind
from requests_app.models import Event, EventSource
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


def event(request, action, from_status, to_status, **fields) -> Event:
    fields.setdefault("actor_kind", ActorKind.STAFF)
    return Event.objects.create(request=request, action=action, from_status=from_status, to_status=to_status,
                                **fields)


def test_a_staff_action_reads_as_its_label_states_and_the_staff_members_name():
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    clerk = StaffFactory(first_name="Dana", last_name="Clerk")
    line = history.line(event(request, "send_to_lender", BorrowingStatus.SOURCING, BorrowingStatus.SENT,
                              actor_user=clerk, source=EventSource.WEB), request)
    assert (line.what, line.from_state.label, line.to_state.label, line.who, line.how) == (
        "Send to lender", "Sourcing", "Sent to lender", "Dana Clerk", "at the desk")


def test_a_scheduled_job_is_named_as_one_without_a_second_door():
    request = IllRequestFactory(status=BorrowingStatus.OVERDUE)
    line = history.line(event(request, "mark_overdue", BorrowingStatus.CHECKED_OUT, BorrowingStatus.OVERDUE,
                              actor_kind=ActorKind.SYSTEM, actor_name="overdue job", source=EventSource.JOB), request)
    assert (line.what, line.who, line.how) == ("Mark overdue", "a scheduled job (overdue job)", "")


def test_a_partner_library_is_named_with_its_symbol_and_its_message_in_words():
    lender = LibraryFactory(symbol="LAKE", name="Lakeside University")
    request = IllRequestFactory(partner=lender, status=BorrowingStatus.EXPECTS_TO_SUPPLY)
    line = history.line(event(request, "lender_will_supply", BorrowingStatus.SENT, BorrowingStatus.EXPECTS_TO_SUPPLY,
                              actor_kind=ActorKind.PARTNER, actor_library=lender, source=EventSource.ISO18626),
                        request)
    assert (line.who, line.how) == ("partner library Lakeside University (LAKE)", "by ISO 18626 message")


def test_a_granted_renewal_says_until_when_and_a_refused_one_says_so_with_its_reason():
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT)
    granted = history.line(event(request, "lender_renewal_answer", BorrowingStatus.CHECKED_OUT,
                                 BorrowingStatus.CHECKED_OUT, actor_kind=ActorKind.PARTNER,
                                 data={"answer": "Y", "due_date": "2027-01-15"}), request)
    refused = history.line(event(request, "lender_renewal_answer", BorrowingStatus.CHECKED_OUT,
                                 BorrowingStatus.CHECKED_OUT, actor_kind=ActorKind.PARTNER, note="Wanted here",
                                 data={"answer": "N"}), request)
    assert (granted.outcome, granted.to_state) == ("granted until 01/15/2027", None)
    assert (refused.outcome, refused.note) == ("refused", "Wanted here")


def test_the_borrowing_desk_history_shows_labels_and_no_workflow_slugs(client):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = IllRequestFactory(library=home, status=BorrowingStatus.OVERDUE)
    event(request, "mark_overdue", BorrowingStatus.CHECKED_OUT, BorrowingStatus.OVERDUE, actor_kind=ActorKind.SYSTEM,
          actor_name="overdue job", source=EventSource.JOB, note="Due 2 Dec")
    content = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert "Mark overdue" in content and "Checked out to patron → Overdue" in content
    assert "a scheduled job (overdue job)" in content and "Due 2 Dec" in content
    assert "mark_overdue" not in content and "checked_out →" not in content


def test_the_lending_desk_history_names_the_borrowing_library_and_the_request_it_sent(client):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    borrower = LibraryFactory(symbol="BORR", name="Borrowing College")
    request = LendingRequestFactory(library=home, partner=borrower)
    event(request, "create", "", LendingStatus.NEW, actor_kind=ActorKind.PARTNER, actor_library=borrower,
          source=EventSource.ISO18626)
    content = client.get(reverse("lending:request", args=[request.pk])).content.decode()
    assert "Request received" in content and "partner library Borrowing College (BORR) by ISO 18626 message" in content


def test_the_desk_history_costs_the_same_queries_for_three_events_as_for_thirty(client):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = IllRequestFactory(library=home, status=BorrowingStatus.SENT)
    url = reverse("borrowing_staff:request", args=[request.pk])

    def add(count):
        for _ in range(count):
            event(request, "send_to_lender", BorrowingStatus.SOURCING, BorrowingStatus.SENT,
                  actor_user=StaffFactory(library=home))
            event(request, "lender_will_supply", BorrowingStatus.SENT, BorrowingStatus.EXPECTS_TO_SUPPLY,
                  actor_kind=ActorKind.PARTNER, actor_library=LibraryFactory())

    add(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(15)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
