"""Outgoing HTTP for the clients that call other systems (partners' endpoints, reference exchange rates).

One place for what they share: the timeout (``ILLMS_PARTNER_TIMEOUT_SECONDS``), a cap on what is
read, and how a failure is put into words. Each caller turns :class:`FetchError` into its own error
(an outbox message to try again, rates not imported).
"""

from __future__ import annotations

import urllib.error
import urllib.request

from django.conf import settings


class FetchError(Exception):
    """The exchange failed: an HTTP error status, or the other side could not be reached in time."""


def fetch(url: str, *, headers: dict[str, str], max_bytes: int, body: bytes | None = None) -> bytes:
    """GET ``url`` (POST ``body`` when given); the answer's body, ``max_bytes + 1`` bytes at most.

    Reading one byte more than allowed lets the caller tell an answer that is too large.
    """
    request = urllib.request.Request(url, data=body, headers={"User-Agent": "ILLMS", **headers},
                                     method="GET" if body is None else "POST")
    timeout = float(getattr(settings, "ILLMS_PARTNER_TIMEOUT_SECONDS", 20))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URLs from the directory or settings
            return response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise FetchError(f"{url} unreachable: {getattr(exc, 'reason', exc)}") from exc
