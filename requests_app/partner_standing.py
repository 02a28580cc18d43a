"""Is a partner in good standing with a member library? Asked by lending without importing billing.

Billing owns the invoices and registers a check here in its ``AppConfig.ready`` (as lending
registers its holdings finder with ``requests_app.catalogue``); the lending availability check
asks ``standing_warnings`` when a partner's lending rule says to look at unpaid invoices.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import Library

#: ``check(library=..., partner=..., overdue_days=...) -> list[str]``: sentences for staff.
StandingCheck = Callable[..., list[str]]
_checks: list[StandingCheck] = []


def register_standing_check(check: StandingCheck) -> None:
    """Add ``check`` (idempotent)."""
    if check not in _checks:
        _checks.append(check)


def standing_warnings(*, library: Library, partner: Library, overdue_days: int) -> list[str]:
    """What staff of ``library`` should know about ``partner``'s debts older than ``overdue_days`` past due."""
    return [warning for check in _checks for warning in check(library=library, partner=partner,
                                                              overdue_days=overdue_days)]
