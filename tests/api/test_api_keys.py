"""Partner API keys: the one-query look-up behind every partner call, and who it lets in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from requests_app.models import PartnerApiKey
from requests_app.partners.keys import authenticate_api_key, issue_api_key, revoke_api_key
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def _field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_the_key_look_up_gives_the_key_and_its_library_as_the_orm_reads_them():
    library = LibraryFactory(ip_allowlist="192.0.2.0/24", outgoing_secret="token", refused_messages=3)
    key, _raw = issue_api_key(library=library, name="ILL system")
    PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now(),
                                                   expires_at=timezone.now() + dt.timedelta(days=30))

    found = PartnerApiKey.objects.by_prefix_with_library(key.prefix)
    expected = PartnerApiKey.objects.select_related("library").get(pk=key.pk)

    assert _field_values(found) == _field_values(expected)
    assert _field_values(found.library) == _field_values(expected.library)


def test_the_key_look_up_is_one_query_and_the_library_needs_none_more():
    key, _raw = issue_api_key(library=LibraryFactory(), name="ILL system")

    with CaptureQueriesContext(connection) as queries:
        found = PartnerApiKey.objects.by_prefix_with_library(key.prefix)
        symbol = found.library.symbol

    assert symbol == key.library.symbol
    assert len(queries) == 1


def test_an_unknown_prefix_finds_no_key():
    issue_api_key(library=LibraryFactory(), name="ILL system")

    assert PartnerApiKey.objects.by_prefix_with_library("000000000000") is None


def test_a_key_authenticates_as_its_library_and_records_when_it_was_used():
    key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")

    found = authenticate_api_key(raw)

    assert found.pk == key.pk and found.library_id == key.library_id
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_with_a_wrong_secret_does_not_authenticate():
    _key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")

    assert authenticate_api_key(raw[:-4] + "AAAA") is None


def test_a_revoked_key_does_not_authenticate():
    key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    revoke_api_key(key=key)

    assert authenticate_api_key(raw) is None


def test_an_expired_key_does_not_authenticate():
    key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    PartnerApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    assert authenticate_api_key(raw) is None


def test_the_key_of_an_inactive_library_does_not_authenticate():
    _key, raw = issue_api_key(library=LibraryFactory(active=False), name="ILL system")

    assert authenticate_api_key(raw) is None


def test_a_key_checked_again_within_the_cache_time_costs_no_query(django_assert_num_queries):
    _key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    authenticate_api_key(raw)
    with django_assert_num_queries(0):
        assert authenticate_api_key(raw) is not None


def test_a_key_revoked_in_this_process_is_refused_at_once_though_it_was_cached():
    key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    authenticate_api_key(raw)
    revoke_api_key(key=key)
    assert authenticate_api_key(raw) is None


def test_a_key_revoked_by_another_process_is_refused_once_the_cache_time_has_passed(monkeypatch, settings):
    import time

    from requests_app.partners import keys

    settings.ILLMS_API_KEY_CACHE_SECONDS = 30
    key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    authenticate_api_key(raw)
    PartnerApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())  # no signal: as another process
    assert authenticate_api_key(raw) is not None
    later = time.monotonic() + 31
    monkeypatch.setattr(keys.time, "monotonic", lambda: later)
    assert authenticate_api_key(raw) is None


def test_the_cache_time_is_capped_at_a_minute(settings):
    from requests_app.partners.keys import _cache_seconds

    settings.ILLMS_API_KEY_CACHE_SECONDS = 3600
    assert _cache_seconds() == 60


def test_a_library_switched_off_in_this_process_has_its_keys_refused_at_once():
    library = LibraryFactory()
    _key, raw = issue_api_key(library=library, name="ILL system")
    authenticate_api_key(raw)
    library.active = False
    library.save()
    assert authenticate_api_key(raw) is None


def test_saving_another_library_keeps_a_cached_key(django_assert_num_queries):
    _key, raw = issue_api_key(library=LibraryFactory(), name="ILL system")
    authenticate_api_key(raw)
    LibraryFactory().save()
    with django_assert_num_queries(0):
        assert authenticate_api_key(raw) is not None
