"""The daily job: due-date reminders and overdue notices, each once per loan and stage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from borrowing.models import ReminderLog
from borrowing.services import notifications
from borrowing.states import BorrowingStatus
from borrowing.tasks import send_reminders as send_reminders_task
from requests_app import mailer
from requests_app.models import EmailStatus, OutgoingEmail, PatronProfile
from tests.factories import IllRequestFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)


@pytest.fixture(autouse=True)
def _commit(django_capture_on_commit_callbacks):
    """The job's e-mails go to the mail server after each chunk commits: run those hand-overs."""
    global send_reminders

    def send_reminders(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send_reminders_task(**kwargs)
    yield


def loan(status=BorrowingStatus.CHECKED_OUT, due=TODAY + dt.timedelta(days=3), **fields):
    return IllRequestFactory(status=status, patron_due_date=due, **fields)


def test_a_loan_due_in_three_days_gets_a_reminder(mailoutbox, settings):
    settings.ILLMS_REMINDER_DAYS_BEFORE = 3
    request = loan()
    assert send_reminders(today=TODAY.isoformat()) == {"due_soon": 1, "overdue": 0}
    [mail] = mailoutbox
    assert (mail.to, mail.subject.startswith("Due 13 March")) == ([request.patron.email], True)


def test_a_loan_due_later_gets_no_reminder_yet(mailoutbox, settings):
    settings.ILLMS_REMINDER_DAYS_BEFORE = 3
    loan(due=TODAY + dt.timedelta(days=4))
    send_reminders(today=TODAY.isoformat())
    assert mailoutbox == []


def test_running_the_job_twice_sends_each_reminder_once(mailoutbox):
    loan()
    send_reminders(today=TODAY.isoformat())
    assert send_reminders(today=TODAY.isoformat()) == {"due_soon": 0, "overdue": 0}
    assert len(mailoutbox) == 1


def test_a_reminder_missed_one_day_is_sent_the_next(mailoutbox):
    loan(due=TODAY + dt.timedelta(days=2))
    send_reminders(today=TODAY.isoformat())
    assert len(mailoutbox) == 1


def test_an_overdue_loan_gets_one_overdue_notice(mailoutbox):
    request = loan(status=BorrowingStatus.OVERDUE, due=TODAY - dt.timedelta(days=1))
    send_reminders(today=TODAY.isoformat())
    send_reminders(today=(TODAY + dt.timedelta(days=1)).isoformat())
    assert [m.subject.split(":")[0] for m in mailoutbox] == ["Overdue"]
    assert ReminderLog.objects.get(request=request).stage == "overdue"


def test_a_renewed_loan_gets_a_reminder_for_its_new_due_date(mailoutbox):
    request = loan()
    send_reminders(today=TODAY.isoformat())
    later = TODAY + dt.timedelta(days=21)
    type(request).objects.filter(pk=request.pk).update(patron_due_date=later + dt.timedelta(days=3))
    send_reminders(today=later.isoformat())
    assert len(mailoutbox) == 2


def test_a_patron_who_turned_reminders_off_gets_no_reminder_but_it_is_recorded(mailoutbox):
    request = loan()
    PatronProfile.objects.filter(user=request.patron).update(due_date_reminders=False)
    send_reminders(today=TODAY.isoformat())
    assert (mailoutbox, OutgoingEmail.objects.count()) == ([], 0)
    assert ReminderLog.objects.filter(request=request).count() == 1


def test_the_reminder_row_and_its_email_are_written_together(mailoutbox):
    request = loan()
    send_reminders(today=TODAY.isoformat())
    email = OutgoingEmail.objects.get()
    assert email.key == f"reminder:{request.pk}:due_soon:{request.patron_due_date.isoformat()}"
    assert (email.status, email.recipient) == (EmailStatus.SENT, request.patron.email)
    assert ReminderLog.objects.filter(request=request, stage="due_soon").count() == 1


def test_a_chunk_that_fails_leaves_neither_reminder_rows_nor_emails(mailoutbox, monkeypatch):
    loan(), loan()

    def broken(*args, **kwargs):
        raise RuntimeError("the worker died while writing the chunk")

    monkeypatch.setattr(notifications, "render_for", broken)
    with pytest.raises(RuntimeError):
        send_reminders(today=TODAY.isoformat())
    assert (ReminderLog.objects.count(), OutgoingEmail.objects.count(), len(mailoutbox)) == (0, 0, 0)
    monkeypatch.undo()
    assert send_reminders(today=TODAY.isoformat())["due_soon"] == 2
    assert len(mailoutbox) == 2


def test_a_reminder_whose_mail_server_failed_stays_recorded_and_goes_with_the_retry(mailoutbox, settings):
    request = loan()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    assert send_reminders(today=TODAY.isoformat())["due_soon"] == 1
    email = OutgoingEmail.objects.get(request=request)
    assert (email.status, email.attempts, mailoutbox) == (EmailStatus.PENDING, 1, [])
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_reminders(today=TODAY.isoformat())["due_soon"] == 0  # recorded: the job does not write it again
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - dt.timedelta(hours=1))  # the back-off is over
    mailer.sweep()
    assert [m.to for m in mailoutbox] == [[request.patron.email]]


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_database_refuses_a_second_reminder_row_for_the_same_stage_and_due_date():
    request = loan()
    ReminderLog.objects.create(request=request, stage="due_soon", due_date=request.patron_due_date, sent_on=TODAY)
    with pytest.raises(IntegrityError):
        ReminderLog.objects.create(request=request, stage="due_soon", due_date=request.patron_due_date,
                                   sent_on=TODAY)
