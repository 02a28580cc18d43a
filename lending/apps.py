from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = pgettext_lazy("desk", "Lending")

    def ready(self) -> None:
        from requests_app.action_lists import action_lists
        from requests_app.catalogue import register_finder
        from requests_app.directory.sections import register_section
        from requests_app.saved_views import queues
        from requests_app.workflow import registry

        from . import receivers  # noqa: F401  (connects lending's listener to the workflow's transitions)
        from .action_lists import LISTS
        from .directory import partner_rule_section
        from .filters import SAVED_QUEUE
        from .services.availability import owned_items
        from .workflow import WORKFLOW

        registry.register(WORKFLOW)
        action_lists.register(WORKFLOW.role, LISTS)
        queues.register(SAVED_QUEUE)
        register_finder(owned_items)
        register_section(partner_rule_section)
