"""The daily job: due-date reminders and overdue notices, each once per loan and stage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from borrowing.models import ReminderLog
from borrowing.tasks import send_reminders
from requests_app.models import PatronProfile
from tests.factories import IllRequestFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)


def loan(status="checked_out", due=TODAY + dt.timedelta(days=3), **fields):
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
    request = loan(status="overdue", due=TODAY - dt.timedelta(days=1))
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
    assert mailoutbox == []
    assert ReminderLog.objects.filter(request=request).count() == 1


def test_a_reminder_whose_email_failed_is_tried_again_next_run(mailoutbox, monkeypatch):
    from borrowing.services import notifications

    request = loan()

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setitem(notifications.SENDERS, notifications.DUE_SOON, broken)
    assert send_reminders(today=TODAY.isoformat())["due_soon"] == 0
    assert not ReminderLog.objects.filter(request=request).exists()
    monkeypatch.undo()
    assert send_reminders(today=TODAY.isoformat())["due_soon"] == 1


def test_the_database_refuses_a_second_reminder_row_for_the_same_stage_and_due_date():
    request = loan()
    ReminderLog.objects.create(request=request, stage="due_soon", due_date=request.patron_due_date, sent_on=TODAY)
    with pytest.raises(IntegrityError):
        ReminderLog.objects.create(request=request, stage="due_soon", due_date=request.patron_due_date,
                                   sent_on=TODAY)
