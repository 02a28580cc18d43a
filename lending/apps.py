from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = "Lending"

    def ready(self) -> None:
        from requests_app.workflow import registry

        from .workflow import WORKFLOW

        registry.register(WORKFLOW)
