"""The demo's authenticator: one published secret, so a visitor of ``make run`` can sign in as a demo administrator.

``seed_demo`` gives it to each demo account whose role requires two factors (README, "Demo accounts"); anyone may
add it to an authenticator app (or run ``oathtool --totp -b JFGEYTKTEBSGK3LPFQQHA5LCNRUWGIJB``). With
``ILLMS_DEMO`` on, the code page of an account holding this published secret (and no other) also shows its current
code in a banner marked as the demo's: it gives away nothing the README does not, and a real account's
secret is never shown.
"""

from __future__ import annotations

import time

from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

#: The secret as authenticator apps take it (base32), and as django-otp stores it (hex).
DEMO_SECRET = "JFGEYTKTEBSGK3LPFQQHA5LCNRUWGIJB"
DEMO_KEY = "494c4c4d532064656d6f2c207075626c69632121"


def give_demo_authenticator(user) -> TOTPDevice:
    """``user``'s authenticator with the demo's published secret; an account that has one keeps it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Demo authenticator (published secret)", key=DEMO_KEY,
                                           confirmed=True)
    return device


def demo_code(user) -> str:
    """The current code of ``user``'s demo authenticator when the demo runs, else ``""``."""
    if not getattr(settings, "DEMO", False):
        return ""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or device.key != DEMO_KEY:
        return ""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
