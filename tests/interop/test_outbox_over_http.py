"""The outbox against a partner on a real loopback HTTP port that is down, then up."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lending.states import LendingStatus
from requests_app import services
from requests_app.iso18626 import messages as m
from requests_app.models import OutboxMessage, OutboxStatus
from requests_app.partners import outbox
from requests_app.partners.credentials import encrypt
from requests_app.workflow import Actor
from tests.factories import LendingRequestFactory, LibraryFactory, StaffFactory
from tests.interop.stub_partner import StubPartner

pytestmark = pytest.mark.django_db


def test_a_partner_down_for_three_attempts_receives_every_message_once_and_in_order():
    with StubPartner(fail_first=3) as partner_system:
        partner = LibraryFactory(iso18626_endpoint=partner_system.url, outgoing_secret=encrypt("their-key-for-us"))
        request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
        staff = Actor.staff(StaffFactory(library=request.library))
        for action in ("print_pull_slip", "will_supply", "ship"):
            services.perform(request=request, action=action, actor=staff)

        for _ in range(20):
            # Time passes.
            OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
            outbox.deliver_due()
            if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
                break

    assert [msg.status_info.status for msg in partner_system.received] == [
        m.Status.EXPECT_TO_SUPPLY, m.Status.WILL_SUPPLY, m.Status.LOANED]
    assert partner_system.attempts == 6
    assert set(partner_system.authorizations) == {"Bearer their-key-for-us"}
    assert list(OutboxMessage.objects.order_by("pk").values_list("status", "attempts")) == [
        ("delivered", 4), ("delivered", 1), ("delivered", 1)]
    first = OutboxMessage.objects.order_by("pk").first()
    assert first.confirmation["header"]["message_status"] == "OK"


def test_an_unreachable_partner_leaves_the_message_pending_with_the_reason():
    partner = LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=partner)
    services.perform(request=request, action="print_pull_slip",
                     actor=Actor.staff(StaffFactory(library=request.library)))
    outbox.deliver_due()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "unreachable" in message.last_error
