from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("Requests and directory")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.urls import register_converter

        from .identity.cas import remember_pending_ticket
        from .identity.ldap import checks as ldap_checks  # noqa: F401  (the LDAP door's system checks)
        from .identity.saml import checks  # noqa: F401  (registers the SAML door's system check)
        from .identity.verification import register_patron_check, register_sign_in_check
        from .ncip.patrons import ils_patron_check, ils_sign_in_check
        from .two_factor import checks as two_factor_checks  # noqa: F401  (role names in the sign-in settings)
        from .utilities.ids import IdConverter

        # ``<id:pk>`` in every app's URLs: registered before the URL configuration is read.
        register_converter(IdConverter, "id")
        # The library's ILS refuses blocked, expired or unknown patrons when NCIP is on (LookupUser).
        register_patron_check(ils_patron_check)
        # ... and checks them as they sign in through any door, writing the ILS's block, category and expiry.
        register_sign_in_check(ils_sign_in_check)
        # A CAS ticket whose staff member gave the second factor afterwards names the session signed in then.
        user_logged_in.connect(remember_pending_ticket, dispatch_uid="requests_app.cas_pending_ticket")
