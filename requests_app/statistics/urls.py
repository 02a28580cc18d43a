from django.urls import path

from . import views

app_name = "statistics"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>.csv", views.table_csv, name="csv"),
    path("sections/<slug:name>/", views.section, name="section"),
]
