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
