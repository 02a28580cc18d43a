"""The ISO 18626 intake's one speed bypass: a partner's request is first received without a savepoint.

It stays because ``make bench``'s *ISO 18626 intake, one worker (msg/s)* figure needs it (its target
is 200 messages a second: bench/results.md; docs/performance.md, "no savepoint of its own for a new
request"). The handler applies a message and writes its inbound record in one transaction. Receiving
a new request inside it with a savepoint of its own would cost every request two round trips, only so
that a request id we already have could be answered after its failed ``INSERT``. So the request is
received without one; the rare message that then fails in a way the savepoint answers (a resend under a
new timestamp, the same request by REST and by ISO 18626, a citation that does not validate) has its
whole transaction rolled back and is handled once more the careful way, which answers it as before.

Everything the retry needs is here: the handler handles a message through :func:`first_without_savepoint`
and receives a partner's request with :func:`receive_request`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from ..models import IllRequest
from ..services import receive_partner_request

T = TypeVar("T")


class RetryWithSavepoint(Exception):
    """Receiving a partner's request without a savepoint failed in a way the savepoint answers."""


def first_without_savepoint(handle_once: Callable[[bool], T]) -> T:
    """``handle_once(False)``; if receiving a request without a savepoint gave up, ``handle_once(True)``."""
    try:
        return handle_once(False)
    except RetryWithSavepoint:
        # Everything the first try did was rolled back with its transaction.
        return handle_once(True)


def receive_request(*, savepoint: bool, **arguments: Any) -> tuple[IllRequest, bool]:
    """``receive_partner_request(**arguments)``: without a savepoint it gives up on what a savepoint answers."""
    try:
        return receive_partner_request(savepoint=savepoint, **arguments)
    except (IntegrityError, ValidationError) as exc:
        if not savepoint:
            raise RetryWithSavepoint from exc
        raise
