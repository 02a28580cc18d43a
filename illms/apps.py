from django.apps import AppConfig


class IllmsConfig(AppConfig):
    name = "illms"
    verbose_name = "ILLMS"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .middleware import record_sign_in

        user_logged_in.connect(record_sign_in, dispatch_uid="illms.record_sign_in")
