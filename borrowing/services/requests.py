"""Borrowing: our patrons' requests. Every change of state is a function here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from requests_app.actors import ActorKind
from requests_app.identity.verification import patron_refusal
from requests_app.models import (
    COPY_FORMATS,
    DeliveryMethod,
    EventSource,
    IllRequest,
    PatronProfile,
    Role,
    ServiceType,
)
from requests_app.ncip.patrons import record_unanswered_check
from requests_app.policies import policy_for
from requests_app.services import create_request
from requests_app.workflow import Actor

from .. import selectors


def active_request_limit(profile: PatronProfile | None = None) -> int:
    """The most open requests a patron may have: their library's limit for their category, else its
    general limit (the library's policy; ``ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON`` without one)."""
    if profile is None:
        return policy_for(None).max_active_requests
    return policy_for(profile.library).max_active_requests_for(profile.category)


def request_refusal(*, patron, staff: bool = False) -> ValidationError | None:
    """Why ``patron`` may not request now (not a patron, blocked, at the limit), or ``None``.

    ``submit_request`` raises it; the patron pages show it before the patron types anything, and
    the desk's “new request for a patron” before staff do (``staff``: worded about the patron).
    """
    profile = getattr(patron, "patron_profile", None)
    if profile is None:
        return ValidationError(gettext("This account is not registered as a patron of the library.") if staff else
                               gettext("Only patrons registered with the library can request items."),
                               code="not_a_patron")
    refusal = patron_refusal(profile, staff=staff)
    if refusal is not None:
        return refusal
    active = selectors.patron_open_requests(patron=patron).count()
    limit = active_request_limit(profile)
    if active >= limit:
        return ValidationError(
            (gettext("The patron has %(active)d active requests, the most allowed is %(limit)d: "
                     "a new one can be made once some are completed.") if staff else
             gettext("You have %(active)d active requests, the most allowed is %(limit)d. "
                     "Please wait until some are completed.")), code="over_limit",
            params={"active": active, "limit": limit},
        )
    return None


def submit_request(*, patron, actor: Actor | None = None, source: str = EventSource.WEB,
                   **citation: Any) -> IllRequest:
    """A patron's new request, in ``submitted``.

    Raises ``ValidationError`` when the patron is blocked, over the limit of active
    requests (``request_refusal``, worded for staff when ``actor`` is staff acting for the patron),
    or the citation is bad (each bad identifier on its field).
    """
    refusal = request_refusal(patron=patron, staff=actor is not None and actor.kind == ActorKind.STAFF)
    if refusal is not None:
        raise refusal
    profile = patron.patron_profile
    fmt = citation.get("format")
    citation.setdefault("service_type", ServiceType.COPY if fmt in COPY_FORMATS else ServiceType.LOAN)
    citation.setdefault("delivery_method",
                        DeliveryMethod.ELECTRONIC if fmt in COPY_FORMATS else DeliveryMethod.PHYSICAL)
    citation.setdefault("pickup_location", profile.pickup_location)
    request = create_request(role=Role.BORROWING, library=profile.library, patron=patron,
                             actor=actor or Actor.patron(patron), source=source, **citation)
    request.requesting_agency_request_id = requesting_agency_request_id(request)
    request.save(update_fields=["requesting_agency_request_id"])
    record_unanswered_check(request)  # the ILS did not answer the patron check: staff see it and retry
    return request


def requesting_agency_request_id(request: IllRequest) -> str:
    """The id our partners see for a borrowing request: our symbol and the request number."""
    return f"{request.library.symbol}-{request.pk}"
