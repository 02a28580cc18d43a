from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Requests and directory"

    def ready(self) -> None:
        from . import transports  # noqa: F401 - registers the outbox transports
