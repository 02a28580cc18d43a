"""Rate limits on the partner doors, counted in Django's cache (Redis in production, process memory by default).

A window per scope and caller, opened by its first call and lasting the rate's period: the
first call adds the counter (with the period as its expiry), later calls increment it (both
atomic on Redis and in process memory, and an increment keeps the expiry), so two processes
never lose a call. The limits are set well above what a partner's ILL system sends, to stop
floods and brute force, not to meter.

Scopes (``ILLMS_THROTTLE_*`` settings, e.g. ``"600/min"``): ``api_key`` per partner API key,
``partner`` per partner library (whatever its credential), ``unauthenticated`` per address for
calls with no usable credential; ``sru`` per address on our open SRU catalogue (``ILLMS_SRU_RATE``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
           "d": 86400, "day": 86400}

#: Scope → (setting, default).
SCOPES = {
    "api_key": ("ILLMS_THROTTLE_API_KEY_RATE", "600/min"),
    "partner": ("ILLMS_THROTTLE_PARTNER_RATE", "1200/min"),
    "unauthenticated": ("ILLMS_THROTTLE_UNAUTHENTICATED_RATE", "60/min"),
    # Our open catalogue at /sru, per client address (lending/views/sru.py).
    "sru": ("ILLMS_SRU_RATE", "120/min"),
}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate | None:
    """``"600/min"`` → ``Rate(600, 60)``; ``"120/5m"`` → ``Rate(120, 300)``; empty or ``"off"`` → ``None``."""
    text = (text or "").strip().lower()
    if text in {"", "off", "none"}:
        return None
    count, _, period = text.partition("/")
    digits = "".join(c for c in period if c.isdigit())
    unit = period[len(digits):]
    if not count.isdigit() or unit not in PERIODS:
        raise ValueError(f"{text!r} is not a rate like 600/min, 10/s, 5000/hour or 120/5m")
    return Rate(int(count), PERIODS[unit] * (int(digits) if digits else 1))


def rate_for(scope: str) -> Rate | None:
    setting, default = SCOPES[scope]
    return parse_rate(getattr(settings, setting, default))


@dataclass(frozen=True)
class Throttled(Exception):
    """Over the rate of ``scope``: try again after ``retry_after`` seconds."""

    scope: str
    retry_after: int

    @property
    def note(self) -> str:
        return ngettext("Too many messages: try again in %(seconds)d second.",
                        "Too many messages: try again in %(seconds)d seconds.", self.retry_after) % {
            "seconds": self.retry_after}


def _key(scope: str, ident: str) -> str:
    return f"illms:throttle:{scope}:{ident}"


def _retry_after(key: str, rate: Rate, now: float) -> int:
    ends = cache.get(f"{key}:ends") or now + rate.seconds
    return max(1, math.ceil(ends - now))


def hit_all(*hits: tuple[str, str]) -> None:
    """Count one call in each ``(scope, ident)``; raise ``Throttled`` for the first that is over its rate.

    On Redis every counter is counted in one round trip (a pipeline: ``SET … NX EX`` opens a window with its
    expiry if none is open, ``INCR`` counts; an increment keeps the expiry): the partner doors count two on every
    call, and four round trips were a large share of taking in an ISO 18626 message. Elsewhere, one by one. The
    pipeline is a MULTI/EXEC transaction: a window that ended between its ``SET`` and its ``INCR`` would otherwise
    be opened again by the ``INCR`` with no expiry, and throttle its sender for good.
    """
    rated = [(scope, ident, rate) for scope, ident in hits if (rate := rate_for(scope)) is not None]
    client = _redis_client()
    if client is None:
        for scope, ident, _rate in rated:
            hit(scope, ident)
        return
    pipeline = client.pipeline(transaction=True)
    keys = []
    for scope, ident, rate in rated:
        key = cache.make_and_validate_key(_key(scope, ident))
        keys.append(key)
        pipeline.set(key, 0, ex=rate.seconds, nx=True)
        pipeline.incr(key)
    answers = pipeline.execute()
    for (scope, _ident, rate), key, count in zip(rated, keys, answers[1::2], strict=True):
        if count > rate.count:
            left = client.ttl(key)
            raise Throttled(scope, max(1, left if left and left > 0 else rate.seconds))


def _redis_client():
    """The Redis client of Django's cache when it is Django's Redis backend, else ``None``."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    default = caches["default"]
    return default._cache.get_client(write=True) if isinstance(default, RedisCache) else None


def hit(scope: str, ident: str) -> None:
    """Count one call of ``ident`` in ``scope``; raise ``Throttled`` when it is over the rate."""
    rate = rate_for(scope)
    if rate is None:
        return
    now, key = time.time(), _key(scope, ident)
    try:
        count = cache.incr(key)
    except ValueError:  # no window open: this call opens one, which ends rate.seconds from now
        if cache.add(key, 1, timeout=rate.seconds):
            cache.set(f"{key}:ends", now + rate.seconds, timeout=rate.seconds)
            count = 1
        else:  # another process opened it meanwhile
            count = cache.incr(key)
    else:
        if count == 1:  # the counter expired between Redis' EXISTS and INCR: INCR made it anew, with no expiry
            cache.touch(key, rate.seconds)
            cache.set(f"{key}:ends", now + rate.seconds, timeout=rate.seconds)
    if count > rate.count:
        raise Throttled(scope, _retry_after(key, rate, now))
