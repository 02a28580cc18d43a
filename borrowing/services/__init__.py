"""Borrowing services: every change of state on the borrowing side.

One module per area (``requests``: patrons' new requests; later ``rota``, ``loans``,
``copyright``, ``reminders``...); the names callers need are re-exported here.
"""

from .requests import active_request_limit, requesting_agency_request_id, submit_request

__all__ = ["active_request_limit", "requesting_agency_request_id", "submit_request"]
