from django.urls import path  # noqa: F401 - filled as pages land

urlpatterns: list = []
