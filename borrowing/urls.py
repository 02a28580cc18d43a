"""Borrowing pages: the patron's side and the staff's borrowing screens."""

from django.urls import include, path

urlpatterns = [
    path("", include("borrowing.urls_patron")),
    path("", include("borrowing.urls_staff")),
]
