from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Requests and directory"

    def ready(self) -> None:
        from django.urls import register_converter

        from .identity.ldap import checks as ldap_checks  # noqa: F401  (the LDAP door's system checks)
        from .identity.saml import checks  # noqa: F401  (registers the SAML door's system check)
        from .identity.verification import register_patron_check
        from .ncip.patrons import ils_patron_check
        from .utilities.ids import IdConverter

        # ``<id:pk>`` in every app's URLs: registered before the URL configuration is read.
        register_converter(IdConverter, "id")
        # The library's ILS refuses blocked, expired or unknown patrons when NCIP is on (LookupUser).
        register_patron_check(ils_patron_check)
