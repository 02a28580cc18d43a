"""The ILL administrator's policy pages, under /policies/ (namespace ``policies``)."""

from django.urls import path

from . import patron_load_views, policy_views

app_name = "policies"

urlpatterns = [
    path("", policy_views.borrowing, name="borrowing"),
    path("lending/", policy_views.lending, name="lending"),
    path("emails/", policy_views.email_list, name="emails"),
    path("emails/<slug:kind>/", policy_views.email_edit, name="email-edit"),
    path("emails/<slug:kind>/reset/", policy_views.email_reset, name="email-reset"),
    path("history/", policy_views.history, name="history"),
    path("sign-in/", policy_views.signin, name="signin"),
    path("patron-loads/", patron_load_views.load_list, name="patron-loads"),
    path("patron-loads/columns/", patron_load_views.load_columns, name="patron-load-columns"),
    path("patron-loads/<id:pk>/", patron_load_views.load_detail, name="patron-load"),
    path("patron-loads/<id:pk>/errors.csv", patron_load_views.load_errors, name="patron-load-errors"),
    path("ncip/", policy_views.ncip, name="ncip"),
]
