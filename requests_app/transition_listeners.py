"""Who hears of a transition inside its transaction: registered at start-up, called by ``perform``.

``perform`` calls every listener after it has written the transition's ``Event`` and before the
transition's own ``with_event`` hooks, in the same transaction: what a listener writes (the
partner side's outbox message) commits with the change or not at all, and a listener that raises
undoes the change. The partner side registers its listener in its ``AppConfig.ready`` (as each side
registers its workflow), so the core never imports the partner side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``listener(*, request, transition, event, actor, payload)``; its return value is ignored.
TransitionListener = Callable[..., Any]
_listeners: list[TransitionListener] = []


def register_transition_listener(listener: TransitionListener) -> None:
    """Add ``listener`` (idempotent: ``ready()`` may run more than once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def notify_transition_listeners(*, request, transition, event, actor, payload: dict) -> None:
    """Call every listener in the order they registered (inside the caller's transaction)."""
    for listener in _listeners:
        listener(request=request, transition=transition, event=event, actor=actor, payload=payload)
