"""Outgoing e-mail rows: written with their change, sent one a claim, retried, given back by the sweep."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from requests_app import mailer
from requests_app.models import EmailStatus, OutgoingEmail
from tests.factories import MemberLibraryFactory, UserFactory

pytestmark = pytest.mark.django_db


def draft(library, key="test:1", **fields) -> mailer.Draft:
    return mailer.Draft(**{"library": library, "kind": "note", "key": key, "to": "reader@example.edu",
                           "subject": "Your request", "text": "Hello", **fields})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def library():
    return MemberLibraryFactory()


@pytest.fixture
def refused_smtp(settings):
    """The real SMTP backend, pointed at a port nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2


def test_an_email_written_in_a_transaction_that_rolls_back_is_never_sent(library, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        mailer.write(draft(library))
        raise RuntimeError("the change that decided the e-mail fails")
    assert (OutgoingEmail.objects.count(), mailoutbox) == (0, [])


def test_an_email_is_sent_once_its_transaction_commits(library, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = mailer.write(draft(library, reply_to="ill@ours.example.edu", html="<p>Hello</p>"))
    [sent] = mailoutbox
    assert (sent.to, sent.subject, sent.body, sent.reply_to) == (["reader@example.edu"], "Your request", "Hello",
                                                                  ["ill@ours.example.edu"])
    assert sent.alternatives[0][0] == "<p>Hello</p>"
    email.refresh_from_db()
    assert (email.status, email.attempts, email.handed_over_at is not None) == (EmailStatus.SENT, 1, True)


def test_a_second_email_with_the_same_key_is_refused_by_the_database(library):
    from django.db import IntegrityError

    mailer.write(draft(library))
    with pytest.raises(IntegrityError), transaction.atomic():
        mailer.write(draft(library))


class SecondWorkerTriesMeanwhile(LocmemBackend):
    """While the first worker hands an e-mail over, a second worker's task for the same e-mail runs."""

    email_id: int = 0
    answers: list[bool] = []

    def send_messages(self, messages):
        type(self).answers.append(mailer.send(type(self).email_id))
        return super().send_messages(messages)


def test_an_email_claimed_by_one_worker_is_not_sent_by_another(library, settings, monkeypatch):
    email = mailer.write(draft(library))
    monkeypatch.setattr(SecondWorkerTriesMeanwhile, "email_id", email.pk)
    monkeypatch.setattr(SecondWorkerTriesMeanwhile, "answers", [])
    settings.EMAIL_BACKEND = f"{__name__}.SecondWorkerTriesMeanwhile"
    assert mailer.send(email.pk) is True
    assert SecondWorkerTriesMeanwhile.answers == [False]
    assert len(mail.outbox) == 1
    assert mailer.send(email.pk) is False  # and a redelivered task afterwards sends nothing either
    assert len(mail.outbox) == 1


def test_a_refused_hand_over_leaves_the_email_pending_with_the_attempt_counted(library, refused_smtp):
    email = mailer.write(draft(library))
    before = timezone.now()
    assert mailer.send(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts, email.handed_over_at) == (EmailStatus.PENDING, 1, None)
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at >= before + mailer.backoff(1)


def test_an_email_is_not_tried_again_before_its_back_off(library, refused_smtp):
    email = mailer.write(draft(library))
    mailer.send(email.pk)
    assert mailer.send(email.pk) is False
    email.refresh_from_db()
    assert email.attempts == 1


def test_the_last_attempt_that_fails_marks_the_email_failed(library, refused_smtp, settings):
    settings.ILLMS_EMAIL_MAX_ATTEMPTS = 2
    email = mailer.write(draft(library))
    for _ in range(2):
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        mailer.send(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 2)
    assert email.last_error.startswith("Gave up after 2 attempts")


def test_the_sweep_gives_back_a_hand_over_stuck_past_the_lease_and_sends_it(library, mailoutbox, settings):
    settings.ILLMS_EMAIL_LEASE_SECONDS = 300
    email = mailer.write(draft(library))
    # A worker claimed it, then died before the mail server answered.
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, attempts=1,
                                                     claimed_at=timezone.now() - dt.timedelta(minutes=6))
    assert mailer.sweep() == {"released": 1, "failed": 0, "queued": 1}
    email.refresh_from_db()
    assert (email.status, email.attempts, len(mailoutbox)) == (EmailStatus.SENT, 2, 1)


def test_the_sweep_leaves_a_hand_over_within_its_lease_alone(library, mailoutbox, settings):
    settings.ILLMS_EMAIL_LEASE_SECONDS = 300
    email = mailer.write(draft(library))
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, attempts=1,
                                                     claimed_at=timezone.now() - dt.timedelta(minutes=4))
    assert mailer.sweep()["released"] == 0
    assert (OutgoingEmail.objects.get().status, mailoutbox) == (EmailStatus.SENDING, [])


def test_a_stuck_hand_over_that_used_its_attempts_is_failed_by_the_sweep(library, settings):
    settings.ILLMS_EMAIL_MAX_ATTEMPTS = 3
    email = mailer.write(draft(library))
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, attempts=3,
                                                     claimed_at=timezone.now() - dt.timedelta(hours=1))
    assert mailer.sweep()["failed"] == 1
    assert OutgoingEmail.objects.get().status == EmailStatus.FAILED


def test_the_sweep_sends_a_pending_email_whose_task_was_lost(library, mailoutbox):
    email = mailer.write(draft(library))  # its after-commit task never runs in this test
    assert mailer.sweep()["queued"] == 0  # just written: its own task may still come
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - dt.timedelta(minutes=11))
    assert mailer.sweep()["queued"] == 1
    assert len(mailoutbox) == 1


def test_the_sweep_queues_a_retry_as_soon_as_its_back_off_is_over(library, refused_smtp, mailoutbox, settings):
    email = mailer.write(draft(library))
    mailer.send(email.pk)  # refused: attempt 1, the next after the back-off
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mailer.sweep()["queued"] == 0
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert mailer.sweep()["queued"] == 1
    assert (OutgoingEmail.objects.get().status, len(mailoutbox)) == (EmailStatus.SENT, 1)


def test_an_email_whose_attachment_is_not_ready_waits_without_using_an_attempt(library, mailoutbox):
    files: dict[int, bytes] = {}
    mailer.register_attachment(mailer.AttachmentSource(
        kind="test-file", load=lambda pk: mailer.Attachment("f.txt", files[pk], "text/plain") if pk in files else None))
    email = mailer.write(draft(library, attachment_kind="test-file", attachment_id=7))
    assert mailer.send(email.pk) is False
    assert (OutgoingEmail.objects.get().attempts, mailoutbox) == (0, [])
    files[7] = b"ready"
    assert mailer.send(email.pk) is True
    assert mailoutbox[0].attachments == [("f.txt", "ready", "text/plain")]


def test_every_hand_over_of_one_email_carries_the_same_message_id(library, mailoutbox):
    email = mailer.write(draft(library))
    mailer.send(email.pk)
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.PENDING)  # as if the answer was lost
    mailer.send(email.pk)
    assert [m.extra_headers["Message-ID"] for m in mailoutbox] == [mailer.message_id(email)] * 2


def test_staff_find_failed_emails_in_the_admin_and_send_them_again(library, client, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    failed = mailer.write(draft(library, key="test:failed"))
    OutgoingEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.FAILED, attempts=8, last_error="refused")
    mailer.write(draft(library, key="test:pending"))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:requests_app_outgoingemail_changelist")
    listed = client.get(url + "?status=failed").context["cl"].result_list
    assert [e.pk for e in listed] == [failed.pk]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send_again", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, len(mailoutbox)) == (EmailStatus.SENT, 1, 1)


def test_an_ill_administrator_sees_only_their_librarys_failed_emails_and_sends_them_again(
        library, client, mailoutbox, django_capture_on_commit_callbacks):
    from requests_app import roles
    from tests.factories import StaffFactory

    ours = mailer.write(draft(library, key="test:ours"))
    theirs = mailer.write(draft(MemberLibraryFactory(), key="test:theirs"))
    OutgoingEmail.objects.update(status=EmailStatus.FAILED, attempts=8)
    client.force_login(StaffFactory(library=library, groups=[roles.ILL_ADMINISTRATOR], is_staff=True))
    url = reverse("admin:requests_app_outgoingemail_changelist")
    assert [e.pk for e in client.get(url + "?status=failed").context["cl"].result_list] == [ours.pk]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send_again", "_selected_action": [ours.pk, theirs.pk]})
    assert [OutgoingEmail.objects.get(pk=e.pk).status for e in (ours, theirs)] == [EmailStatus.SENT,
                                                                                   EmailStatus.FAILED]
    assert len(mailoutbox) == 1
