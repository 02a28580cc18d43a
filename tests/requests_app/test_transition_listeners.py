"""The transition listeners: what the partner side registers to hear of a transition inside its transaction."""

from __future__ import annotations

import pytest

from borrowing.states import BorrowingStatus
from requests_app import services, transition_listeners
from requests_app.models import Event, IllRequest
from requests_app.partners.outgoing import enqueue_for_transition
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listeners(monkeypatch):
    """The registry emptied for one test; the partner side's listener comes back afterwards."""
    registered: list = []
    monkeypatch.setattr(transition_listeners, "_listeners", registered)
    return registered


def verify(request: IllRequest) -> IllRequest:
    return services.perform(request=request, action="verify", actor=Actor.staff(StaffFactory(library=request.library)))


def test_the_partner_side_registers_its_outbox_listener_at_start_up():
    assert enqueue_for_transition in transition_listeners._listeners


def test_a_listener_hears_the_transition_after_its_event_is_written(listeners):
    heard = []

    def listener(*, request, transition, event, actor, payload):
        heard.append((transition.action, event.to_status, Event.objects.filter(pk=event.pk).exists()))

    transition_listeners.register_transition_listener(listener)
    verify(IllRequestFactory(status=BorrowingStatus.SUBMITTED))

    assert heard == [("verify", BorrowingStatus.SOURCING, True)]


def test_a_listener_that_fails_undoes_the_transition_it_heard_in_the_same_transaction(listeners):
    def listener(**kwargs):
        raise RuntimeError("the outbox is full")

    transition_listeners.register_transition_listener(listener)
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    with pytest.raises(RuntimeError):
        verify(request)

    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUBMITTED
    assert not Event.objects.filter(request=request, action="verify").exists()


def test_a_listener_registered_twice_hears_each_transition_once(listeners):
    heard = []

    def listener(*, transition, **kwargs):
        heard.append(transition.action)

    transition_listeners.register_transition_listener(listener)
    transition_listeners.register_transition_listener(listener)
    verify(IllRequestFactory(status=BorrowingStatus.SUBMITTED))

    assert heard == ["verify"]
