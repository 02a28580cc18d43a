"""Every message our workflows send a partner, as the outgoing builders make it, is valid in 1.2 and in 2021-2.

Each transition whose ISO 18626 entry we send (the borrowing side's request and actions, the lending side's
statuses and reasons), each reply of the lending table and a staff note on either side is queued as the
transition listener queues it, with the richest data the desks give (a citation with every field, tracking, a
copy's link, conditions, an unfilled reason); the queued message is then written in both versions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from borrowing.workflow import WORKFLOW as BORROWING
from lending.workflow import WORKFLOW as LENDING
from requests_app.iso18626 import xml
from requests_app.iso18626.json_codec import from_json
from requests_app.models import Event, IllRequest, Note, OutboxMessage, Role
from requests_app.partners.outgoing import SENT_BY, enqueue_for_transition, enqueue_note, enqueue_reply
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

VERSIONS = [xml.VERSION_1_2, xml.VERSION_2021_2]
#: What the desks put in an event's data (ship, deliver a copy, unfill, answer a renewal, offer conditions).
PAYLOAD = {"item_id": "39015012345678", "url": "https://ill.example.org/copies/t0k3n", "shipping_method": "Courier",
           "tracking_number": "1Z999AA10123456784", "carrier": "UPS", "reason_unfilled": "NotOnShelf",
           "answer": True, "loan_conditions": ["LibraryUseOnly", "NoReproduction"]}


def sent(workflow) -> list:
    return [t for t in workflow.transitions.values() if t.iso18626 and t.iso18626.message in SENT_BY[workflow.role]]


def rich_request(role: str) -> IllRequest:
    partner = LibraryFactory(iso18626_endpoint="https://partner.example/iso18626")
    factory = IllRequestFactory if role == Role.BORROWING else LendingRequestFactory
    return factory(partner=partner, format="article", service_type="Copy", title="On computable numbers",
                   container_title="Proc. London Math. Soc.", author="Turing, A. M.", volume="42", issue="1",
                   pages="230-265", issn="0024-6115", doi="10.1112/plms/s2-42.1.230", pmid="12345678",
                   oclc_number="1234567", isbn="9780000000002", publisher="LMS", place_of_publication="London",
                   edition="1st", need_by=timezone.localdate() + dt.timedelta(days=30), max_cost=Decimal("25.00"),
                   copyright_compliance="CCG", supplying_agency_request_id="LENDER-1",
                   due_date=timezone.localdate() + dt.timedelta(days=28))


def written(message: OutboxMessage, schema_errors: Callable[[bytes], list[str]]) -> dict[str, list[str]]:
    """The schema problems of ``message`` written in each version (none: valid in both)."""
    problems = {version: schema_errors(xml.encode(from_json(message.payload), version=version))
                for version in VERSIONS}
    return {version: found for version, found in problems.items() if found}


@pytest.mark.parametrize("transition", sent(BORROWING) + sent(LENDING), ids=lambda t: t.action)
def test_what_a_transition_sends_the_partner_is_valid_in_both_versions(transition, schema_errors):
    role = Role.BORROWING if transition in sent(BORROWING) else Role.LENDING
    request = rich_request(role)
    staff = Actor.staff(StaffFactory(library=request.library))
    event = Event(request=request, action=transition.action, note="Please see the conditions.",
                  created_at=timezone.now())

    queued = enqueue_for_transition(request=request, transition=transition, event=event, actor=staff,
                                    payload=PAYLOAD)

    assert queued is not None
    assert written(queued, schema_errors) == {}


@pytest.mark.parametrize("action", sorted(LENDING.replies))
def test_the_lending_tables_replies_are_valid_in_both_versions(action, schema_errors):
    queued = enqueue_reply(rich_request(Role.LENDING), LENDING.replies[action])

    assert written(queued, schema_errors) == {}


@pytest.mark.parametrize("role", [Role.BORROWING, Role.LENDING])
def test_a_staff_note_to_the_partner_is_valid_in_both_versions(role, schema_errors):
    request = rich_request(role)
    note = Note(request=request, text="Line one.\nLine two.", created_at=timezone.now())

    assert written(enqueue_note(request, note), schema_errors) == {}
