"""The few request states the core names itself.

Each side's states are its own (``borrowing/states.py``, ``lending/states.py``) and the core imports
neither side, so the states its indexes and reports must name are spelled here, once; tests pin each
to the sides' enums (``tests/perf/test_open_requests.py``, ``tests/statistics/test_queries.py``).
"""

from __future__ import annotations

#: The final states of both sides' workflows (borrowing: completed, cancelled; lending: completed, unfilled,
#: cancelled). Queues count only open requests.
CLOSED_STATUSES = ("cancelled", "completed", "unfilled")
#: Lending's initial state: a partner's request not yet looked at (its availability check reads them).
LENDING_NEW = "new"
#: Borrowing states in which the item is available to the patron (waiting at the desk, already
#: checked out when staff hand it over at once, or a copy ready to download).
AVAILABLE_TO_PATRON = ("ready_for_pickup", "checked_out", "delivered")
