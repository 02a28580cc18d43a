"""Lending listens to the workflow's transitions (connected in ``LendingConfig.ready``)."""

from __future__ import annotations

from django.dispatch import receiver

from requests_app.models import Role
from requests_app.services import request_transitioned

from .services.answers import note_renewal_request
from .services.availability import queue_check


@receiver(request_transitioned, dispatch_uid="lending.on_request_transitioned")
def on_request_transitioned(sender, request, event, transition=None, **kwargs) -> None:
    """Queue the availability check of a new request; a renewal request answered per policy."""
    if request.role != Role.LENDING:
        return
    if event.action == "create":
        queue_check(request)
    elif event.action == "borrower_renewal_request":
        note_renewal_request(request=request)
