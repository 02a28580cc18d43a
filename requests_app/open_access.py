"""Is there a free, legal copy? An open-access look-up by DOI (Unpaywall), offered to the patron before borrowing.

``open_access_copy(doi)`` asks the configured client (``ILLMS_OPEN_ACCESS_CLIENT``, by default
``UnpaywallClient``: ``GET <ILLMS_UNPAYWALL_URL>/v2/<doi>?email=<ILLMS_UNPAYWALL_EMAIL>``) and keeps the
answer for ``ILLMS_OPEN_ACCESS_CACHE_SECONDS``. It is off while no e-mail is set (Unpaywall asks every
caller for one). It never raises and never waits longer than ``ILLMS_OPEN_ACCESS_TIMEOUT_SECONDS``: a
service that fails or is slow means "none found", logged, and the patron's request goes on as before.

Another service plugs in as a class with the same ``find(doi) -> OpenAccessCopy | None``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from . import identifiers

logger = logging.getLogger(__name__)
CACHE_PREFIX = "illms:oa:v1:"
MAX_RESPONSE_BYTES = 1024 * 1024
_NONE = "none"  # cached for a DOI without a free copy, so it is not asked again


@dataclass(frozen=True)
class OpenAccessCopy:
    """Where a free copy is: its page (``url``), its PDF when known, which version and under what licence."""

    url: str
    pdf_url: str = ""
    version: str = ""  # publishedVersion, acceptedVersion, submittedVersion
    host_type: str = ""  # publisher or repository
    license: str = ""
    source: str = "Unpaywall"

    @property
    def version_label(self) -> str:
        return {"publishedVersion": "the published version", "acceptedVersion": "the accepted manuscript",
                "submittedVersion": "the submitted manuscript"}.get(self.version, "")


def _web_address(value) -> str:
    """``value`` when it is an http(s) address (never ``javascript:`` or the like), else ""."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    return text[:1000] if parts.scheme in ("http", "https") and parts.netloc else ""


class UnpaywallClient:
    """Unpaywall's REST API (v2): the best open-access location of a DOI."""

    def __init__(self, *, base_url: str, email: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.email = email
        self.timeout = timeout

    def find(self, doi: str) -> OpenAccessCopy | None:
        """The best free copy of ``doi``, or None (none, unknown DOI). Raises ``requests`` errors and ``ValueError``."""
        url = f"{self.base_url}/v2/{quote(doi, safe='/')}"
        with requests.get(url, params={"email": self.email}, timeout=(self.timeout, self.timeout), stream=True,
                          headers={"Accept": "application/json"}) as response:
            if response.status_code == 404:
                return None
            response.raise_for_status()
            body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        if len(body) > MAX_RESPONSE_BYTES:
            raise ValueError("the answer is too large")
        data = json.loads(body)
        if not isinstance(data, dict) or not data.get("is_oa"):
            return None
        best = data.get("best_oa_location")
        if not isinstance(best, dict):
            return None
        page = _web_address(best.get("url_for_landing_page")) or _web_address(best.get("url"))
        pdf = _web_address(best.get("url_for_pdf"))
        if not (page or pdf):
            return None
        return OpenAccessCopy(url=page or pdf, pdf_url=pdf, version=str(best.get("version") or "")[:40],
                              host_type=str(best.get("host_type") or "")[:40],
                              license=str(best.get("license") or "")[:60])


@lru_cache(maxsize=4)
def _client_class(path: str):
    return import_string(path)


def client():
    """The configured open-access client, or None when the look-up is off (no e-mail set)."""
    if not settings.ILLMS_UNPAYWALL_EMAIL:
        return None
    cls = _client_class(settings.ILLMS_OPEN_ACCESS_CLIENT)
    return cls(base_url=settings.ILLMS_UNPAYWALL_URL, email=settings.ILLMS_UNPAYWALL_EMAIL,
               timeout=settings.ILLMS_OPEN_ACCESS_TIMEOUT_SECONDS)


def open_access_copy(doi: str) -> OpenAccessCopy | None:
    """A free, legal copy of the article with ``doi``, or None; never raises, cached (docs/sourcing.md)."""
    try:
        doi = identifiers.normalize_doi(doi)
    except Exception:  # no DOI, or not one: nothing to look up
        return None
    service = client()
    if service is None:
        return None
    key = CACHE_PREFIX + identifiers.doi_key(doi)
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _NONE else OpenAccessCopy(**cached)
    try:
        found = service.find(doi)
    except Exception as exc:  # a slow, failing or garbled service is "none found"; asked again next time
        logger.warning("Open-access look-up of %s failed: %s", doi, exc.__class__.__name__)
        return None
    cache.set(key, asdict(found) if found else _NONE, timeout=settings.ILLMS_OPEN_ACCESS_CACHE_SECONDS)
    return found
