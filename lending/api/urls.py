"""Included at /api/v1/holdings/ (before the /api/v1/ catch-all of requests_app.partners.api.urls)."""

from django.urls import path

from . import views

app_name = "lending-api"

urlpatterns = [path("", views.HoldingsAvailability.as_view(), name="holdings")]
