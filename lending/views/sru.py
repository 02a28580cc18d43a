"""``/sru`` and ``/sru/<symbol>``: our holdings for other systems and discovery tools, over SRU (``lending.sru``).

Open to anyone, as a catalogue is: it shows only what the member libraries lend. Every answer is SRU
XML with HTTP 200, a diagnostic when the request cannot be answered, never an error page; but a client
address over ``ILLMS_SRU_RATE`` is answered HTTP 429 (with ``Retry-After``), its body still an SRU diagnostic.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from requests_app.models import Library
from requests_app.partners import throttling
from requests_app.partners.authentication import client_address

from .. import sru

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/xml; charset=utf-8"


def _answer(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type=CONTENT_TYPE)


def _too_many(throttled: throttling.Throttled, *, version: str, operation: str) -> HttpResponse:
    """Over the address's rate: HTTP 429 and ``Retry-After``, with SRU's "system temporarily unavailable"."""
    rate = throttling.rate_for("sru")
    detail = f"rate limit {rate.count} searches per {rate.seconds} s; retry after {throttled.retry_after} s"
    body = sru.diagnostic_response(sru.Diagnostic(2, "System temporarily unavailable", detail),
                                   version=version if version in sru.VERSIONS else "1.2",
                                   operation=operation if operation == "explain" else "searchRetrieve")
    response = HttpResponse(body, content_type=CONTENT_TYPE, status=429)
    response["Retry-After"] = str(throttled.retry_after)
    return response


@require_GET
def sru_endpoint(request: HttpRequest, symbol: str | None = None) -> HttpResponse:
    params = request.GET
    version = params.get("version") or "1.2"
    operation = params.get("operation") or ("searchRetrieve" if params.get("query") else "explain")
    try:
        throttling.hit("sru", client_address(request.META))
    except throttling.Throttled as throttled:
        return _too_many(throttled, version=version, operation=operation)
    library = None
    if symbol is not None:
        library = Library.objects.filter(symbol__iexact=symbol, is_member=True, active=True).first()
        if library is None:
            return _answer(sru.diagnostic_response(sru.Diagnostic(235, "Database does not exist", symbol),
                                                   version=version if version in sru.VERSIONS else "1.2",
                                                   operation=operation if operation == "explain" else ""))
    try:
        if operation == "explain":
            return _answer(sru.explain(host=request.get_host().rsplit(":", 1)[0], port=int(request.get_port()),
                                       path=request.path, version=version, library=library))
        if operation == "searchRetrieve":
            return _answer(sru.search_retrieve(params, library=library))
        return _answer(sru.diagnostic_response(sru.Diagnostic(4, "Unsupported operation", operation[:50]),
                                               version=version if version in sru.VERSIONS else "1.2"))
    except Exception:  # an answer is always SRU: a bug here is logged and reported as a diagnostic
        logger.exception("SRU request failed: %s", params.urlencode()[:500])
        return _answer(sru.diagnostic_response(sru.Diagnostic(1, "General system error"),
                                               version=version if version in sru.VERSIONS else "1.2"))
