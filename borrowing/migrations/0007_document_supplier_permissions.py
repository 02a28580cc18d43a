"""ILL administrators configure their library's document suppliers and price lists, and read the orders."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "borrowing.view_documentsupplier", "borrowing.add_documentsupplier", "borrowing.change_documentsupplier",
    "borrowing.view_supplierprice", "borrowing.add_supplierprice", "borrowing.change_supplierprice",
    "borrowing.delete_supplierprice", "borrowing.view_supplierorder",
]
ROLE = "ILL administrator"


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ROLE)
    for code in PERMISSIONS:
        app_label, codename = code.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [code.split(".")[1] for code in PERMISSIONS]
    perms = Permission.objects.filter(content_type__app_label="borrowing", codename__in=codenames)
    for group in Group.objects.filter(name=ROLE):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("borrowing", "0006_document_suppliers"),
        ("requests_app", "0002_staff_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
