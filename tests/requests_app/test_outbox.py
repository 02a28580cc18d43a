"""The outbox: messages written with their change, delivered in order, retried, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import services
from requests_app.models import OutboxMessage, OutboxStatus
from requests_app.partners import outbox
from requests_app.partners.outbox import MessageRefused, TransportError
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def iso_partner():
    return LibraryFactory(iso18626_endpoint="http://127.0.0.1:9/iso18626")


@pytest.fixture
def fake_transport(monkeypatch):
    """Replace HTTP with a partner we control: ``down`` attempts fail, then it answers OK."""

    class Partner:
        down = 0
        received: list[dict] = []

        def __call__(self, message):
            if self.down > 0:
                self.down -= 1
                raise TransportError("connection refused")
            self.received.append(message.payload)
            return {"kind": "confirmation", "ok": True}

    partner = Partner()
    partner.received = []
    monkeypatch.setitem(outbox.TRANSPORTS, "iso18626", partner)
    return partner


def ship(request, staff):
    return services.perform(request=request, action="ship", actor=Actor.staff(staff),
                            data={"due_date": "2026-12-20"})


def pull_slip(request):
    return services.perform(request=request, action="print_pull_slip",
                            actor=Actor.staff(StaffFactory(library=request.library)))


def test_a_staff_action_the_partner_must_hear_of_writes_one_outbox_message(iso_partner):
    request = LendingRequestFactory(status=LendingStatus.AWAITING_SHIPPING, partner=iso_partner)
    ship(request, StaffFactory(library=request.library))
    message = OutboxMessage.objects.get(request=request)
    assert (message.kind, message.summary, message.transport) == ("supplyingAgencyMessage", "RequestResponse/Loaned",
                                                                  "iso18626")
    assert message.payload["status_info"]["due_date"].startswith("2026-12-20")


def test_a_refused_action_writes_no_message(iso_partner):
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    with pytest.raises(WorkflowError):
        ship(request, StaffFactory(library=request.library))
    assert not OutboxMessage.objects.exists()


def test_what_the_partner_told_us_is_not_sent_back_to_it(iso_partner):
    request = IllRequestFactory(status=BorrowingStatus.SENT, partner=iso_partner)
    services.perform(request=request, action="lender_shipped", actor=Actor.partner(iso_partner))
    assert not OutboxMessage.objects.exists()


def test_a_partner_without_an_endpoint_gets_no_message():
    request = LendingRequestFactory(status=LendingStatus.AWAITING_SHIPPING)
    ship(request, StaffFactory(library=request.library))
    assert not OutboxMessage.objects.exists()


def test_messages_are_sent_after_commit_in_the_order_they_were_written(iso_partner, fake_transport,
                                                                         django_capture_on_commit_callbacks):
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    staff = Actor.staff(StaffFactory(library=request.library))
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=request, action="print_pull_slip", actor=staff)
        services.perform(request=request, action="will_supply", actor=staff)
        services.perform(request=request, action="ship", actor=staff)
    assert [p["status_info"]["status"] for p in fake_transport.received] == ["ExpectToSupply", "WillSupply", "Loaned"]
    assert [p["message_info"]["reason_for_message"] for p in fake_transport.received] == [
        "RequestResponse", "StatusChange", "StatusChange"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_partner_down_for_three_attempts_gets_every_message_once_in_order(iso_partner, fake_transport):
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    staff = Actor.staff(StaffFactory(library=request.library))
    for action in ("print_pull_slip", "will_supply", "ship"):
        services.perform(request=request, action=action, actor=staff)
    fake_transport.down = 3

    now = timezone.now()
    for _ in range(60):
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=now)  # time passes
        outbox.deliver_due()
        if not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists():
            break

    statuses = [p["status_info"]["status"] for p in fake_transport.received]
    assert statuses == ["ExpectToSupply", "WillSupply", "Loaned"]
    first = OutboxMessage.objects.order_by("pk").first()
    assert first.attempts == 4
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 3


def test_a_later_message_waits_while_an_earlier_one_is_undelivered(iso_partner, fake_transport):
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    staff = Actor.staff(StaffFactory(library=request.library))
    services.perform(request=request, action="print_pull_slip", actor=staff)
    services.perform(request=request, action="will_supply", actor=staff)
    first, second = OutboxMessage.objects.order_by("pk")
    first.next_attempt_at = timezone.now() + dt.timedelta(hours=1)
    first.save()
    assert outbox.deliver(second) is False
    assert fake_transport.received == []


def test_failed_attempts_back_off_exponentially(iso_partner, fake_transport):
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    pull_slip(request)
    fake_transport.down = 10
    message = OutboxMessage.objects.get()
    waits = []
    for _ in range(3):
        message.refresh_from_db()
        before = timezone.now()
        outbox.deliver(message)
        message.refresh_from_db()
        waits.append(round((message.next_attempt_at - before).total_seconds() / 30))
        message.next_attempt_at = timezone.now()
        message.save()
    assert waits == [1, 2, 4]
    assert "connection refused" in message.last_error


def test_after_the_retry_limit_the_message_fails_and_staff_can_resend_it(iso_partner, fake_transport, settings):
    settings.ILLMS_OUTBOX_MAX_ATTEMPTS = 2
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    pull_slip(request)
    fake_transport.down = 5
    message = OutboxMessage.objects.get()
    for _ in range(2):
        message.refresh_from_db()
        message.next_attempt_at = timezone.now()
        message.save()
        outbox.deliver(message)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "Gave up after 2 attempts" in message.last_error

    fake_transport.down = 0
    outbox.resend(message)
    assert outbox.deliver_request(request.pk) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED


def test_an_error_confirmation_fails_the_message_at_once(iso_partner, monkeypatch):
    def refuse(message):
        raise MessageRefused("The partner answered ERROR (UnrecognisedDataValue).", {"kind": "x"})

    monkeypatch.setitem(outbox.TRANSPORTS, "iso18626", refuse)
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    pull_slip(request)
    message = OutboxMessage.objects.get()
    assert outbox.deliver(message) is False
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 1)


def test_a_message_claimed_by_one_worker_is_not_sent_by_another(iso_partner, fake_transport):
    request = LendingRequestFactory(status=LendingStatus.NEW, partner=iso_partner)
    pull_slip(request)
    message = OutboxMessage.objects.get()
    stale_copy = OutboxMessage.objects.get()
    assert outbox.deliver(message) is True
    assert outbox.deliver(stale_copy) is False
    assert len(fake_transport.received) == 1
