"""A lender's conditions (ISO 18626 loanCondition codes, a fee in offeredCosts): their words, and the offer a
request has now, read from its events by the workflow tables of either side.

An offer is the event of a transition whose ISO 18626 mapping carries conditions (borrowing's
``lender_conditional``, lending's ``offer_conditions``); its data keeps ``loan_conditions`` (codes) and
``offered_cost`` (``{"amount": "12.00", "currency": "EUR"}``), its note the lender's words. The offer is
answered by the next event that leaves the state it reached: accepted when that transition agrees to the
conditions (``Iso18626.agrees``), otherwise closed (refused, cancelled, unfilled).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Event, IllRequest


class LoanCondition(models.TextChoices):
    """ISO 18626 ``loanCondition`` codes (an open list) our lending staff offer, in words."""

    LIBRARY_USE_ONLY = "LibraryUseOnly", _("Library use only")
    NO_REPRODUCTION = "NoReproduction", _("No reproduction")
    SIGNATURE_REQUIRED = "SignatureRequired", _("Signature required")
    SUPERVISED = "SpecCollSupervReq", _("Special collections: supervised use")
    WATCH_LIBRARY_USE_ONLY = "WatchLibraryUseOnly", _("Watch: library use only")
    COST = "Cost", _("A fee applies")


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def condition_labels(codes: Iterable[str]) -> list[str]:
    """Each code in words (in the active language); a code outside our list (an open list) as the partner sent it."""
    labels = dict(LoanCondition.choices)
    return [str(labels.get(str(code), str(code))) for code in codes if code]


def offered_cost(amount, currency: str) -> dict[str, str]:
    """A fee as an event keeps it: ``{"amount": "12.00", "currency": "EUR"}``.

    Raises ``ValueError`` for an amount that is not a number of zero or more or a currency that is
    not three letters (ISO 4217).
    """
    try:
        value = Decimal(str(amount).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError(gettext("“%(amount)s” is not an amount of money.") % {"amount": amount}) from None
    if not value.is_finite() or value < 0:
        raise ValueError(gettext("A fee is an amount of zero or more."))
    if value.as_tuple().exponent > -2:  # 12 is written 12.00, as amounts are
        value = value.quantize(Decimal("0.01"))
    code = (currency or "").strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(gettext("“%(currency)s” is not a currency code (three letters, e.g. USD, EUR).")
                         % {"currency": currency})
    return {"amount": str(value), "currency": code}


def offered_cost_text(cost) -> str:
    """``12.00 EUR`` from an event's ``offered_cost`` (``12,00 EUR`` in German: the amount in the active language's
    format); "" when there is none or it cannot be read."""
    if not isinstance(cost, dict) or cost.get("amount") in (None, ""):
        return ""
    amount = str(cost["amount"])
    try:
        value = Decimal(amount)
        amount = number_format(value, decimal_pos=max(0, -value.as_tuple().exponent)) if value.is_finite() else amount
    except (InvalidOperation, ValueError, TypeError):
        pass
    return f"{amount} {cost.get('currency') or ''}".strip()


@dataclass(frozen=True)
class Offer:
    """The conditions a request is offered (or was, and they were accepted)."""

    event: Event
    #: ``pending`` (waiting for the borrower's answer), ``accepted``, or ``closed`` (refused, cancelled…).
    answer: str
    answered: Event | None = None

    @property
    def codes(self) -> list[str]:
        return [str(c) for c in self.event.data.get("loan_conditions") or []]

    @property
    def labels(self) -> list[str]:
        return condition_labels(self.codes)

    @property
    def cost(self) -> dict[str, str] | None:
        cost = self.event.data.get("offered_cost")
        return cost if offered_cost_text(cost) else None

    @property
    def cost_text(self) -> str:
        return offered_cost_text(self.cost)

    @property
    def note(self) -> str:
        return self.event.note

    @property
    def pending(self) -> bool:
        return self.answer == "pending"

    @property
    def accepted(self) -> bool:
        return self.answer == "accepted"


def _is_offer(workflow, action: str) -> bool:
    transition = workflow.transitions.get(action)
    return bool(transition and transition.iso18626 and transition.iso18626.conditions)


def _agrees(workflow, action: str) -> bool:
    transition = workflow.transitions.get(action)
    return bool(transition and transition.iso18626 and transition.iso18626.agrees)


def latest_offer(request: IllRequest, events: Iterable[Event] | None = None) -> Offer | None:
    """The newest offer of conditions on ``request`` and how it was answered; ``None`` without one.

    ``events`` (oldest first) default to the request's prefetched events. An offer from another lender
    than the current one (a borrowing request that moved on) is not the request's any more.
    """
    workflow = request.workflow
    events = list(request.events.all() if events is None else events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if not _is_offer(workflow, event.action):
            continue
        if event.actor_library_id and event.actor_library_id != request.partner_id:
            return None
        for later in events[index + 1:]:
            if later.from_status == event.to_status and later.to_status != later.from_status:
                return Offer(event, "accepted" if _agrees(workflow, later.action) else "closed", later)
        return Offer(event, "pending")
    return None


def accepted_cost(request: IllRequest) -> dict[str, str] | None:
    """The fee of the conditions accepted on ``request`` (``offered_cost``), if any: one query.

    For billing, which makes it the charge of the supply.
    """
    workflow = request.workflow
    actions = [t.action for t in workflow.transitions.values()
               if t.iso18626 and (t.iso18626.conditions or t.iso18626.agrees)]
    states = {t.target for t in workflow.transitions.values() if t.iso18626 and t.iso18626.conditions}
    events = list(Event.objects.filter(request=request).filter(
        models.Q(action__in=actions) | models.Q(from_status__in=states)).order_by("created_at", "pk"))
    offer = latest_offer(request, events)
    return offer.cost if offer is not None and offer.accepted else None
