"""The site's addresses plus views that fail on purpose, for tests/illms/test_error_pages.py."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from illms.urls import handler400, handler403, handler404, handler500
from illms.urls import urlpatterns as site_urlpatterns


def fails(request):
    raise RuntimeError("secret internals: the database password is hunter2")


def refuses_without_reason(request):
    raise PermissionDenied


def bad(request):
    raise BadRequest("Internal parser state 0x2a")


urlpatterns = [
    path("test-errors/fails/", fails),
    path("test-errors/refuses/", refuses_without_reason),
    path("test-errors/bad/", bad),
    *site_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
