"""The secrets we send to partners and to the libraries' ILS over NCIP (keys, passwords), encrypted at rest.

Fernet (from ``cryptography``: AES-128-CBC with an HMAC-SHA256, a timestamped token) with
the keys of ``ILLMS_CREDENTIALS_KEY``: a comma-separated list of Fernet keys, the first
encrypts, every one decrypts, so a key can be rotated (add the new key first, run
``manage.py rotate_partner_credentials``, then drop the old one). Unset, one key is derived
from ``SECRET_KEY``: changing ``SECRET_KEY`` then makes the stored secrets unreadable, so an
installation that may rotate its ``SECRET_KEY`` sets ``ILLMS_CREDENTIALS_KEY`` of its own.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialError(Exception):
    """A stored secret that cannot be read with the configured keys (wrong or rotated-away key)."""


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from ``secret_key`` (what is used when ``ILLMS_CREDENTIALS_KEY`` is unset)."""
    digest = hashlib.sha256(f"illms partner credentials\x1f{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _keys() -> list[bytes]:
    configured = getattr(settings, "ILLMS_CREDENTIALS_KEY", "") or ""
    keys = [k.strip().encode() for k in configured.split(",") if k.strip()]
    return keys or [derived_key(settings.SECRET_KEY)]


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as exc:  # not 32 url-safe base64-encoded bytes
        raise CredentialError(f"ILLMS_CREDENTIALS_KEY is not a list of Fernet keys: {exc}") from exc


def encrypt(plain: str) -> str:
    """The token to store for ``plain`` (empty for empty: nothing stored)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of a stored ``token``; raises ``CredentialError`` when no configured key reads it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialError("The stored credential cannot be decrypted with ILLMS_CREDENTIALS_KEY "
                              "(was the key, or SECRET_KEY, changed?).") from exc


def rotate(token: str) -> str:
    """``token`` encrypted again with the first configured key (``CredentialError`` if unreadable)."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialError("The stored credential cannot be decrypted with ILLMS_CREDENTIALS_KEY.") from exc
