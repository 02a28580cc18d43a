"""Our active member libraries by symbol, kept per process for the partner doors.

A partner's create names the member library it asks (``supplying_library``); looking it up was a query and a model
object on every call, a tenth of a create's time. The libraries change seldom, so each process keeps what it read
for ILLMS_API_KEY_CACHE_SECONDS (at most 60), as it keeps the partners' keys (``keys.py``): a library switched
off, renamed or made a non-member in this process is read afresh at its next use; in another process within that
time. A symbol that names no active member library is not kept (a flood of made-up ones must not fill memory),
so a library added or switched on is found at once.
"""

from __future__ import annotations

import copy
import threading
import time

from django.db.models.signals import post_delete, post_save

from requests_app import selectors
from requests_app.models import Library

from .keys import _cache_seconds

_cache: dict[str, tuple[float, Library]] = {}
_lock = threading.Lock()
_LIMIT = 10_000


def active_member(symbol: str) -> Library | None:
    """The active member library whose symbol is ``symbol``, or ``None``: a copy of its own for each caller."""
    ttl = _cache_seconds()
    now = time.monotonic()
    if ttl:
        with _lock:
            cached = _cache.get(symbol)
        if cached is not None and now - cached[0] < ttl:
            return copy.copy(cached[1])
    library = selectors.member_directory().filter(symbol=symbol).first()
    if ttl and library is not None:
        with _lock:
            if len(_cache) >= _LIMIT:
                _cache.clear()
            _cache[symbol] = (now, library)
        return copy.copy(library)
    return library


def forget_members() -> None:
    """Drop every library from this process's cache."""
    with _lock:
        _cache.clear()


def _forget_library(sender, instance: Library, **kwargs) -> None:
    # By id, not by symbol: a library renamed is kept under its old symbol.
    with _lock:
        for symbol in [s for s, (_, library) in _cache.items() if library.pk == instance.pk]:
            del _cache[symbol]


post_save.connect(_forget_library, sender=Library, dispatch_uid="illms-forget-saved-member")
post_delete.connect(_forget_library, sender=Library, dispatch_uid="illms-forget-deleted-member")
