from django.apps import AppConfig


class IllmsConfig(AppConfig):
    name = "illms"
    verbose_name = "ILLMS"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from requests_app.languages import remember_at_sign_in

        from .middleware import record_sign_in

        user_logged_in.connect(record_sign_in, dispatch_uid="illms.record_sign_in")
        user_logged_in.connect(remember_at_sign_in, dispatch_uid="illms.remember_language")
