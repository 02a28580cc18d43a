from django.db import migrations, models

import requests_app.models


def existing_wording_is_the_default_languages(apps, schema_editor):
    """A library's wording written before wordings had a language is its wording in the site's default language."""
    apps.get_model("requests_app", "EmailTemplate").objects.update(language=requests_app.models.default_language())


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0038_patron_blocked_by_ils"),
    ]

    operations = [
        migrations.AddField(
            model_name="library",
            name="language",
            field=models.CharField(blank=True, choices=requests_app.models.language_choices, help_text="The language of what we send this library: invoice and credit-note e-mails, the copyright cover sheet, the labels and slips that travel with an item; empty: the site's default.", max_length=10),
        ),
        migrations.AddField(
            model_name="emailtemplate",
            name="language",
            field=models.CharField(default=requests_app.models.default_language, choices=requests_app.models.language_choices, help_text="The language of this wording; recipients in a language without one get the site's default language's wording, else the standard wording in their language.", max_length=10),
        ),
        migrations.RunPython(existing_wording_is_the_default_languages, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="emailtemplate",
            name="email_template_unique_kind",
        ),
        migrations.AddConstraint(
            model_name="emailtemplate",
            constraint=models.UniqueConstraint(fields=("library", "kind", "language"), name="email_template_unique_kind_language"),
        ),
        migrations.AlterModelOptions(
            name="emailtemplate",
            options={"ordering": ["library", "kind", "language"]},
        ),
    ]
