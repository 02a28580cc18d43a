"""``/sru`` and ``/sru/<symbol>``: our holdings for other systems and discovery tools, over SRU (``lending.sru``).

Open to anyone, as a catalogue is: it shows only what the member libraries lend. Every answer is SRU
XML with HTTP 200, a diagnostic when the request cannot be answered, never an error page.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from requests_app.models import Library

from .. import sru

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/xml; charset=utf-8"


def _answer(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type=CONTENT_TYPE)


@require_GET
def sru_endpoint(request: HttpRequest, symbol: str | None = None) -> HttpResponse:
    params = request.GET
    version = params.get("version") or "1.2"
    operation = params.get("operation") or ("searchRetrieve" if params.get("query") else "explain")
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
