from django.urls import path

from . import views

app_name = "statistics"

urlpatterns = [
    path("", views.index, name="index"),
    path("annual-survey.csv", views.annual_survey_csv, name="annual_survey"),
    path("<slug:name>.csv", views.table_csv, name="csv"),
    path("sections/<slug:name>/", views.section, name="section"),
]
