from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.start, name="signin-cas"),
    path("callback/", views.callback, name="cas-callback"),
]
