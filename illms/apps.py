from django.apps import AppConfig


class IllmsConfig(AppConfig):
    name = "illms"
    verbose_name = "ILLMS"
