"""Reads that can stand a replica's lag go to ``DATABASE_REPLICA_URL`` when it is set (docs/deployment.md).

The statistics pages and every CSV export read much and write nothing: with a streaming replica configured, they
read from it and leave the primary to the desks and the partners. Everything else, and every write, goes to the
primary. Without ``DATABASE_REPLICA_URL`` nothing changes.

``replica_reads()`` is the switch (a context variable, so it holds for one request or one job and never leaks to
another thread); :class:`ReplicaRouter` reads it; :class:`ReplicaReadsMiddleware` turns it on for the views that
qualify, also while a streamed CSV is being written out after the view returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
_reading_replica: ContextVar[bool] = ContextVar("illms_replica_reads", default=False)


def replica_configured() -> bool:
    return settings.ILLMS_REPLICA_READS and REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica (when one is configured); writes still go to the primary."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if _reading_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        # Always the primary, also for an object that was read from the replica (Django would otherwise write
        # where the object came from).
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        # The replica follows the primary's schema by replication; nothing is ever migrated on it.
        return False if db == REPLICA else None


def replica_view(request) -> bool:
    """Whether this request only reads figures that may lag a few seconds: statistics pages and CSV exports."""
    if request.method not in {"GET", "HEAD"}:
        return False
    match = request.resolver_match
    if match is None:
        return False
    return "statistics" in match.namespaces or (match.url_name or "").lower().endswith("csv")


def _streamed_on_replica(content: Iterable[bytes]) -> Iterator[bytes]:
    with replica_reads():
        yield from content


class ReplicaReadsMiddleware:
    """Runs the statistics pages and CSV exports with their reads on the replica (nothing without one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = request.__dict__.pop("_illms_replica_token", None)
        if token is not None:
            _reading_replica.reset(token)
            if getattr(response, "streaming", False):
                response.streaming_content = _streamed_on_replica(response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if replica_configured() and replica_view(request):
            # The session and the signed-in user are read from the primary first: a replica a moment behind
            # must never sign out someone who has just signed in.
            getattr(getattr(request, "user", None), "pk", None)
            request._illms_replica_token = _reading_replica.set(True)
        return None
