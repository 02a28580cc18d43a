"""Who gives a second factor: staff only; some roles (and superusers) must, the others may."""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


def is_staff_member(user) -> bool:
    """A Django staff account or a member library's staff profile; patrons never give a second factor."""
    return bool(user.is_staff or user.is_superuser or getattr(user, "staff_profile", None) is not None)


def required_for(user) -> bool:
    """Whether ``user`` must have an authenticator app before reaching any page (``ILLMS_2FA_REQUIRED_*``)."""
    if not is_staff_member(user):
        return False
    if user.is_superuser and settings.ILLMS_2FA_REQUIRED_FOR_SUPERUSERS:
        return True
    required = set(settings.ILLMS_2FA_REQUIRED_ROLES)
    return bool(required) and user.groups.filter(name__in=required).exists()


def authenticator(user) -> TOTPDevice | None:
    """``user``'s confirmed authenticator app, or ``None``."""
    if user.pk is None:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_device(user) -> StaticDevice | None:
    if user.pk is None:
        return None
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device is not None else 0


def asserted_mfa(values) -> bool:
    """Whether an identity provider's authentication context (``values``: class refs, ``amr`` entries) names a
    second factor we trust (``ILLMS_2FA_TRUST_IDP_MFA``, ``ILLMS_2FA_IDP_MFA_VALUES``)."""
    if not settings.ILLMS_2FA_TRUST_IDP_MFA:
        return False
    trusted = {v.strip().lower() for v in settings.ILLMS_2FA_IDP_MFA_VALUES if v.strip()}
    if isinstance(values, str):
        values = [values]
    return any(str(v).strip().lower() in trusted for v in values or () if v)
