"""OpenAPI pieces drf-spectacular cannot guess: the partner key scheme and the error responses.

Imported by ``views`` so the extension is registered before any schema is generated.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from .serializers import ErrorSerializer


class PartnerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "requests_app.partners.api.authentication.PartnerApiKeyAuthentication"
    name = "partnerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner library's API key, issued by our ILL administrators: "
                           "`Authorization: Bearer illms_…` (`Api-Key illms_…` is accepted too, and HTTP Basic "
                           "with the library's symbol as user name and the key as password).",
        }


def error(description: str, code: str, message: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description,
                           examples=[OpenApiExample(code, value={"code": code, "message": message})])


INVALID = OpenApiResponse(
    ErrorSerializer, description="The body or a query parameter is not valid: `errors` names each field.",
    examples=[OpenApiExample("invalid", value={
        "code": "invalid", "message": "The data sent is not valid.",
        "errors": {"isbn": ["“978-0-00-000000-1” is not a valid ISBN: the number's check digit is wrong."]}})],
)
UNAUTHENTICATED = error("No credentials, or an unknown, revoked or expired API key.", "not_authenticated",
                        "Authentication credentials were not provided.")
FORBIDDEN = error("Authenticated, but not a partner library or ILL staff of a member library "
                  "(or, on an action, not an action for you).", "permission_denied",
                  "You do not have permission to perform this action.")
NOT_FOUND = error("No such request between you and us (another partner's request answers 404 too).", "not_found",
                  "Not found.")
CONFLICT = error("The action is not possible in the request's current status (`not_allowed`), or the request "
                 "moved on since `expected_status` (`conflict`).", "not_allowed",
                 "“Lender shipped” is not possible while the request is “Completed”.")
GUARD_FAILED = error("A rule of the workflow refused the action.", "guard_failed",
                     "This loan was already renewed 2 times.")

THROTTLED = error("Too many calls with this key, from this partner, or without a usable credential from this "
                  "address: wait the seconds of the `Retry-After` header.", "throttled",
                  "Request was throttled. Expected available in 12 seconds.")

#: The errors every endpoint may answer.
COMMON = {401: UNAUTHENTICATED, 403: FORBIDDEN, 429: THROTTLED}


# The document as a whole ------------------------------------------------------------------------

ERROR_REF = {"$ref": "#/components/schemas/Error"}
#: What every operation may answer besides its own, when it does not say more itself.
GENERIC_ERRORS = {
    "400": "The body or a query parameter is not valid: `errors` names each field (`code` `invalid`).",
    "404": "Nothing at this address for you: no such object between you and us, or a `cursor` that is not ours "
           "(`code` `not_found`).",
    "415": "The body is not JSON (`code` `unsupported_media_type`): send `Content-Type: application/json`.",
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def complete_the_document(result: dict, generator, request, public) -> dict:
    """drf-spectacular's postprocessing hook (``SPECTACULAR_SETTINGS``): what holds for every operation.

    - every error an operation can answer is documented, in the one ``Error`` shape: 400 where it takes a
      body or query parameters, 404 where its address has a key or it pages with a cursor, 415 where it
      takes a body (401, 403 and 429 each view names);
    - an empty query parameter counts as not given (``allowEmptyValue``), as django-filter and our views
      read it;
    - a request reads as a partner's or as staff's (`anyOf`: a staff request holds every field of a
      partner's, so it is both shapes at once, which `oneOf` forbids);
    - the values that depend on what is installed: the statuses of both workflows for the `status` filter,
      the member libraries one may ask to lend.
    """
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            _complete_operation(operation)
    schemas = result.get("components", {}).get("schemas", {})
    for name in ("Request", "RequestDetail"):
        if "oneOf" in schemas.get(name, {}):
            schemas[name]["anyOf"] = schemas[name].pop("oneOf")
    _installed_values(result)
    _action_data(result)
    return result


def _complete_operation(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    parameters = operation.get("parameters", [])
    query = [p for p in parameters if p.get("in") == "query"]
    for parameter in query:
        parameter["allowEmptyValue"] = True
    wanted = []
    if query or "requestBody" in operation:
        wanted.append("400")
    if any(p.get("in") == "path" for p in parameters) or any(p["name"] == "cursor" for p in query):
        wanted.append("404")
    if "requestBody" in operation:
        wanted.append("415")
    for code in wanted:
        responses.setdefault(code, _error_response(GENERIC_ERRORS[code]))


def _installed_values(result: dict) -> None:
    from django.db import DatabaseError

    from requests_app.models import Library

    from .filters import status_choices

    requests = result.get("paths", {}).get("/api/v1/requests/", {})
    for parameter in requests.get("get", {}).get("parameters", []):
        if parameter["name"] == "status":
            parameter["schema"]["enum"] = [value for value, _ in status_choices()]
    body = result.get("components", {}).get("schemas", {}).get("RequestCreate", {})
    supplying = body.get("properties", {}).get("supplying_library")
    if supplying is not None:
        try:
            symbols = list(Library.objects.filter(is_member=True, active=True).order_by("symbol")
                           .values_list("symbol", flat=True))
        except DatabaseError:  # the document written without a database (manage.py spectacular)
            symbols = []
        if symbols:
            supplying["enum"] = symbols


#: Where the action's description lists each form's fields: written when the document is (the workflows are
#: registered by then), from the forms themselves.
ACTION_DATA_PLACEHOLDER = "{action data fields}"


def _action_data(result: dict) -> None:
    from .action_forms import describe_action_data

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            text = operation.get("description", "") if isinstance(operation, dict) else ""
            if ACTION_DATA_PLACEHOLDER in text:
                operation["description"] = text.replace(ACTION_DATA_PLACEHOLDER, describe_action_data())
