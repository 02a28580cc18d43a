"""Lending rules per partner, under /policies/partners/ (namespace ``partner-rules``)."""

from django.urls import path

from .views import partner_rules

app_name = "partner-rules"

urlpatterns = [
    path("", partner_rules.rule_list, name="list"),
    path("<id:pk>/", partner_rules.rule_edit, name="edit"),
    path("<id:pk>/delete/", partner_rules.rule_delete, name="delete"),
]
