"""E-mails to patrons when something happens to their loan."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest

from borrowing.services import notifications
from requests_app import services
from requests_app.models import IllRequest
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, StaffFactory

pytestmark = pytest.mark.django_db


def act(request: IllRequest, action: str, actor: Actor, capture, **kwargs) -> IllRequest:
    with capture(execute=True):
        services.perform(request=request, action=action, actor=actor, **kwargs)
    request.refresh_from_db()
    return request


def test_notifying_the_patron_sends_a_ready_for_pickup_email(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status="received", title="Moby-Dick")
    act(request, "notify_patron", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert mail.to == [request.patron.email]
    assert mail.subject == "Ready for pickup: Moby-Dick"
    assert "Moby-Dick" in mail.alternatives[0][0]


def test_the_email_is_sent_only_after_the_transaction_commits(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status="received")
    with django_capture_on_commit_callbacks(execute=False):
        services.perform(request=request, action="notify_patron", actor=Actor.staff(StaffFactory(
            library=request.library)))
    assert mailoutbox == []


def test_a_patron_who_turned_email_off_gets_none(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status="received")
    request.patron.patron_profile.__class__.objects.filter(user=request.patron).update(notify_by_email=False)
    act(request, "notify_patron", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_owned_locally_cancel_tells_the_patron_the_reason(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status="submitted")
    act(request, "cancel_owned_locally", Actor.staff(StaffFactory(library=request.library)),
        django_capture_on_commit_callbacks, note="On the shelf at QA76.9 in the main library.")
    [mail] = mailoutbox
    assert mail.subject.startswith("Cancelled:")
    assert "QA76.9" in mail.body


def test_a_patron_who_cancels_their_own_request_gets_no_email(mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status="submitted")
    act(request, "cancel", Actor.patron(request.patron), django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_a_failing_mail_server_is_retried(monkeypatch, mailoutbox):
    from borrowing.tasks import send_patron_email

    request = IllRequestFactory(status="ready_for_pickup")
    calls = []

    def flaky(kind, **kwargs):
        calls.append(kind)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("gone")
        return True

    monkeypatch.setattr(notifications, "send", flaky)
    monkeypatch.setattr(send_patron_email, "max_retries", 3)
    send_patron_email.apply(args=("ready-for-pickup", request.pk), throw=False)
    assert calls == ["ready-for-pickup", "ready-for-pickup"]


def test_every_kind_of_email_renders_a_subject_a_text_and_an_html_body(mailoutbox):
    request = IllRequestFactory(status="checked_out", patron_due_date=dt.date(2027, 1, 10))
    for kind in notifications.KINDS:
        notifications.SENDERS[kind](request, "reader@example.edu")
    assert len(mailoutbox) == len(notifications.KINDS)
    assert all(m.subject and m.body and m.alternatives for m in mailoutbox)


def test_the_email_links_to_the_patrons_request_page_when_the_site_address_is_known(mailoutbox, settings):
    settings.ILLMS_SITE_URL = "https://ill.example.edu"
    request = IllRequestFactory(status="ready_for_pickup")
    notifications.send(notifications.READY_FOR_PICKUP, request_id=request.pk)
    assert f"https://ill.example.edu/requests/{request.pk}/" in mailoutbox[0].body


def test_a_copy_delivered_by_the_lender_sends_the_patron_its_download_link(mailoutbox,
                                                                           django_capture_on_commit_callbacks):
    request = IllRequestFactory(status="sent", format="article")
    act(request, "lender_delivered_copy", Actor.partner(request.partner), django_capture_on_commit_callbacks,
        data={"url": "https://lender.example/ae/abc123"})
    [mail] = mailoutbox
    assert mail.subject.startswith("Your copy is ready")
    assert "https://lender.example/ae/abc123" in mail.body
