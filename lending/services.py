"""Lending: other libraries' requests to us. Every change of state is a function here."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from requests_app.models import EventSource, IllRequest, Library, Role
from requests_app.services import create_request
from requests_app.workflow import Actor, WorkflowError


def receive_request(*, library: Library, partner: Library, requesting_agency_request_id: str,
                    source: str = EventSource.API, **citation: Any) -> tuple[IllRequest, bool]:
    """A partner's request to borrow from ``library``; returns ``(request, created)``.

    The partner's id names the transaction: the same request received again (a retry
    after a lost answer) returns the existing one and creates nothing.
    """
    if not partner.active:
        raise WorkflowError("forbidden", f"{partner.symbol} is not an active partner.")
    if not requesting_agency_request_id:
        raise WorkflowError("invalid", "The requesting library's request id is required.")
    existing = _find(library, partner, requesting_agency_request_id)
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            request = create_request(
                role=Role.LENDING, library=library, partner=partner, actor=Actor.partner(partner), source=source,
                requesting_agency_request_id=requesting_agency_request_id, **citation,
            )
    except IntegrityError:
        # Two deliveries of the same request raced; the other one created it.
        existing = _find(library, partner, requesting_agency_request_id)
        if existing is None:
            raise
        return existing, False
    if not request.supplying_agency_request_id:
        request.supplying_agency_request_id = f"{library.symbol}-{request.pk}"
        request.save(update_fields=["supplying_agency_request_id"])
    return request, True


def _find(library: Library, partner: Library, rid: str) -> IllRequest | None:
    return IllRequest.objects.filter(role=Role.LENDING, library=library, partner=partner,
                                     requesting_agency_request_id=rid).first()
