from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.sign_in, name="signin-saml"),
    path("acs/", views.assertion_consumer, name="saml-acs"),
    path("sls/", views.single_logout, name="saml-sls"),
    path("metadata/", views.metadata, name="saml-metadata"),
]
