"""The sign-in form: Django's, saying why a door that checks the typed password (LDAP) refused it."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError


class SignInForm(AuthenticationForm):
    def get_invalid_login_error(self) -> ValidationError:
        from .ldap.backend import REFUSAL_ATTRIBUTE

        message = getattr(self.request, REFUSAL_ATTRIBUTE, "") if self.request is not None else ""
        if message:
            return ValidationError(message, code="door_refused")
        return super().get_invalid_login_error()
