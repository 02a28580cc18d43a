"""The Django admin: every model has a page that opens, and audit rows cannot be edited there."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from requests_app.models import PatronRecordAccess, PolicyChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPS = ("requests_app", "borrowing", "lending", "billing")
#: Shown inside their parent's page (inlines), not on their own.
INLINE_ONLY = {"PickupLocation", "Note", "DownloadLog", "ChargeAdjustment", "InvoiceLine", "RequesterDetails",
               "RequesterAddress", "ExternalIdentity", "SupplierPrice"}


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_model_has_an_admin_page_or_is_shown_inline():
    missing = [m.__name__ for app in APPS for m in apps.get_app_config(app).get_models()
               if m not in admin.site._registry and m.__name__ not in INLINE_ONLY]
    assert missing == []


@pytest.mark.parametrize("model", [m for m in admin.site._registry if m._meta.app_label in APPS],
                         ids=lambda m: m.__name__)
def test_each_admin_list_opens_for_a_superuser(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200


@pytest.mark.parametrize("model", [PatronRecordAccess, PolicyChange], ids=lambda m: m.__name__)
def test_audit_rows_cannot_be_added_or_deleted_in_the_admin(superuser_client, model):
    model_admin = admin.site._registry[model]
    request = superuser_client.get("/").wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("language", ["en", "de", "es"])
def test_the_list_of_apps_and_models_is_djangos_in_the_same_order_in_each_language(rf, language,
                                                                                  compiled_translations):
    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    with translation.override(language):
        ours = admin.site.get_app_list(request)
        djangos = admin.AdminSite.get_app_list(admin.site, request)
        assert [(app["name"], [model["name"] for model in app["models"]]) for app in ours] == [
            (str(app["name"]), [str(model["name"]) for model in app["models"]]) for app in djangos]


@pytest.mark.parametrize("permissions", [[], ["view_illrequest", "view_event"], ["add_library", "change_library",
                                                                                 "view_invoice"]])
def test_the_list_of_apps_and_models_has_djangos_addresses_and_permissions_for_each_staff_member(rf, permissions):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    request = rf.get("/admin/")
    request.user = user
    admin.site.get_app_list(request)  # the addresses are now kept

    ours = admin.site.get_app_list(request)
    djangos = admin.AdminSite.get_app_list(admin.site, request)

    def shown(app_list):
        return [(app["app_label"], app["app_url"], [(m["object_name"], m["admin_url"], m["add_url"], m["perms"],
                                                     m.get("view_only")) for m in app["models"]])
                for app in app_list]
    assert shown(ours) == shown(djangos)
    assert bool(ours) == bool(permissions)


def test_the_list_of_apps_and_models_follows_the_script_prefix(rf):
    from django.urls import set_script_prefix

    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    admin.site.get_app_list(request)
    try:
        set_script_prefix("/ill/")
        moved = admin.site.get_app_list(request)
    finally:
        set_script_prefix("/")

    assert moved[0]["app_url"].startswith("/ill/admin/")
    assert all(m["admin_url"].startswith("/ill/admin/") for app in moved for m in app["models"])
