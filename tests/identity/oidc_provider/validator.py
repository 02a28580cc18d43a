"""Claims as an institution's provider releases them, read from the fixture's claims.json at every token."""

import json

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class LibraryClaimsValidator(OAuth2Validator):
    # Our own claims go with the profile scope; the standard ones keep django-oauth-toolkit's scopes.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, **dict.fromkeys((
        "eduperson_affiliation", "library_barcode", "department", "library_expiry", "library_symbol",
        "employee_number", "ill_staff"), "profile")}

    def get_additional_claims(self, request):
        people = json.loads((settings.STATE / "claims.json").read_text())
        return people.get(request.user.username, {})
