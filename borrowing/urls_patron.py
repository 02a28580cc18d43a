"""The patron's pages: new requests, OpenURL intake, “My requests”, preferences."""

from django.urls import path

from .views import messages, patron, privacy

urlpatterns = [
    path("openurl", patron.openurl, name="openurl"),
    # Some discovery systems are set up with a trailing slash.
    path("openurl/", patron.openurl),
    path("requests/", patron.my_requests, name="patron-requests"),
    path("requests/new/", patron.new_request, name="patron-request-new"),
    path("requests/new/<slug:format>/", patron.request_form, name="patron-request-form"),
    path("requests/help/", patron.help_page, name="patron-help"),
    path("requests/preferences/", patron.preferences, name="patron-preferences"),
    path("requests/my-data.json", privacy.download_my_data, name="patron-data-export"),
    path("requests/<id:pk>/", patron.request_detail, name="patron-request"),
    path("requests/<id:pk>/actions/<slug:action>/", patron.perform_action, name="patron-request-action"),
    path("requests/<id:pk>/copy/", patron.download_copy, name="patron-request-copy"),
    path("requests/<id:pk>/messages/", messages.write_to_staff, name="patron-request-message"),
]
