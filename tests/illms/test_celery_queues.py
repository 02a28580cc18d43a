"""Work is queued by kind, so a batch job never stands in front of a partner message or an e-mail."""

from __future__ import annotations

import pytest
from django.conf import settings

from illms.celery import app


def queue_of(task_name: str) -> str:
    app.loader.import_default_modules()
    options = app.amqp.router.route({}, task_name)
    return options["queue"].name


@pytest.mark.parametrize("task_name", ["requests_app.tasks.deliver_outbox",
                                       "requests_app.tasks.deliver_request_outbox"])
def test_partner_messages_go_to_the_protocol_queue(task_name):
    assert queue_of(task_name) == "protocol"


@pytest.mark.parametrize("task_name", ["requests_app.tasks.send_email", "requests_app.tasks.sweep_outgoing_email"])
def test_e_mails_go_to_the_email_queue(task_name):
    assert queue_of(task_name) == "email"


def test_invoices_rendered_as_pdfs_go_to_the_pdf_queue():
    assert queue_of("billing.tasks.create_monthly_invoices") == "pdf"


def test_holdings_imports_go_to_the_imports_queue():
    assert queue_of("lending.tasks.import_holdings") == "imports"


def test_the_nightly_desk_jobs_stay_on_the_default_queue():
    assert queue_of("borrowing.tasks.send_reminders") == "celery"


def test_every_task_of_ours_lands_on_a_queue_a_worker_takes():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if name.split(".")[0] in {"illms", "requests_app", "borrowing", "lending",
                                                                  "billing"}]
    assert {name: queue_of(name) for name in ours if queue_of(name) not in settings.ILLMS_CELERY_QUEUES} == {}


def test_a_worker_started_without_queues_takes_every_queue():
    assert sorted(queue.name for queue in app.conf.task_queues) == sorted(settings.ILLMS_CELERY_QUEUES)
