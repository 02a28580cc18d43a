"""The REST API under /api/v1/ (partners and staff tools)."""

from django.urls import path  # noqa: F401 - filled as endpoints land

app_name = "api"

urlpatterns: list = []
