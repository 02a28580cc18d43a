"""The site's URLs with the billing API mounted as illms/urls.py will mount it (before the /api/v1/ catch-all)."""

from django.urls import include, path

from illms.urls import urlpatterns as site

urlpatterns = [path("api/v1/invoices/", include("billing.api.urls")), *site]
