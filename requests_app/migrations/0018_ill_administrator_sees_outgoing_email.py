"""The ILL administrator sees their library's outgoing e-mails in the admin and sends failed ones again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ILL_ADMINISTRATOR = "ILL administrator"
CODENAMES = ["view_outgoingemail", "change_outgoingemail"]


def forwards(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the group can hold them.
    app_config = apps.get_app_config("requests_app")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = Permission.objects.filter(content_type__app_label="requests_app", codename__in=CODENAMES)
    for administrator in Group.objects.filter(name=ILL_ADMINISTRATOR):
        administrator.permissions.add(*wanted)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = Permission.objects.filter(content_type__app_label="requests_app", codename__in=CODENAMES)
    for administrator in Group.objects.filter(name=ILL_ADMINISTRATOR):
        administrator.permissions.remove(*wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0017_outgoing_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
