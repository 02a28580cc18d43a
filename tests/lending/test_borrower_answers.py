"""The borrower's ISO 18626 answers to our conditions, through the protocol handler."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lending.states import LendingStatus
from requests_app.iso18626 import messages as m
from requests_app.models import IllRequest
from requests_app.partners import handler
from requests_app.partners.outgoing import CONDITIONS_ACCEPTED_NOTE, build_requesting_agency_message
from tests.lending.factories import IncomingRequestFactory

pytestmark = pytest.mark.django_db


def borrower_says(lending: IllRequest, action: m.Action, note: str | None = None):
    # The borrower's view of the same transaction: its library asks ours.
    theirs = IllRequest(library=lending.partner, partner=lending.library,
                        requesting_agency_request_id=lending.requesting_agency_request_id,
                        supplying_agency_request_id=lending.supplying_agency_request_id)
    message = build_requesting_agency_message(theirs, action, note=note, timestamp=timezone.now())
    return handler.handle(message, sender=lending.partner)


def test_the_borrower_accepting_our_conditions_sends_the_item_to_picking(library):
    lending = IncomingRequestFactory(library=library, status=LendingStatus.CONDITIONAL)
    confirmation = borrower_says(lending, m.Action.NOTIFICATION, note=f"{CONDITIONS_ACCEPTED_NOTE} fine")
    assert confirmation.header.message_status == m.MessageStatus.OK
    lending.refresh_from_db()
    assert lending.status == LendingStatus.AWAITING_PICKING


def test_the_borrower_refusing_our_conditions_cancels_the_request(library):
    lending = IncomingRequestFactory(library=library, status=LendingStatus.CONDITIONAL)
    borrower_says(lending, m.Action.CANCEL)
    lending.refresh_from_db()
    assert lending.status == LendingStatus.CANCELLED
    assert lending.events.get().action == "borrower_rejected_conditions"
