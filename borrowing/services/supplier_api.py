"""A commercial document supplier's ordering API: the pluggable client (``ILLMS_SUPPLIER_API_CLIENT``).

The default client speaks a small JSON protocol of the kind Reprints Desk's and similar order APIs use
(docs/sourcing.md, *Commercial document suppliers*):

- ``POST <base>/orders`` with the order (our account number, our reference, the citation, the speed):
  ``201``/``200`` and ``{"id": "<their order number>", "status": "accepted"}``; ``4xx`` with
  ``{"error": "..."}`` refuses it for good (a citation they cannot supply).
- ``GET <base>/orders/<id>``: ``{"status": "processing" | "delivered" | "failed", "document_url": "...",
  "reason": "..."}``; a delivered order names its PDF, fetched from the same host.

Every call sends ``Authorization: Bearer <key>`` (when a key is set) and waits at most
``ILLMS_SUPPLIER_API_TIMEOUT_SECONDS``. Another supplier's API plugs in as a class with the same
constructor and methods. A failure is a ``SupplierApiError``: ``permanent`` when retrying cannot help.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext


class SupplierApiError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message, self.permanent = message, permanent


@dataclass(frozen=True)
class OrderStatus:
    """What the supplier says of an order: ``processing``, ``delivered`` (with its PDF's address) or ``failed``."""

    state: str
    document_url: str = ""
    reason: str = ""


class JsonOrderApi:
    """The default client (module docstring)."""

    def __init__(self, *, base_url: str, api_key: str = "", timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.api_key = api_key
        self.timeout = float(timeout if timeout is not None else settings.ILLMS_SUPPLIER_API_TIMEOUT_SECONDS)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _call(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            return requests.request(method, url, headers=self._headers(), timeout=self.timeout,
                                    allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise SupplierApiError(gettext("The supplier's API did not answer: %(error)s")
                                   % {"error": exc.__class__.__name__}) from exc

    @staticmethod
    def _json(response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SupplierApiError(gettext("The supplier's API answered HTTP %(status)d without JSON.")
                                   % {"status": response.status_code})
        return body

    def place(self, order: dict) -> str:
        """Send ``order``; return the supplier's order number."""
        response = self._call("POST", urljoin(self.base_url, "orders"), json=order)
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 408, 429):
            body = self._json(response) if response.content else {}
            raise SupplierApiError(str(body.get("error") or f"HTTP {response.status_code}")[:200], permanent=True)
        if response.status_code not in (200, 201, 202):
            raise SupplierApiError(gettext("The supplier's API answered HTTP %(status)d.")
                                   % {"status": response.status_code})
        reference = str(self._json(response).get("id") or "").strip()
        if not reference:
            raise SupplierApiError(gettext("The supplier's API accepted the order without an order number."))
        return reference[:100]

    def status(self, reference: str) -> OrderStatus:
        response = self._call("GET", urljoin(self.base_url, f"orders/{requests.utils.quote(reference, safe='')}"))
        if response.status_code == 404:
            raise SupplierApiError(gettext("The supplier does not know this order."), permanent=True)
        if response.status_code != 200:
            raise SupplierApiError(gettext("The supplier's API answered HTTP %(status)d.")
                                   % {"status": response.status_code})
        body = self._json(response)
        state = str(body.get("status") or "").lower()
        if state not in {"processing", "delivered", "failed"}:
            state = "processing"
        return OrderStatus(state=state, document_url=str(body.get("document_url") or ""),
                           reason=str(body.get("reason") or "")[:200])

    def document(self, url: str, *, max_bytes: int) -> bytes:
        """The delivered PDF at ``url`` (on the API's own host), at most ``max_bytes``."""
        absolute = urljoin(self.base_url, url)
        if urlsplit(absolute).netloc != urlsplit(self.base_url).netloc or urlsplit(absolute).scheme not in (
                "http", "https"):
            raise SupplierApiError(gettext("The supplier named a document on another server; it was not fetched."),
                                   permanent=True)
        try:
            with requests.get(absolute, headers=self._headers(), timeout=self.timeout, stream=True,
                              allow_redirects=False) as response:
                if response.status_code != 200:
                    raise SupplierApiError(gettext("The supplier's document answered HTTP %(status)d.")
                                           % {"status": response.status_code})
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise SupplierApiError(gettext("The supplier's document is larger than we accept."),
                                               permanent=True)
                return bytes(data)
        except requests.RequestException as exc:
            raise SupplierApiError(gettext("The supplier's document did not download: %(error)s")
                                   % {"error": exc.__class__.__name__}) from exc


def client_for(*, base_url: str, api_key: str):
    """The configured client class (``ILLMS_SUPPLIER_API_CLIENT``) for one supplier."""
    return import_string(settings.ILLMS_SUPPLIER_API_CLIENT)(base_url=base_url, api_key=api_key)
