"""The directory's ISO 18626 version is one we write: 1.2 or 2021-2.

A value written before there was a choice is mapped to the version whose form it names (the
codec reads 1.0 and 1.1 as 1.2, and 2021 as 2021-2); anything else becomes 1.2, the default.
"""

from django.db import migrations, models

VERSIONS = ("1.2", "2021-2")
#: Labels the codec reads as one of the two (requests_app.iso18626.xml.VERSION_FORMS when this was written).
SAME_AS = {"1.0": "1.2", "1.1": "1.2", "2021": "2021-2"}


def map_to_versions_we_write(apps, schema_editor):
    Library = apps.get_model("requests_app", "Library")
    for library in Library.objects.exclude(iso18626_version__in=VERSIONS).only("pk", "iso18626_version"):
        version = SAME_AS.get(library.iso18626_version.strip(), "1.2")
        Library.objects.filter(pk=library.pk).update(iso18626_version=version)


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0020_encrypt_outgoing_partner_keys"),
    ]

    operations = [
        migrations.RunPython(map_to_versions_we_write, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="library",
            name="iso18626_version",
            field=models.CharField(
                choices=[("1.2", "1.2 (ReShare and most systems; 1.0 and 1.1 peers too)"), ("2021-2", "2021-2")],
                default="1.2",
                help_text="The version the partner's system speaks: what we send validates against its schema.",
                max_length=8,
                verbose_name="ISO 18626 version",
            ),
        ),
    ]
