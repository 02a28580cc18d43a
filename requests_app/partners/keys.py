"""Partner API keys: issued, rotated and revoked by administrators, checked on every partner door.

A key is shown once, when it is issued, and stored hashed (SHA-256) under a public prefix that finds
its row; :func:`check_api_key` is what :mod:`.authentication` asks.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, Q, Value, When
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from ..models import Library, PartnerApiKey

API_KEY_PREFIX = "illms"


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_api_key(*, library: Library, name: str) -> tuple[PartnerApiKey, str]:
    """Issue a new key for ``library``; returns the row and the raw key, which is shown only now."""
    prefix = secrets.token_hex(6)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = PartnerApiKey.objects.create(library=library, name=name.strip() or "API key", prefix=prefix,
                                       key_hash=_hash_key(raw))
    return key, raw


def rotate_api_key(*, key: PartnerApiKey) -> tuple[PartnerApiKey, str]:
    """Revoke ``key`` and issue its successor with the same name."""
    with transaction.atomic():
        revoke_api_key(key=key)
        return issue_api_key(library=key.library, name=key.name)


def revoke_api_key(*, key: PartnerApiKey) -> PartnerApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    forget_key(key.prefix)  # at once in this process; other processes within ILLMS_API_KEY_CACHE_SECONDS
    return key


# A per-process cache of the keys looked up by prefix: each partner call would otherwise cost a query and two
# model objects before any work. An entry lives ILLMS_API_KEY_CACHE_SECONDS (at most 60), so a key revoked or
# a library switched off in another process is refused within that time; in this process at once.
_cache: dict[str, tuple[float, PartnerApiKey | None]] = {}
_cache_lock = threading.Lock()


def _cache_seconds() -> float:
    return max(0.0, min(60.0, float(getattr(settings, "ILLMS_API_KEY_CACHE_SECONDS", 30))))


def forget_key(prefix: str | None = None) -> None:
    """Drop ``prefix`` (or every key) from this process's cache."""
    with _cache_lock:
        if prefix is None:
            _cache.clear()
        else:
            _cache.pop(prefix, None)


def _forget_saved_key(sender, instance: PartnerApiKey, **kwargs) -> None:
    forget_key(instance.prefix)


def _forget_keys_of_library(sender, instance: Library, **kwargs) -> None:
    """Only the saved library's keys: saving some other library must not cost every partner a key query."""
    with _cache_lock:
        for prefix in [p for p, (_, key) in _cache.items() if key is not None and key.library_id == instance.pk]:
            del _cache[prefix]


# A key or a library changed in this process (revoked, expired, switched off) is read afresh at its next use.
post_save.connect(_forget_saved_key, sender=PartnerApiKey, dispatch_uid="illms-forget-saved-key")
post_delete.connect(_forget_saved_key, sender=PartnerApiKey, dispatch_uid="illms-forget-deleted-key")
post_save.connect(_forget_keys_of_library, sender=Library, dispatch_uid="illms-forget-keys-of-saved-library")


def _key_by_prefix(prefix: str) -> PartnerApiKey | None:
    ttl = _cache_seconds()
    now = time.monotonic()
    if ttl:
        with _cache_lock:
            cached = _cache.get(prefix)
        if cached is not None and now - cached[0] < ttl and cached[1] is not None:
            return cached[1]
    key = PartnerApiKey.objects.by_prefix_with_library(prefix)
    if ttl and key is not None:  # unknown prefixes are not kept: a flood of made-up ones must not fill memory
        with _cache_lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[prefix] = (now, key)
    return key


class ApiKeyRejected(Exception):
    """``raw`` is no usable key: ``reason`` says why (for the log, never the key), ``library`` is whose it
    names when its prefix is one of ours (a wrong, revoked or expired key of that library)."""

    def __init__(self, reason: str, library: Library | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.library = library


def check_api_key(raw: str, *, defer_use: bool = False) -> PartnerApiKey:
    """The usable key ``raw`` names, its library selected; raises ``ApiKeyRejected``.

    Records its last use (:func:`record_use`), unless ``defer_use``: then the caller records it, at once with
    :func:`record_use` or later with :func:`record_uses` (the ISO 18626 doors: with the message they store).
    """
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise ApiKeyRejected("not an ILLMS partner key")
    key = _key_by_prefix(parts[1])
    if key is None:
        raise ApiKeyRejected(f"unknown key {parts[1]}…")
    if not hmac.compare_digest(key.key_hash, _hash_key(raw.strip())):
        raise ApiKeyRejected(f"wrong key with the prefix {key.prefix}…", key.library)
    if not key.is_usable:
        raise ApiKeyRejected(f"{'revoked' if key.revoked_at else 'expired'} key {key.prefix}…", key.library)
    if not key.library.active:
        raise ApiKeyRejected(f"key {key.prefix}… of the inactive library {key.library.symbol}", key.library)
    if not defer_use:
        record_use(key)
    return key


#: A key's last use is written at most once in this many seconds (each write is a commit of its own).
LAST_USE_SECONDS = 60


def record_use(key: PartnerApiKey) -> None:
    """Write that ``key`` was used now, unless a use less than ``LAST_USE_SECONDS`` ago is written already."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USE_SECONDS:
        PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def record_uses(uses: dict[str, datetime.datetime]) -> int:
    """Write the last uses ``uses`` gives (key prefix → when) in one statement; returns how many keys changed.

    A key's use is written when it is later than the one written, by more than ``LAST_USE_SECONDS`` (or none
    is): a use written twice, or an older one written after a newer, changes nothing.
    """
    uses = {prefix: when for prefix, when in uses.items() if prefix}
    if not uses:
        return 0
    when = Case(*(When(prefix=prefix, then=Value(used)) for prefix, used in uses.items()),
                output_field=DateTimeField())
    stale = Case(*(When(prefix=prefix, then=Value(used - datetime.timedelta(seconds=LAST_USE_SECONDS)))
                   for prefix, used in uses.items()), output_field=DateTimeField())
    return (PartnerApiKey.objects.filter(prefix__in=list(uses))
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)).update(last_used_at=when))


def authenticate_api_key(raw: str) -> PartnerApiKey | None:
    """The usable key ``raw`` names (its library selected), or ``None``. Records when it was last used."""
    try:
        return check_api_key(raw)
    except ApiKeyRejected:
        return None
