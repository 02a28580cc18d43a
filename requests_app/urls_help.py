"""Staff help, under /help/ (namespace ``help``)."""

from django.urls import path

from . import help_views

app_name = "help"

urlpatterns = [
    path("", help_views.index, name="index"),
    path("<slug:role>/", help_views.workflow_page, name="workflow"),
]
