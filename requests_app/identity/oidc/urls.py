from django.urls import path

from . import views

urlpatterns = [
    path("start/", views.SignInStart.as_view(), name="signin-oidc"),
    path("callback/", views.SignInCallback.as_view(), name="oidc_authentication_callback"),
    path("refused/", views.signin_refused, name="signin-oidc-refused"),
]
