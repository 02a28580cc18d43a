"""The renewal a borrower asked moves from the lending side table to the request (``renewal_requested_at``),
where both sides keep it: a pending renewal keeps the time it was asked (its last ``borrower_renewal_request``)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.utils import timezone


def flag_pending_renewals(apps, schema_editor):
    IllRequest = apps.get_model("requests_app", "IllRequest")
    Event = apps.get_model("requests_app", "Event")
    asked = (Event.objects.filter(request_id=OuterRef("pk"), action="borrower_renewal_request")
             .order_by("-created_at", "-pk").values("created_at")[:1])
    pending = IllRequest.objects.filter(lending_detail__renewal_pending=True)
    pending.update(renewal_requested_at=Subquery(asked))
    pending.filter(renewal_requested_at__isnull=True).update(renewal_requested_at=timezone.now())


def unflag(apps, schema_editor):
    IllRequest = apps.get_model("requests_app", "IllRequest")
    LendingDetail = apps.get_model("lending", "LendingDetail")
    ids = IllRequest.objects.filter(role="lending", renewal_requested_at__isnull=False).values("pk")
    LendingDetail.objects.filter(request_id__in=ids).update(renewal_pending=True)


class Migration(migrations.Migration):

    dependencies = [
        ('lending', '0002_partner_lending_rules'),
        ('requests_app', '0026_renewal_requested_at'),
    ]

    operations = [
        migrations.RunPython(flag_pending_renewals, unflag),
        migrations.RemoveField(
            model_name='lendingdetail',
            name='renewal_pending',
        ),
    ]
