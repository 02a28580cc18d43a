"""A renewal asked and not yet answered is a flag on the request: set from the history of open borrowing loans
(the last ``request_renewal`` after the last ``lender_renewal_answer``). Lending's pending renewals move here in
``lending.0003``."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def flag_unanswered_renewals(apps, schema_editor):
    IllRequest = apps.get_model("requests_app", "IllRequest")
    Event = apps.get_model("requests_app", "Event")
    asked = (Event.objects.filter(request_id=OuterRef("pk"), action="request_renewal")
             .order_by("-created_at", "-pk").values("created_at")[:1])
    IllRequest.objects.filter(role="borrowing", status__in=["checked_out", "overdue", "recalled"]).filter(
        Exists(Event.objects.filter(request_id=OuterRef("pk"), action="request_renewal"))).update(
        renewal_requested_at=Subquery(asked))
    answered = Event.objects.filter(request_id=OuterRef("pk"), action="lender_renewal_answer",
                                    created_at__gte=OuterRef("renewal_requested_at"))
    IllRequest.objects.filter(role="borrowing", renewal_requested_at__isnull=False).filter(
        Exists(answered)).update(renewal_requested_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0025_action_list_policies'),
    ]

    operations = [
        migrations.AddField(
            model_name='illrequest',
            name='renewal_requested_at',
            field=models.DateTimeField(blank=True, help_text='When the borrower asked the lender to renew the loan; empty once the lender answered.', null=True),
        ),
        migrations.RunPython(flag_unanswered_renewals, migrations.RunPython.noop),
    ]
