from django.db import migrations


def start_the_rollup_again(apps, schema_editor):
    """Requests made are now rolled up for all partners together: the cells kept per partner would be
    counted beside the new ones, so the rollup starts again (its next run rebuilds every month)."""
    apps.get_model("requests_app", "MonthlyFigure").objects.all().delete()
    apps.get_model("requests_app", "RollupState").objects.update(covered_until=None, last_event_id=0)


class Migration(migrations.Migration):

    dependencies = [
        ("requests_app", "0036_request_search"),
    ]

    operations = [
        migrations.RunPython(start_the_rollup_again, migrations.RunPython.noop),
    ]
