"""The admin site: Django's, signing in through the site's sign-in (second factor included) and refusing a list
filter with a number no id can be.

The admin's own login form would sign a staff member in with the password alone: its address shows the site's
sign-in form instead, which asks staff for their second factor (requests_app/two_factor) and goes on to the admin.

Its list of apps and models is Django's, sorted on names translated once (``get_app_list``).

The admin's lists filter on whatever the address says (``?library__exact=12``) and send the value
to the database as typed: SQLite cannot bind a number past 64 bits (``OverflowError``, a 500), for
any model, ours or another app's. Such an address goes where the admin sends any filter it cannot
apply, its invalid-lookup page (``?e=1``). Installed as the default site (``IllmsAdminConfig``), so
every registered model gets it.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from requests_app.utilities.ids import number_past_ids

#: Query parameters that are not filters on a column: the search box (text, searched as text).
NOT_FILTERS = {"q", "_changelist_filters"}


class IllmsAdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context=None):
        from requests_app.two_factor.views import SignInView

        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            request.GET = request.GET.copy()
            request.GET[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        return SignInView.as_view()(request)

    def get_app_list(self, request: HttpRequest, app_label=None):
        """Django's list of apps and models (the sidebar of every admin page, and the index), its names
        translated once each before sorting: Django sorts the lazy names themselves, translating both names of
        every comparison again."""
        app_dict = self._build_app_dict(request, app_label)
        for app in app_dict.values():
            app["name"] = str(app["name"])
            for model in app["models"]:
                model["name"] = str(model["name"])
        app_list = sorted(app_dict.values(), key=lambda app: app["name"].lower())
        for app in app_list:
            app["models"].sort(key=lambda model: model["name"])
        return app_list

    def admin_view(self, view, cacheable=False):
        @functools.wraps(view)
        def refuse_numbers_past_ids(request: HttpRequest, *args, **kwargs):
            if number_past_ids(value for key, values in request.GET.lists() if key not in NOT_FILTERS
                               for value in values) is not None:
                return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
            return view(request, *args, **kwargs)
        return super().admin_view(refuse_numbers_past_ids, cacheable)


class IllmsAdminConfig(AdminConfig):
    default_site = "illms.admin_site.IllmsAdminSite"
