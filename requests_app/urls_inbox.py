"""The staff inbox, under /inbox/ (namespace ``inbox``)."""

from django.urls import path

from . import inbox_views

app_name = "inbox"

urlpatterns = [
    path("", inbox_views.inbox, name="inbox"),
    path("read/", inbox_views.mark_read, name="read"),
]
