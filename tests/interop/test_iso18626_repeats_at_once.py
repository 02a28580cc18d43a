"""The same ISO 18626 message delivered twice at once, on PostgreSQL: it acts once and both get its answer.

The handler applies a message and writes its record (with a unique fingerprint) in one transaction;
the second delivery waits on the first one's rows, fails on the fingerprint, is rolled back, and is
answered with the first confirmation.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from requests_app.iso18626 import messages as m
from requests_app.models import EventSource, IllRequest, InboundMessage
from requests_app.partners import handler
from tests.factories import LibraryFactory, MemberLibraryFactory
from tests.interop.test_iso18626_intake_queries import new_request

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_a_request_delivered_twice_at_once_is_taken_in_once(postgres, monkeypatch):
    member, partner = MemberLibraryFactory(), LibraryFactory()
    message = new_request(member, partner, "R-RACE")
    original_create = InboundMessage.objects.create

    def slow_create(*args, **kwargs):  # both deliveries are inside their transactions at once
        time.sleep(0.3)
        return original_create(*args, **kwargs)

    monkeypatch.setattr(InboundMessage.objects, "create", slow_create)
    barrier = threading.Barrier(2)
    answers: list[object] = [None, None]

    def deliver(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = handler.handle(message, sender=partner, source=EventSource.ISO18626)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each delivery got
            answers[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(isinstance(a, m.RequestConfirmation) for a in answers), answers
    assert answers[0] == answers[1] and answers[0].header.message_status == m.MessageStatus.OK
    assert IllRequest.objects.filter(requesting_agency_request_id="R-RACE").count() == 1
    assert InboundMessage.objects.count() == 1
