"""Whether a patron may request now, and may sign in, as the library's systems say.

Requesting: any live checks registered at start-up (the NCIP ``LookupUser`` of the library's ILS registers
here), then the block and the expiry date kept on the profile (the desk, a sign-in, the patron load or the ILS
set them). A live check runs first because it may refresh the profile (the ILS renewed the account, or lifted
its own block). A check is a function ``(profile, *, staff) -> ValidationError | None``; the first refusal
wins. ``staff`` words the refusal for the desk acting for the patron.

Signing in: every door ends in ``requests_app.two_factor.signin.finish_sign_in``, which asks
:func:`sign_in_refusal` for a patron (never for staff). A sign-in check is a function ``(profile) -> str |
None`` (the refusal in words for the patron) registered with :func:`register_sign_in_check`; it may refresh
the profile on the way (the NCIP check writes the ILS's block, category and expiry).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from requests_app.models import PatronProfile

from .provisioning import contact_for

PatronCheck = Callable[..., "ValidationError | None"]
SignInCheck = Callable[[PatronProfile], "str | None"]
_checks: list[PatronCheck] = []
_sign_in_checks: list[SignInCheck] = []


def register_patron_check(check: PatronCheck) -> PatronCheck:
    """Add a live check (once, however often it is registered); usable as a decorator."""
    if check not in _checks:
        _checks.append(check)
    return check


def unregister_patron_check(check: PatronCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def register_sign_in_check(check: SignInCheck) -> SignInCheck:
    """Add a check asked when a patron signs in through any door (once, however often it is registered)."""
    if check not in _sign_in_checks:
        _sign_in_checks.append(check)
    return check


def unregister_sign_in_check(check: SignInCheck) -> None:
    if check in _sign_in_checks:
        _sign_in_checks.remove(check)


def sign_in_refusal(user) -> str | None:
    """Why ``user`` (a patron: staff are never asked) may not sign in now, in words for them; ``None``: they may.

    Only the registered sign-in checks decide: a block or expiry kept on the profile stops requesting, not
    signing in (the patron still sees their loans and due dates).
    """
    profile = PatronProfile.objects.filter(user=user).select_related("library").first()
    if profile is None:
        return None
    for check in list(_sign_in_checks):
        refusal = check(profile)
        if refusal:
            return refusal
    return None


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
    """Why the library's records stop this patron from requesting (a live check, blocked, expired), or ``None``."""
    for check in list(_checks):
        refusal = check(profile, staff=staff)
        if refusal is not None:
            return refusal
    for refusal in (blocked_refusal(profile, staff=staff), expiry_refusal(profile, staff=staff)):
        if refusal is not None:
            return refusal
    return None
