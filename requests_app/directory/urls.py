from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("<str:symbol>/", views.partner_detail, name="detail"),
]
