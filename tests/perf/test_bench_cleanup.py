"""The benchmark takes out what its write measures added (bench/cleanup.py), and nothing of the generated history."""

from __future__ import annotations

import pytest

from lending.states import LendingStatus
from requests_app.models import Event, IllRequest
from tests.factories import IllRequestFactory, LendingRequestFactory

pytestmark = pytest.mark.django_db


def test_the_requests_written_after_the_watermark_go_with_their_events_and_the_others_stay():
    from bench import cleanup

    history = [IllRequestFactory(), LendingRequestFactory()]
    last = cleanup.last_request_id()
    written = LendingRequestFactory()
    Event.objects.create(request=written, action="receive_request", to_status=LendingStatus.NEW)

    result = cleanup.remove_requests_after(last)

    assert result["requests_removed"] == 1
    assert set(IllRequest.objects.values_list("pk", flat=True)) == {r.pk for r in history}
    assert not Event.objects.filter(request_id=written.pk).exists()


def test_an_empty_database_has_no_request_to_keep():
    from bench import cleanup

    assert cleanup.last_request_id() == 0
