"""Lending: other libraries' requests to us. Every change of state is a function in this package.

``holdings`` (imports), ``availability`` (the check on arrival), ``answers`` (supply,
conditions, unfilled, shipping, returns, renewals), ``printing`` (pull slips, labels),
``edelivery`` (scanned copies behind expiring links).
"""

from __future__ import annotations

from typing import Any

from requests_app.models import EventSource, IllRequest, Library
from requests_app.services import receive_partner_request


def receive_request(*, library: Library, partner: Library, requesting_agency_request_id: str,
                    source: str = EventSource.API, **citation: Any) -> tuple[IllRequest, bool]:
    """A partner's request to borrow from ``library``; returns ``(request, created)``.

    The same request received again returns the existing one (see
    ``requests_app.services.receive_partner_request``, which the ISO 18626 door uses too).
    The availability check runs when the creation commits (``lending.receivers``).
    """
    return receive_partner_request(library=library, partner=partner,
                                   requesting_agency_request_id=requesting_agency_request_id, source=source,
                                   **citation)
