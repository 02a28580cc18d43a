"""Whether a patron may request now, as the library's systems say: the block and the expiry date kept on the
profile (the desk, a sign-in or the patron load set them), and any live checks registered at start-up (the NCIP
``LookupUser`` of the library's ILS registers here).

A check is a function ``(profile, *, staff) -> ValidationError | None``; the first refusal wins. ``staff``
words the refusal for the desk acting for the patron.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from requests_app.models import PatronProfile

from .provisioning import contact_for

PatronCheck = Callable[..., "ValidationError | None"]
_checks: list[PatronCheck] = []


def register_patron_check(check: PatronCheck) -> PatronCheck:
    """Add a live check (once, however often it is registered); usable as a decorator."""
    if check not in _checks:
        _checks.append(check)
    return check


def unregister_patron_check(check: PatronCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def expiry_refusal(profile: PatronProfile, *, staff: bool = False) -> ValidationError | None:
    today = timezone.localdate()
    if not profile.expired(today):
        return None
    day = formats.date_format(profile.expires_on, "DATE_FORMAT")
    if staff:
        return ValidationError(
            _("The patron's library account expired on %(day)s: it must be renewed in the library's records "
              "before they can request."), code="patron_expired", params={"day": day})
    return ValidationError(
        _("Your library account expired on %(day)s, so you cannot request for now. Please contact %(contact)s "
          "to renew it."), code="patron_expired", params={"day": day, "contact": contact_for(profile.library)})


def blocked_refusal(profile: PatronProfile, *, staff: bool = False) -> ValidationError | None:
    if not profile.blocked:
        return None
    reason = profile.blocked_reason.strip().rstrip(".")
    if staff:
        return ValidationError(
            _("The patron's account is blocked from interlibrary loan: %(reason)s"), code="patron_blocked",
            params={"reason": reason or _("no reason was recorded.")})
    if reason:
        return ValidationError(
            _("Your account is blocked from interlibrary loan: %(reason)s. Please contact %(contact)s."),
            code="patron_blocked", params={"reason": reason, "contact": contact_for(profile.library)})
    return ValidationError(
        _("Your account is blocked from interlibrary loan: please contact %(contact)s."),
        code="patron_blocked", params={"contact": contact_for(profile.library)})


def patron_refusal(profile: PatronProfile, *, staff: bool = False) -> ValidationError | None:
    """Why the library's records stop this patron from requesting (blocked, expired, a live check), or ``None``."""
    for refusal in (blocked_refusal(profile, staff=staff), expiry_refusal(profile, staff=staff)):
        if refusal is not None:
            return refusal
    for check in list(_checks):
        refusal = check(profile, staff=staff)
        if refusal is not None:
            return refusal
    return None
