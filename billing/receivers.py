"""Billing listens to the workflow: supplied items become charges (connected in ``BillingConfig.ready``).

The signal is sent after the transition's transaction commits; the charge is keyed by
request, direction and service, so a replayed event or signal creates nothing twice.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from requests_app.models import IllRequest
from requests_app.services import request_transitioned

from .services import charge_for_event

log = logging.getLogger(__name__)


@receiver(request_transitioned, sender=IllRequest, dispatch_uid="billing.charge_for_event")
def charge_on_transition(sender, request: IllRequest, event, transition, **kwargs) -> None:
    if transition is None:
        return
    try:
        charge_for_event(request=request, event=event)
    except Exception:
        # The workflow change is committed; a billing failure must not turn it into an error for
        # the person who acted. It is logged, and replaying the event later creates the charge.
        log.exception("Could not record the charge of event %s on request %s", event.pk, request.pk)
