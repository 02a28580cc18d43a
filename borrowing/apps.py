from django.apps import AppConfig


class BorrowingConfig(AppConfig):
    name = "borrowing"
    verbose_name = "Borrowing"

    def ready(self) -> None:
        from requests_app.workflow import registry

        from .workflow import WORKFLOW

        registry.register(WORKFLOW)
