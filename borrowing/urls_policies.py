"""Purchase on demand under Policies, at /policies/purchasing/ (namespace ``purchasing``)."""

from django.urls import path

from .views import purchasing_policies as views

app_name = "purchasing"

urlpatterns = [
    path("", views.rules, name="rules"),
    path("<id:pk>/", views.rule_edit, name="rule"),
    path("<id:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("vendors/", views.vendors, name="vendors"),
    path("vendors/<id:pk>/", views.vendor_edit, name="vendor"),
]
