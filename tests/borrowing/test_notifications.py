"""E-mails to patrons when something happens to their loan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from borrowing.services import notifications
from borrowing.states import BorrowingStatus
from requests_app import mailer, services
from requests_app.messaging import write_note
from requests_app.models import EmailStatus, IllRequest, NoteVisibility, OutgoingEmail
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, StaffFactory

pytestmark = pytest.mark.django_db


def act(request: IllRequest, action: str, actor: Actor, capture, **kwargs) -> IllRequest:
    with capture(execute=True):
        services.perform(request=request, action=action, actor=actor, **kwargs)
    request.refresh_from_db()
    return request


def test_notifying_the_patron_sends_a_ready_for_pickup_email(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED, title="Moby-Dick")
    act(request, "notify_patron", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert mail.to == [request.patron.email]
    assert mail.subject == "Ready for pickup: Moby-Dick"
    assert "Moby-Dick" in mail.alternatives[0][0]


def test_the_email_is_sent_only_after_the_transaction_commits(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED)
    with django_capture_on_commit_callbacks(execute=False):
        services.perform(request=request, action="notify_patron", actor=Actor.staff(StaffFactory(
            library=request.library)))
    assert mailoutbox == []
    assert OutgoingEmail.objects.get(request=request).status == EmailStatus.PENDING


def test_the_patrons_email_is_written_with_the_event_and_marked_when_handed_over(
        mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED, title="Moby-Dick")
    act(request, "notify_patron", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks)
    event = request.events.get(action="notify_patron")
    email = OutgoingEmail.objects.get()
    assert (email.key, email.kind, email.recipient) == (f"event:{event.pk}:ready-for-pickup", "ready-for-pickup",
                                                        request.patron.email)
    assert (email.status, email.attempts, email.handed_over_at is not None) == (EmailStatus.SENT, 1, True)
    assert mailoutbox[0].extra_headers["Message-ID"] == mailer.message_id(email)


def test_an_action_rolled_back_writes_no_email_and_sends_none(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.perform(request=request, action="notify_patron",
                         actor=Actor.staff(StaffFactory(library=request.library)))
        raise RuntimeError("the desk's transaction fails after the action")
    assert not OutgoingEmail.objects.exists()
    assert mailoutbox == []


def test_a_staff_note_to_the_patron_is_written_with_the_note_and_sent(mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        note = write_note(request=request, text="Your book arrives next week.", visibility=NoteVisibility.PATRON,
                          author=StaffFactory(library=request.library))
    assert OutgoingEmail.objects.get().key == f"note:{note.pk}"
    [mail] = mailoutbox
    assert "Your book arrives next week." in mail.body


def test_a_patron_who_turned_email_off_gets_none(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED)
    request.patron.patron_profile.__class__.objects.filter(user=request.patron).update(notify_by_email=False)
    act(request, "notify_patron", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks)
    assert mailoutbox == []
    assert not OutgoingEmail.objects.exists()


def test_owned_locally_cancel_tells_the_patron_the_reason(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    act(request, "cancel_owned_locally", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks, note="On the shelf at QA76.9 in the main library.")
    [mail] = mailoutbox
    assert mail.subject.startswith("Cancelled:")
    assert "QA76.9" in mail.body


def test_a_patron_who_cancels_their_own_request_gets_no_email(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    act(request, "cancel", Actor.patron(request.patron), django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_every_kind_of_email_renders_a_subject_a_text_and_an_html_body():
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2027, 1, 10))
    rendered = [notifications.render_for(kind, request) for kind in notifications.KINDS]
    assert len(rendered) == len(notifications.KINDS)
    assert all(m.subject and m.text and m.html for m in rendered)


def test_the_email_links_to_the_patrons_request_page_when_the_site_address_is_known(settings):
    settings.ILLMS_SITE_URL = "https://ill.example.edu"
    request = IllRequestFactory(status=BorrowingStatus.READY_FOR_PICKUP)
    draft = notifications.draft(notifications.READY_FOR_PICKUP, request, key="test")
    assert f"https://ill.example.edu/requests/{request.pk}/" in draft.text


def test_a_copy_delivered_by_the_lender_sends_the_patron_its_download_link(mailoutbox,
                                                                           django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.SENT, format="article")
    act(request, "lender_delivered_copy", Actor.partner(request.partner), django_capture_on_commit_callbacks,
        data={"url": "https://lender.example/ae/abc123"})
    [mail] = mailoutbox
    assert mail.subject.startswith("Your copy is ready")
    assert "https://lender.example/ae/abc123" in mail.body
