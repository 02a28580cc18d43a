from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from requests_app.identity.views import DoorLogoutView
from requests_app.languages import set_language
from requests_app.partners.api.views import not_found as api_not_found
from requests_app.partners.endpoint import iso18626, messages_json
from requests_app.two_factor.views import SignInView

from . import views

urlpatterns = [
    # The partner doors first: Django tries the patterns in order, and before them a partner's call was matched
    # against the 82 patterns of the staff and patron pages (none of which starts with api/ or is iso18626).
    path("iso18626", iso18626, name="iso18626"),
    path("api/v1/messages/", messages_json, name="api-messages"),
    path("api/v1/invoices/", include("billing.api.urls")),
    path("api/v1/holdings/", include("lending.api.urls")),
    path("api/v1/", include("requests_app.partners.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from ?script, as the Content-Security-Policy requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
         name="api-docs"),
    # Any other address under /api/ answers the API's JSON 404, not the site's HTML page.
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    path("", views.home, name="home"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("requests_app.two_factor.urls")),
    path("accounts/logout/", DoorLogoutView.as_view(), name="logout"),
    path("accounts/cas/", include("requests_app.identity.cas.urls")),
    path("accounts/saml/", include("requests_app.identity.saml.urls")),
    path("accounts/oidc/", include("requests_app.identity.oidc.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("borrowing.urls")),
    path("", include("lending.urls")),
    path("staff/", include("requests_app.urls")),
    path("inbox/", include("requests_app.urls_inbox")),
    path("help/", include("requests_app.urls_help")),
    path("healthz", views.healthz, name="healthz"),
    # The header's language switcher, and the JavaScript catalogue of the active language (gettext in our scripts).
    path("i18n/setlang/", set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("billing/", include("billing.urls")),
    path("statistics/", include("requests_app.statistics.urls")),
    path("partners/", include("requests_app.directory.urls")),
    path("policies/partners/", include("lending.urls_policies")),
    path("policies/purchasing/", include("borrowing.urls_policies")),
    path("policies/", include("requests_app.urls_policies")),
]

# The site's own error pages (illms/errors.py), shown whenever DEBUG is off, in production and in `make run`.
handler400 = "illms.errors.bad_request"
handler403 = "illms.errors.permission_denied"
handler404 = "illms.errors.page_not_found"
handler500 = "illms.errors.server_error"
