from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from requests_app.email_templates import register_kinds
        from requests_app.partner_standing import register_standing_check

        from . import receivers  # noqa: F401  (connects the workflow signal)
        from .emails import KINDS, register_attachment
        from .standing import unpaid_invoices

        register_standing_check(unpaid_invoices)
        register_kinds(KINDS.values())
        register_attachment()
