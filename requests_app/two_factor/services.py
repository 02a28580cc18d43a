"""Enrol, verify and replace a staff member's second factor (django-otp devices); each locks the device row.

A TOTP code is accepted once: django-otp keeps the time step of the last accepted code (``last_t``) and refuses
that step and earlier ones, and the row lock keeps two requests with one code from both passing. A recovery code
is deleted when it is used. Wrong codes count against the device (django-otp's throttling: a wait of 1, 2, 4, …
seconds after each one); the views also count them with the sign-in's lockout (django-axes).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
_SEPARATORS = re.compile(r"[\s-]+")
_TOTP = re.compile(r"\d{6}")


class CodeRefused(Exception):
    """A code that does not sign in; ``message`` says why in words, ``locked_until`` when a try is allowed again."""

    def __init__(self, code: str, message: str, *, locked_until: dt.datetime | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.locked_until = locked_until


def normalise(code: str) -> str:
    """What was typed, without spaces or dashes, in lower case (recovery codes are shown in groups)."""
    return _SEPARATORS.sub("", code or "").lower()


def is_totp_code(code: str) -> bool:
    return bool(_TOTP.fullmatch(code))


def _throttled(device: Device) -> CodeRefused | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (data or {}).get("locked_until")
    seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else None
    if seconds:
        message = ngettext("Too many wrong codes in a row: wait %(seconds)s second before the next try (each wrong "
                           "code doubles the wait).",
                           "Too many wrong codes in a row: wait %(seconds)s seconds before the next try (each wrong "
                           "code doubles the wait).", seconds) % {"seconds": seconds}
    else:
        message = gettext("Too many wrong codes in a row: wait a little before the next try (each wrong code doubles "
                          "the wait).")
    return CodeRefused("throttled", message, locked_until=locked_until)


def _check(device: Device, code: str, *, wrong: str) -> CodeRefused | None:
    """The refusal of ``code`` for ``device``, or ``None`` when it is right. Returned, not raised: the caller's
    transaction must keep the failure django-otp counted."""
    refusal = _throttled(device)
    if refusal is None and not device.verify_token(code):
        refusal = CodeRefused("wrong", wrong)
    return refusal


def start_enrolment(*, user) -> TOTPDevice:
    """The authenticator ``user`` is setting up: the one begun before (its QR code stays the same), or a new one."""
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False)
                  .order_by("-pk").first())
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        return device


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]


def confirm_enrolment(*, user, device_id: int, code: str) -> Enrolled:
    """Confirm the authenticator being set up with a code it shows; the account's earlier authenticator and
    recovery codes are replaced by it and by fresh recovery codes. Raises ``CodeRefused``."""
    code = normalise(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
        if device is None:
            raise CodeRefused("no_enrolment", gettext("This set-up has ended (it was finished or replaced): start "
                                                      "again."))
        if not is_totp_code(code):
            raise CodeRefused("wrong", gettext("Type the 6-digit code your authenticator app shows now."))
        refusal = _check(device, code, wrong=gettext("That code does not match: check the app shows this account "
                                                     "and that your device's clock is right, then type the code it "
                                                     "shows now."))
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            enrolled = Enrolled(device=device, recovery_codes=_replace_recovery_codes(user))
    if refusal is not None:
        raise refusal
    return enrolled


def _replace_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < settings.ILLMS_2FA_RECOVERY_CODES:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    return sorted(codes)


def replace_recovery_codes(*, user) -> list[str]:
    """New recovery codes for ``user`` (who has an authenticator); the old ones stop working."""
    with transaction.atomic():
        if not TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
            raise CodeRefused("no_device", gettext("Set up an authenticator app first: recovery codes come with it."))
        return _replace_recovery_codes(user)


def verify(*, user, code: str) -> Device:
    """The device whose code ``code`` is: the authenticator's current code (once) or an unused recovery code
    (then used up). Raises ``CodeRefused``."""
    code = normalise(code)
    if not code:
        raise CodeRefused("empty", gettext("Type the code from your authenticator app, or one of your recovery "
                                           "codes."))
    with transaction.atomic():
        if is_totp_code(code):
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
            if device is None:
                raise CodeRefused("no_device", gettext("This account has no authenticator app."))
            refusal = _check(device, code, wrong=gettext("That code is wrong or was already used: type the code "
                                                         "your authenticator app shows now (a code works once)."))
        else:
            device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
            if device is None:
                raise CodeRefused("wrong", gettext("That is no code of this account: type the 6 digits your "
                                                   "authenticator app shows."))
            refusal = _check(device, code, wrong=gettext("That recovery code is wrong or was already used (each "
                                                         "works once)."))
    if refusal is not None:
        raise refusal
    return device


def turn_off(*, user) -> int:
    """Remove ``user``'s authenticator and recovery codes; returns how many devices went."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        removed += StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        return removed
