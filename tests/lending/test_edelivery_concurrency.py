"""Downloads racing for the last allowed one, on PostgreSQL with real concurrent connections."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from lending.models import DownloadLog, ElectronicDelivery
from lending.services.edelivery import claim_download
from lending.states import LendingStatus
from tests.lending.factories import IncomingRequestFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_eight_downloads_at_once_of_a_five_download_link_serve_exactly_five(postgres):
    delivery = ElectronicDelivery.objects.create(
        request=IncomingRequestFactory(status=LendingStatus.COPY_DELIVERED), file="lending/x.pdf", token="race-token",
        expires_at=timezone.now() + dt.timedelta(days=1), max_downloads=5)
    barrier = threading.Barrier(8)
    results: list[object] = []

    def download() -> None:
        try:
            barrier.wait()
            results.append(claim_download(token="race-token", ip="192.0.2.1", user_agent="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r is not None for r in results) == 5
    delivery.refresh_from_db()
    assert delivery.download_count == 5 and DownloadLog.objects.count() == 5
