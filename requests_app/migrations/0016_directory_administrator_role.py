"""The directory is the installation's: a "Directory administrator" role edits it, the ILL administrator no more.

The ILL administrator of a member library held the installation-wide rights to add and change any
library of the directory; they lose them here (``sync_roles`` only adds, so this migration removes),
and gain the rights to manage their own library's staff accounts in the admin, which shows them
their own library's accounts only. The Directory administrator views, adds and changes libraries,
their pickup locations and partner API keys.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ILL_ADMINISTRATOR = "ILL administrator"
DIRECTORY_ADMINISTRATOR = "Directory administrator"
TAKEN_FROM_ILL_ADMINISTRATOR = ["requests_app.add_library", "requests_app.change_library"]
GIVEN_TO_ILL_ADMINISTRATOR = ["auth.view_user", "auth.add_user", "auth.change_user"]
DIRECTORY_PERMISSIONS = [
    "requests_app.view_library", "requests_app.add_library", "requests_app.change_library",
    "requests_app.view_pickuplocation", "requests_app.add_pickuplocation", "requests_app.change_pickuplocation",
    "requests_app.view_partnerapikey", "requests_app.add_partnerapikey", "requests_app.change_partnerapikey",
]


def permissions(apps, codes):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for code in codes:
        app_label, codename = code.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def forwards(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    administrator, _ = Group.objects.get_or_create(name=ILL_ADMINISTRATOR)
    administrator.permissions.remove(*permissions(apps, TAKEN_FROM_ILL_ADMINISTRATOR))
    administrator.permissions.add(*permissions(apps, GIVEN_TO_ILL_ADMINISTRATOR))
    directory, _ = Group.objects.get_or_create(name=DIRECTORY_ADMINISTRATOR)
    directory.permissions.add(*permissions(apps, DIRECTORY_PERMISSIONS))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=DIRECTORY_ADMINISTRATOR).delete()
    for administrator in Group.objects.filter(name=ILL_ADMINISTRATOR):
        administrator.permissions.remove(*permissions(apps, GIVEN_TO_ILL_ADMINISTRATOR))
        administrator.permissions.add(*permissions(apps, TAKEN_FROM_ILL_ADMINISTRATOR))


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0015_lending_new_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
