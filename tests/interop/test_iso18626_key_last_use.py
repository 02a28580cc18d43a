"""When a partner's key was last used, on the ISO 18626 doors: written with the message, not by a commit of its own.

A message stored for the worker keeps the prefix of the key it came with; the worker writes the key's last use with
the batch that applies it. Whatever is answered without storing a message writes the use at once, as the REST API
does.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import InboundMessage, PartnerApiKey
from requests_app.partners import intake
from requests_app.partners.keys import LAST_USE_SECONDS, issue_api_key, record_uses
from requests_app.partners.outgoing import agency_id
from tests.factories import LibraryFactory, MemberLibraryFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def by_worker(settings, monkeypatch):
    """Messages are stored and confirmed; nothing applies them until the test runs the worker's code."""
    from illms.celery import app

    settings.ILLMS_ISO18626_APPLY = intake.BY_WORKER
    monkeypatch.setattr(intake, "kick", lambda: None)
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def iso_request(library, partner, rid="NFC-100"):
    return m.Request(
        header=m.RequestHeader(supplying_agency_id=agency_id(library), requesting_agency_id=agency_id(partner),
                               timestamp=T0, requesting_agency_request_id=rid),
        bibliographic_info=m.BibliographicInfo(title="Interlending", author="Line, Maurice"),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW),
    )


def post(client, message, raw_key: str) -> m.Confirmation:
    response = client.post("/iso18626", data=xml.encode(message), content_type="application/xml",
                           HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return xml.decode(response.content)


@pytest.fixture
def parties():
    library, partner = MemberLibraryFactory(), LibraryFactory()
    key, raw = issue_api_key(library=partner, name="ILL system")
    return library, partner, key, raw


def test_a_stored_message_keeps_the_prefix_of_the_key_it_came_with(client, parties):
    library, partner, key, raw = parties

    post(client, iso_request(library, partner), raw)

    assert InboundMessage.objects.get().api_key_prefix == key.prefix


def test_taking_a_message_in_writes_nothing_to_the_key(client, parties):
    library, partner, key, raw = parties

    with CaptureQueriesContext(connection) as queries:
        confirmation = post(client, iso_request(library, partner), raw)

    assert confirmation.header.message_status == m.MessageStatus.OK
    assert not [q["sql"] for q in queries if "partnerapikey" in q["sql"].lower() and q["sql"].startswith("UPDATE")]
    key.refresh_from_db()
    assert key.last_used_at is None


def test_the_worker_writes_the_keys_last_use_as_when_the_message_was_received(client, parties):
    library, partner, key, raw = parties
    post(client, iso_request(library, partner), raw)

    intake.apply_pending()

    key.refresh_from_db()
    assert key.last_used_at == InboundMessage.objects.get().received_at


def test_the_worker_writes_a_keys_latest_use_of_its_batch(client, parties):
    library, partner, key, raw = parties
    for rid in ("R-1", "R-2", "R-3"):
        post(client, iso_request(library, partner, rid), raw)
    latest = InboundMessage.objects.latest("pk").received_at
    InboundMessage.objects.filter(api_key_prefix=key.prefix).exclude(received_at=latest).update(
        received_at=latest - dt.timedelta(minutes=5))

    intake.apply_pending()

    key.refresh_from_db()
    assert key.last_used_at == latest


def test_a_message_answered_error_at_once_writes_its_keys_last_use_at_once(client, parties):
    _library, partner, key, raw = parties
    stranger = LibraryFactory()  # not served here: answered ERROR, nothing stored

    confirmation = post(client, iso_request(stranger, partner), raw)

    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert not InboundMessage.objects.exists()
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_repeat_writes_its_keys_last_use_at_once(client, parties):
    library, partner, key, raw = parties
    post(client, iso_request(library, partner), raw)

    post(client, iso_request(library, partner), raw)

    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_good_key_sent_for_another_library_writes_its_last_use(client, parties):
    library, partner, key, raw = parties
    other = LibraryFactory()

    response = client.post("/iso18626", data=xml.encode(iso_request(library, other)),
                           content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_applied_at_once_the_keys_last_use_is_written_at_once(client, parties, settings):
    settings.ILLMS_ISO18626_APPLY = intake.AT_ONCE
    library, partner, key, raw = parties

    post(client, iso_request(library, partner), raw)

    key.refresh_from_db()
    assert key.last_used_at is not None
    assert InboundMessage.objects.get().api_key_prefix == key.prefix


def test_a_use_is_written_for_a_key_never_used():
    key, _raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    when = timezone.now()

    assert record_uses({key.prefix: when}) == 1

    key.refresh_from_db()
    assert key.last_used_at == when


def test_an_older_use_written_after_a_newer_one_changes_nothing():
    key, _raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    newer = timezone.now()
    record_uses({key.prefix: newer})

    assert record_uses({key.prefix: newer - dt.timedelta(minutes=10)}) == 0

    key.refresh_from_db()
    assert key.last_used_at == newer


def test_a_use_within_a_minute_of_the_one_written_is_not_written_again():
    key, _raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    first = timezone.now()
    record_uses({key.prefix: first})

    assert record_uses({key.prefix: first + dt.timedelta(seconds=LAST_USE_SECONDS - 1)}) == 0


def test_the_uses_of_several_keys_are_written_in_one_statement(django_assert_num_queries):
    keys = [issue_api_key(library=LibraryFactory(), name="ILL system")[0] for _ in range(3)]
    when = timezone.now()

    with django_assert_num_queries(1):
        record_uses({key.prefix: when - dt.timedelta(seconds=n) for n, key in enumerate(keys)})

    assert [key.last_used_at for key in PartnerApiKey.objects.order_by("pk")] == [
        when - dt.timedelta(seconds=n) for n in range(3)]
