"""The admin site: Django's, signing in through the site's sign-in (second factor included) and refusing a list
filter with a number no id can be.

The admin's own login form would sign a staff member in with the password alone: its address shows the site's
sign-in form instead, which asks staff for their second factor (requests_app/two_factor) and goes on to the admin.

Its list of apps and models is Django's, sorted on names translated once (``get_app_list``), with each model's
addresses reversed once per process (``_build_app_dict``: the sidebar of every admin page reversed about a hundred
addresses, a tenth of a large table's list).

The admin's lists filter on whatever the address says (``?library__exact=12``) and send the value
to the database as typed: SQLite cannot bind a number past 64 bits (``OverflowError``, a 500), for
any model, ours or another app's. Such an address goes where the admin sends any filter it cannot
apply, its invalid-lookup page (``?e=1``). Installed as the default site (``IllmsAdminConfig``), so
every registered model gets it.
"""

from __future__ import annotations

import functools

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst

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

    def _reversed(self, name: str, **kwargs) -> str | None:
        """``reverse(name)`` in this site, kept per process for the script prefix and URL configuration it was
        reversed under (``None``: no such address)."""
        key = (name, tuple(sorted(kwargs.items())), get_script_prefix(), get_urlconf())
        urls = self.__dict__.setdefault("_reversed_urls", {})
        if key not in urls:
            try:
                urls[key] = reverse(name, kwargs=kwargs or None, current_app=self.name)
            except NoReverseMatch:
                urls[key] = None
        return urls[key]

    def _build_app_dict(self, request: HttpRequest, label=None):
        """Django's ``AdminSite._build_app_dict`` (5.2), its addresses from ``_reversed``. The permissions are
        asked on every call, as Django asks them; ``tests/illms/test_admin.py`` compares the two for users with
        different permissions."""
        app_dict = {}
        models = {m: m_a for m, m_a in self._registry.items() if m._meta.app_label == label} if label \
            else self._registry
        for model, model_admin in models.items():
            app_label = model._meta.app_label
            has_module_perms = model_admin.has_module_permission(request)
            if not has_module_perms:
                continue
            perms = model_admin.get_model_perms(request)
            if True not in perms.values():
                continue
            model_name = model._meta.model_name
            model_dict = {"model": model, "name": capfirst(model._meta.verbose_name_plural),
                          "object_name": model._meta.object_name, "perms": perms, "admin_url": None,
                          "add_url": None}
            if perms.get("change") or perms.get("view"):
                model_dict["view_only"] = not perms.get("change")
                model_dict["admin_url"] = self._reversed(f"admin:{app_label}_{model_name}_changelist")
            if perms.get("add"):
                model_dict["add_url"] = self._reversed(f"admin:{app_label}_{model_name}_add")
            if app_label in app_dict:
                app_dict[app_label]["models"].append(model_dict)
            else:
                app_dict[app_label] = {
                    "name": apps.get_app_config(app_label).verbose_name, "app_label": app_label,
                    "app_url": self._reversed("admin:app_list", app_label=app_label),
                    "has_module_perms": has_module_perms, "models": [model_dict],
                }
        return app_dict

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
