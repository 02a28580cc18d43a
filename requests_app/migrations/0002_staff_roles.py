"""The staff roles as groups with their permissions (DESIGN: roles come by data migration)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "ILL staff (borrowing)": [
        "requests_app.work_borrowing", "requests_app.view_illrequest", "requests_app.view_library",
        "requests_app.view_patronprofile", "requests_app.add_note", "requests_app.view_note",
        "requests_app.view_event",
    ],
    "ILL staff (lending)": [
        "requests_app.work_lending", "requests_app.view_illrequest", "requests_app.view_library",
        "requests_app.add_note", "requests_app.view_note", "requests_app.view_event",
    ],
    "Billing staff": [
        "requests_app.view_illrequest", "requests_app.view_library", "requests_app.view_event",
    ],
    "ILL administrator": [
        "requests_app.work_borrowing", "requests_app.work_lending", "requests_app.view_statistics",
        "requests_app.administer_ill",
        "requests_app.view_illrequest", "requests_app.change_illrequest",
        "requests_app.view_library", "requests_app.add_library", "requests_app.change_library",
        "requests_app.view_pickuplocation", "requests_app.add_pickuplocation",
        "requests_app.change_pickuplocation",
        "requests_app.view_patronprofile", "requests_app.add_patronprofile", "requests_app.change_patronprofile",
        "requests_app.view_staffprofile", "requests_app.add_staffprofile", "requests_app.change_staffprofile",
        "requests_app.view_event", "requests_app.view_note", "requests_app.add_note",
    ],
    "Reporting (read-only)": [
        "requests_app.view_statistics", "requests_app.view_illrequest", "requests_app.view_library",
        "requests_app.view_event",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations; make ours now so the groups can hold them.
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


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
