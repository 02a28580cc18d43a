"""The REST API under /api/v1/ (partners and staff tools); the schema is at /api/schema/, docs at /api/docs/."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("libraries", views.LibraryViewSet, basename="library")
router.register("requests", views.RequestViewSet, basename="request")

urlpatterns = [
    *router.urls,
    # Last: every other address under /api/v1/ answers a JSON 404, not the HTML page.
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
