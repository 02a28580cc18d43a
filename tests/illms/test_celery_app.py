from django.conf import settings

from illms.celery import app


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names unknown task {entry['task']}"


def test_tasks_are_acknowledged_only_after_they_ran():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


def test_every_task_of_our_apps_is_acknowledged_when_done_and_given_back_when_its_worker_dies():
    app.loader.import_default_modules()
    ours = [task for name, task in app.tasks.items()
            if name.split(".")[0] in {"illms", "requests_app", "borrowing", "lending", "billing"}]
    assert len(ours) > 15
    assert [task.name for task in ours if not (task.acks_late and task.reject_on_worker_lost)] == []


def test_beat_runs_the_email_sweep_every_minute_and_the_invoice_sweep_every_ten():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["requests_app.tasks.sweep_outgoing_email"] == 60.0
    assert schedule["billing.tasks.sweep_invoices"] == 600.0
