"""One place that turns errors into the API's one JSON shape: ``{"code": ..., "message": ..., "errors": ...}``.

``errors`` (bad input only) maps a field to its messages, always a list of strings: an error inside a
field (a key of an action's ``data``, an item of a list) is named by its path, ``data.due_date``. Every
answer under ``/api/`` has this shape, whoever writes it: DRF's views (through :func:`exception_handler`),
the CSRF check (:func:`csrf_failure`), the catch-all 404 and the NUL guard of ``illms.middleware``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import csrf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from requests_app.workflow import WorkflowError

WORKFLOW_HTTP_STATUS = {
    "unknown_action": status.HTTP_404_NOT_FOUND,
    "not_allowed": status.HTTP_409_CONFLICT,
    "conflict": status.HTTP_409_CONFLICT,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "guard_failed": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "invalid": status.HTTP_400_BAD_REQUEST,
}

INVALID_MESSAGE = _("The data sent is not valid.")
#: Addresses whose answers are the API's JSON errors, the CSRF check's included.
API_PREFIX = "/api/"


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's (possibly nested) error detail as ``{"field": [messages]}``, nested fields named ``a.b``."""
    name = prefix or "non_field_errors"
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            return {name: [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:  # DRF gives an item without errors as {} in a list of objects
                flat.update(field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {name: [str(detail)]}


def invalid_body(errors: dict[str, list[str]], message: str = INVALID_MESSAGE) -> dict[str, Any]:
    return {"code": "invalid", "message": str(message), "errors": errors}


def exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        return Response({"code": exc.code, "message": exc.message},
                        status=WORKFLOW_HTTP_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(invalid_body(field_errors(errors)), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data
        code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict) and "detail" in detail:
            response.data = {"code": getattr(detail["detail"], "code", code), "message": str(detail["detail"])}
        else:
            # Field errors come as a dict; an error about the whole body as a list.
            response.data = invalid_body(field_errors(detail))
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: under ``/api/`` a JSON 403 in the API's shape, elsewhere the site's page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"code": "csrf_failed",
                             "message": gettext("CSRF check failed: %(reason)s A browser session must send the "
                                                "csrftoken cookie's value as the X-CSRFToken header; partners send "
                                                "their API key.") % {"reason": reason}},
                            status=status.HTTP_403_FORBIDDEN)
    return csrf.csrf_failure(request, reason)
