"""What the core asks of the partner side without importing it: whether a partner can be reached,
a staff note sent to it, a message sent again, a received message that could not be applied applied again.

The partner side registers its functions in its ``AppConfig.ready`` (as it registers its transition
listener in :mod:`.transition_listeners`); staff notes (:mod:`.messaging`) and the request page's
*Send again* call them here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from .models import IllRequest, InboundMessage, Library, Note, OutboxMessage


@dataclass(frozen=True)
class PartnerMessages:
    #: Whether we have a way to send ``library`` messages (a member library, or an endpoint of its own).
    reachable: Callable[[Library], bool]
    #: Queue the ISO 18626 Notification carrying a staff note, inside the caller's transaction.
    send_note: Callable[[IllRequest, Note], OutboxMessage | None]
    #: Staff's "send again": a failed or waiting message goes back to the front of its request's queue.
    resend: Callable[[OutboxMessage], OutboxMessage]
    #: Staff's "apply again": received messages of a queryset that could not be applied wait for the worker again;
    #: returns how many.
    apply_again: Callable[[QuerySet[InboundMessage]], int]


_registered: list[PartnerMessages] = []


def register_partner_messages(functions: PartnerMessages) -> None:
    """Install the partner side's functions (the last registration wins: ``ready()`` may run twice)."""
    _registered[:] = [functions]


def partner_messages() -> PartnerMessages:
    """The partner side's functions; a ``RuntimeError`` before the apps are ready."""
    if not _registered:
        raise RuntimeError("The partner side has not registered (is requests_app.partners in INSTALLED_APPS?).")
    return _registered[0]
