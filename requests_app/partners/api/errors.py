"""One place that turns domain errors into JSON: ``{"code": ..., "message": ..., "errors": ...}``."""

from django.core.exceptions import ValidationError as DjangoValidationError
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


def exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        return Response({"code": exc.code, "message": exc.message},
                        status=WORKFLOW_HTTP_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"code": "invalid", "message": "The data sent is not valid.", "errors": errors},
                        status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data
        code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict) and "detail" in detail:
            response.data = {"code": getattr(detail["detail"], "code", code), "message": str(detail["detail"])}
        else:
            # Field errors come as a dict; an error about the whole body as a list.
            errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
            response.data = {"code": "invalid", "message": "The data sent is not valid.", "errors": errors}
    return response
