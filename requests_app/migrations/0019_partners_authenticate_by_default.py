"""Partners authenticate on every door by default: the opt-in ``require_api_key`` goes; every existing
partner now needs a credential (a key, or HTTP Basic with one) unless an administrator opens it, with a reason.
Refused messages are counted per partner. How we authenticate to a partner gets a scheme and a user name."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0018_ill_administrator_sees_outgoing_email'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(
            model_name='library',
            name='require_api_key',
        ),
        migrations.AddField(
            model_name='library',
            name='last_refused_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last refused'),
        ),
        migrations.AddField(
            model_name='library',
            name='last_refused_reason',
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name='library',
            name='open_without_credential',
            field=models.BooleanField(default=False, editable=False, help_text='ISO 18626 messages naming this partner are accepted without a key or password.', verbose_name='accepts messages without a credential'),
        ),
        migrations.AddField(
            model_name='library',
            name='opened_without_credential_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='library',
            name='opened_without_credential_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='library',
            name='opened_without_credential_reason',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='library',
            name='outgoing_auth_scheme',
            field=models.CharField(choices=[('bearer', 'Authorization: Bearer <key>'), ('api-key', 'Authorization: Api-Key <key>'), ('basic', 'HTTP Basic (user name and password)')], default='bearer', help_text='Sent with our messages: “Authorization: Bearer <secret>”, “Authorization: Api-Key <secret>” or HTTP Basic (user name and the secret as password).', max_length=10, verbose_name='how we authenticate to the partner'),
        ),
        migrations.AddField(
            model_name='library',
            name='outgoing_username',
            field=models.CharField(blank=True, help_text='HTTP Basic only: the user name the partner gave us.', max_length=100, verbose_name='user name at the partner'),
        ),
        migrations.AddField(
            model_name='library',
            name='refused_messages',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='refused messages'),
        ),
        migrations.AlterField(
            model_name='library',
            name='ip_allowlist',
            field=models.CharField(blank=True, help_text="Space-separated addresses or networks (CIDR) the partner's messages may come from; empty: any. Checked besides the credential, never instead of it.", max_length=500, verbose_name='IP allow-list'),
        ),
    ]
