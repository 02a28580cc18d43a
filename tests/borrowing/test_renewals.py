"""A patron's renewal in plain sight: asked and waiting for the lender (no second ask), then granted until the new
due date or refused with the lender's reason, counted against the library's limit, on the patron's page and the
borrowing desk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import Event, IllRequest, OutboxMessage
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, MemberLibraryFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


@pytest.fixture
def loan(patron):
    return IllRequestFactory(patron=patron, library=patron.patron_profile.library,
                             partner=MemberLibraryFactory(symbol="LEND"),
                             status=BorrowingStatus.CHECKED_OUT, due_date=dt.date(2027, 2, 1),
                             patron_due_date=dt.date(2027, 1, 29))


def ask(client, loan):
    return client.post(reverse("patron-request-action", args=[loan.pk, "request_renewal"]),
                       {"expected_status": loan.status}, follow=True)


def answer(loan, capture, **data) -> IllRequest:
    with capture(execute=True):
        services.perform(request=IllRequest.objects.get(pk=loan.pk), action="lender_renewal_answer",
                         actor=Actor.partner(loan.partner), data=data, note=data.pop("note", ""))
    return IllRequest.objects.get(pk=loan.pk)


def page(client, loan) -> str:
    return client.get(reverse("patron-request", args=[loan.pk])).content.decode()


def test_asking_for_a_renewal_flags_the_loan_and_sends_the_lender_a_renew(client, loan):
    ask(client, loan)
    loan.refresh_from_db()
    assert loan.renewal_requested_at is not None
    assert OutboxMessage.objects.get(request=loan).summary == "Renew"


def test_while_the_lender_has_not_answered_the_page_says_so_and_offers_no_renew_button(client, loan):
    ask(client, loan)
    response = client.get(reverse("patron-request", args=[loan.pk]))
    assert "request_renewal" not in {t.action for t in response.context["actions"]}
    text = response.content.decode()
    assert "waiting for the lender" in text
    assert "Ask for renewal</button>" not in text


def test_a_second_ask_before_the_answer_is_refused_with_a_reason_and_sends_nothing(client, loan):
    ask(client, loan)
    response = ask(client, loan)
    assert "A renewal was already asked on" in response.content.decode()
    assert "the lender has not answered yet" in response.content.decode()
    assert OutboxMessage.objects.filter(request=loan).count() == 1
    assert Event.objects.filter(request=loan, action="request_renewal").count() == 1


def test_staff_cannot_ask_again_either_while_one_waits(loan):
    staff = Actor.staff(StaffFactory(library=loan.library))
    services.perform(request=loan, action="request_renewal", actor=staff)
    with pytest.raises(WorkflowError) as refused:
        services.perform(request=IllRequest.objects.get(pk=loan.pk), action="request_renewal", actor=staff)
    assert refused.value.code == "guard_failed"


def test_the_lenders_answer_clears_the_flag_and_the_button_comes_back(client, loan,
                                                                      django_capture_on_commit_callbacks):
    ask(client, loan)
    loan = answer(loan, django_capture_on_commit_callbacks, answer="Y", due_date="2027-03-01")
    assert loan.renewal_requested_at is None
    response = client.get(reverse("patron-request", args=[loan.pk]))
    assert "request_renewal" in {t.action for t in response.context["actions"]}


def test_a_granted_renewal_reads_granted_until_the_new_due_date(client, loan, django_capture_on_commit_callbacks):
    ask(client, loan)
    answer(loan, django_capture_on_commit_callbacks, answer="Y", due_date="2027-03-01")
    text = page(client, loan)
    assert "Renewal granted until" in text and "03/01/2027" in text
    assert "waiting for the lender" not in text


def test_a_refused_renewal_reads_refused_with_the_lenders_reason(client, loan, django_capture_on_commit_callbacks):
    ask(client, loan)
    answer(loan, django_capture_on_commit_callbacks, answer="N", note="Another reader is waiting for it.")
    text = page(client, loan)
    assert "Renewal refused" in text
    assert "Another reader is waiting for it." in text


def test_the_page_counts_renewals_against_the_librarys_limit(client, loan, settings,
                                                             django_capture_on_commit_callbacks):
    settings.ILLMS_MAX_RENEWALS = 2
    ask(client, loan)
    answer(loan, django_capture_on_commit_callbacks, answer="Y", due_date="2027-03-01")
    assert "Renewed 1 of 2 times: 1 more may be asked." in page(client, loan)


def test_at_the_limit_the_page_says_so_and_offers_no_renewal(client, loan, settings):
    settings.ILLMS_MAX_RENEWALS = 1
    IllRequest.objects.filter(pk=loan.pk).update(renewal_count=1)
    response = client.get(reverse("patron-request", args=[loan.pk]))
    assert "Renewed 1 of 1 time: the limit is reached." in response.content.decode()
    assert not response.context["actions"]


def test_a_request_not_on_loan_shows_no_renewal_panel(client, patron):
    request = IllRequestFactory(patron=patron, library=patron.patron_profile.library, status=BorrowingStatus.SENT)
    assert 'id="renewal"' not in page(client, request)


def test_the_borrowing_desk_shows_the_renewal_waiting_and_offers_no_second_ask(client, loan):
    ask(client, loan)
    client.force_login(StaffFactory(library=loan.library))
    response = client.get(reverse("borrowing_staff:request", args=[loan.pk]))
    assert "waiting for the lender" in response.content.decode()
    assert "request_renewal" not in {a["transition"].action for a in response.context["actions"]}


def test_the_borrowing_desk_shows_the_lenders_answer(client, loan, django_capture_on_commit_callbacks):
    ask(client, loan)
    answer(loan, django_capture_on_commit_callbacks, answer="N", note="Course reserve.")
    client.force_login(StaffFactory(library=loan.library))
    text = client.get(reverse("borrowing_staff:request", args=[loan.pk])).content.decode()
    assert "Renewal refused" in text
    assert "The lender writes: Course reserve." in text
    assert "Lender answered renewal</strong>: refused" in text
