"""Billing listens to the workflow: supplied items become charges (connected in ``BillingConfig.ready``);
and to the privacy purge: charges of purged requests stop naming the patron.

The signal is sent after the transition's transaction commits; the charge is keyed by
request, direction and service, so a replayed event or signal creates nothing twice.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from requests_app.models import IllRequest
from requests_app.privacy import patron_data_requested, patron_identity_purged, scrub_rows
from requests_app.services import request_transitioned

from .models import Charge, ChargeAdjustment, Direction
from .money import quantize
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


@receiver(patron_identity_purged, sender=IllRequest, dispatch_uid="billing.purge_patron_identity")
def purge_patron_identity(sender, request_ids: list[int], identities: dict, **kwargs) -> None:
    """Charges of purged requests keep their amounts (the accounts must add up) but no longer name the patron.

    Runs inside the purge's transaction: a failure here rolls the batch back, to be retried.
    """
    charges = Charge.objects.filter(request_id__in=request_ids)
    charges.exclude(patron=None).update(patron=None)
    changed = scrub_rows(charges.exclude(note="").only("pk", "request_id", "note"), ["note"], identities)
    Charge.objects.bulk_update(changed, ["note"], batch_size=500)
    adjustments = scrub_rows(
        ChargeAdjustment.objects.filter(charge__request_id__in=request_ids).only("pk", "charge__request_id", "reason")
        .select_related("charge"), ["reason"], identities, request_id_of=lambda row: row.charge.request_id)
    ChargeAdjustment.objects.bulk_update(adjustments, ["reason"], batch_size=500)


@receiver(patron_data_requested, sender=IllRequest, dispatch_uid="billing.patron_data")
def patron_charges(sender, patron, **kwargs) -> tuple[str, list[dict]]:
    """The charges passed on to ``patron`` (their data export): one query."""
    rows = (Charge.objects.filter(patron=patron, direction=Direction.PATRON).select_related("request")
            .order_by("incurred_at", "pk"))
    return "charges", [{
        "request": charge.request.number, "service": charge.get_service_display(),
        "amount": str(quantize(charge.amount, charge.currency)), "currency": charge.currency,
        "status": charge.get_status_display(), "note": charge.note,
        "incurred_at": charge.incurred_at.isoformat(),
        "settled_on": charge.settled_on.isoformat() if charge.settled_on else None,
    } for charge in rows]
