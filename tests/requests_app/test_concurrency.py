"""Two people acting on one request at once, on PostgreSQL with real row locks."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import Event, IllRequest
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def race(request_id: int, actions: list[tuple[str, Actor]], monkeypatch) -> list[object]:
    """Run each action in its own thread and database connection, started together.

    The event write is slowed down so the first thread still holds the row lock when the
    second reaches ``select_for_update``: the two really overlap.
    """
    original_create = Event.objects.create

    def slow_create(*args, **kwargs):
        time.sleep(0.3)
        return original_create(*args, **kwargs)

    monkeypatch.setattr(Event.objects, "create", slow_create)
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: str, actor: Actor) -> None:
        try:
            request = IllRequest.objects.get(pk=request_id)
            barrier.wait()
            results[index] = services.perform(request=request, action=action, actor=actor)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a, actor)) for i, (a, actor) in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_staff_members_acting_at_once_exactly_one_wins_and_the_other_gets_a_conflict(postgres, monkeypatch):
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    alice = Actor.staff(StaffFactory(library=request.library))
    bob = Actor.staff(StaffFactory(library=request.library))

    results = race(request.pk, [("verify", alice), ("cancel", bob)], monkeypatch)

    winners = [r for r in results if isinstance(r, IllRequest)]
    losers = [r for r in results if isinstance(r, WorkflowError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].code == "conflict"
    request.refresh_from_db()
    assert request.status == winners[0].status
    assert Event.objects.filter(request=request).count() == 1


def test_the_same_action_twice_at_once_is_performed_once(postgres, monkeypatch):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED)
    staff = StaffFactory(library=request.library)

    results = race(request.pk, [("notify_patron", Actor.staff(staff)), ("notify_patron", Actor.staff(staff))],
                   monkeypatch)

    assert sum(isinstance(r, IllRequest) for r in results) == 1, results
    assert [r.code for r in results if isinstance(r, WorkflowError)] == ["conflict"]
    assert Event.objects.filter(request=request, action="notify_patron").count() == 1
