"""The key we send to each partner is stored encrypted (Fernet, ``requests_app.partners.credentials``), not in plain text.

Existing keys are encrypted into ``outgoing_secret`` before the plain column is dropped; going back decrypts them.
"""

from django.db import migrations, models


def encrypt_existing(apps, schema_editor):
    from requests_app.partners.credentials import encrypt

    Library = apps.get_model("requests_app", "Library")
    for library in Library.objects.exclude(outgoing_api_key="").only("pk", "outgoing_api_key").iterator():
        Library.objects.filter(pk=library.pk).update(outgoing_secret=encrypt(library.outgoing_api_key))


def decrypt_existing(apps, schema_editor):
    from requests_app.partners.credentials import decrypt

    Library = apps.get_model("requests_app", "Library")
    for library in Library.objects.exclude(outgoing_secret="").only("pk", "outgoing_secret").iterator():
        Library.objects.filter(pk=library.pk).update(outgoing_api_key=decrypt(library.outgoing_secret)[:200])


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0019_partners_authenticate_by_default"),
    ]

    operations = [
        migrations.AddField(
            model_name='library',
            name='outgoing_secret',
            field=models.TextField(blank=True, editable=False, help_text='Fernet token of the key or password the partner issued to us; set through the admin form.', verbose_name='our key or password at the partner (encrypted)'),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.RemoveField(
            model_name='library',
            name='outgoing_api_key',
        ),
    ]
