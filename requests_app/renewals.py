"""A loan's renewal, as both sides see it: whether one was asked and waits for the lender, the lender's last
answer (granted until a date, or refused with its reason) and how many renewals the limit still allows.

A renewal is not a state (DOMAIN.md): it is a flag on the request, ``IllRequest.renewal_requested_at``,
set by the transition that asks (borrowing's ``request_renewal``, lending's ``borrower_renewal_request``:
the ISO 18626 action ``Renew``) and cleared by the one that answers (``RenewResponse``). The effects and the
guards below are what the two workflow tables name; :func:`renewal_of` reads the rest from the request's
prefetched events, so a page adds no query per request beyond the library's policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format

from .action_input import as_date, yes_no
from .history import is_renewal_answer
from .iso18626.messages import Action
from .models import Event, IllRequest
from .policies import policy_for
from .workflow import Actor, Transition, WorkflowError


def asked_on(request: IllRequest) -> str:
    """The day the pending renewal was asked, in the locale's short format."""
    return date_format(timezone.localtime(request.renewal_requested_at), "SHORT_DATE_FORMAT")


# Guards and effects of the workflow tables --------------------------------------------------

def no_renewal_pending(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """No renewal asked earlier still waits for the lender's answer (one question at a time)."""
    if request.renewal_requested_at is None:
        return None
    return f"A renewal was already asked on {asked_on(request)}: the lender has not answered yet."


def renewal_asked(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """The borrower asked to renew the loan, and nobody has answered yet."""
    return None if request.renewal_requested_at else "The borrower has not asked to renew this loan."


def mark_renewal_asked(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The request shows a renewal waiting for the lender's answer from now (a repeated ask keeps the first day)."""
    if request.renewal_requested_at is not None:
        return ()
    request.renewal_requested_at = timezone.now()
    return ["renewal_requested_at"]


def clear_renewal_asked(request: IllRequest, actor: Actor, data: dict) -> Iterable[str]:
    """The lender answered: no renewal waits any more."""
    if request.renewal_requested_at is None:
        return ()
    request.renewal_requested_at = None
    return ["renewal_requested_at"]


# What a page shows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """The lender's answer to a renewal: granted (with the new due date, when given) or refused."""

    event: Event
    granted: bool
    due_date: dt.date | None
    #: The lender's words (a refusal's reason).
    note: str


@dataclass(frozen=True)
class Renewal:
    """A loan's renewals as its page shows them."""

    #: When the renewal waiting for the lender was asked (``None``: none waits).
    asked_at: dt.datetime | None
    #: The lender's last answer, if it ever answered.
    answer: Answer | None
    #: Renewals granted so far, and the limit (the library's policy ``max_renewals``).
    count: int
    limit: int

    @property
    def pending(self) -> bool:
        return self.asked_at is not None

    @property
    def left(self) -> int:
        return max(self.limit - self.count, 0)


def _is_ask(transition: Transition | None) -> bool:
    mapping = transition.iso18626 if transition else None
    return bool(mapping and mapping.message == "action" and Action.RENEW in mapping.values)


def _answer(event: Event) -> Answer:
    granted = bool(yes_no(event.data.get("answer")))
    try:
        due = as_date(event.data.get("due_date")) if granted else None
    except (TypeError, ValueError):
        due = None
    return Answer(event=event, granted=granted, due_date=due, note=event.note)


def renewal_of(request: IllRequest) -> Renewal | None:
    """``request``'s renewals, from its prefetched events: ``None`` for a request that was never on loan
    with a renewal asked, answered or possible (nothing to show)."""
    workflow = request.workflow
    answer = None
    asked = False
    for event in request.events.all():
        try:
            transition = workflow.transition(event.action)
        except WorkflowError:
            continue
        if is_renewal_answer(transition) and (answer is None or (event.created_at, event.pk) >= (
                answer.event.created_at, answer.event.pk)):
            answer = _answer(event)
        asked = asked or _is_ask(transition)
    renewable = any(_is_ask(t) for t in workflow.available(request.status))
    if not (asked or answer or request.renewal_requested_at or request.renewal_count or renewable):
        return None
    return Renewal(asked_at=request.renewal_requested_at, answer=answer, count=request.renewal_count,
                   limit=policy_for(request.library).max_renewals)
