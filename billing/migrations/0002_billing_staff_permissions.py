"""Billing staff may manage charges, budgets and invoices; ILL administrators may too."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BILLING_PERMISSIONS = [
    "billing.manage_billing", "billing.view_charge", "billing.view_invoice", "billing.view_budget",
    "billing.add_budget", "billing.change_budget", "billing.view_feeschedule", "billing.add_feeschedule",
    "billing.change_feeschedule", "billing.view_payment", "billing.view_billingsettings",
    "billing.change_billingsettings",
]
ROLES = {"Billing staff": BILLING_PERMISSIONS, "ILL administrator": BILLING_PERMISSIONS}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="billing")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("requests_app", "0002_staff_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
