"""The lender's side of a renewal: a borrower's Renew flags our loan, the desk offers “Answer renewal” only then and
with no answer chosen for the clerk, and the answer clears the flag and reads granted until DATE or refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.services import answers
from lending.states import LendingStatus
from requests_app.models import IllRequest, OutboxMessage
from requests_app.services import available_actions, perform
from requests_app.workflow import Actor, WorkflowError
from tests.lending.factories import IncomingRequestFactory

pytestmark = pytest.mark.django_db


def on_loan(library, **fields) -> IllRequest:
    return IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1),
                                  **fields)


def asked(library) -> IllRequest:
    return on_loan(library, renewal_requested_at=timezone.now() - dt.timedelta(days=1))


def page(client, request):
    return client.get(reverse("lending:request", args=[request.pk]))


def test_the_borrowers_renew_flags_our_loan_for_an_answer(library, django_capture_on_commit_callbacks):
    request = on_loan(library)
    with django_capture_on_commit_callbacks(execute=True):
        perform(request=request, action="borrower_renewal_request", actor=Actor.partner(request.partner))
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None


def test_a_repeated_renew_keeps_the_day_it_was_first_asked(library):
    request = asked(library)
    first = request.renewal_requested_at
    perform(request=request, action="borrower_renewal_request", actor=Actor.partner(request.partner))
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at == first


def test_no_answer_renewal_form_on_a_loan_nobody_asked_to_renew(staff_client, library):
    request = on_loan(library)
    response = page(staff_client, request)
    assert "answer_renewal" not in {a["transition"].action for a in response.context["actions"]}
    assert 'data-action="answer_renewal"' not in response.content.decode()


def test_answering_a_renewal_nobody_asked_is_refused_and_tells_the_borrower_nothing(staff, library):
    request = on_loan(library)
    with pytest.raises(WorkflowError) as refused:
        answers.answer_renewal(request=request, actor=Actor.staff(staff), grant=True)
    assert refused.value.message == "The borrower has not asked to renew this loan."
    assert not OutboxMessage.objects.filter(request=request).exists()


def test_a_posted_answer_to_no_renewal_says_why_on_the_page(staff_client, library):
    request = on_loan(library)
    response = staff_client.post(reverse("lending:action", args=[request.pk, "answer_renewal"]),
                                 {"expected_status": request.status, "answer_renewal-answer": "Y"}, follow=True)
    assert "The borrower has not asked to renew this loan." in response.content.decode()
    assert IllRequest.objects.get(pk=request.pk).renewal_count == 0


def test_an_asked_renewal_is_the_first_action_open_with_neither_grant_nor_refuse_chosen(staff_client, library):
    request = asked(library)
    response = page(staff_client, request)
    first = response.context["actions"][0]
    assert first["transition"].action == "answer_renewal"
    text = response.content.decode()
    assert "Renewal asked on" in text and "waiting for our answer" in text
    form = text[text.index('data-action="answer_renewal"'):]
    form = form[:form.index("</form>")]
    assert 'type="radio"' in form
    assert "checked" not in form


def test_the_answer_form_asks_the_clerk_to_choose(staff_client, library):
    request = asked(library)
    response = staff_client.post(reverse("lending:action", args=[request.pk, "answer_renewal"]),
                                 {"expected_status": request.status})
    assert response.status_code == 400
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None


def test_granting_clears_the_flag_and_takes_the_new_due_date(staff_client, library):
    request = asked(library)
    staff_client.post(reverse("lending:action", args=[request.pk, "answer_renewal"]),
                      {"expected_status": request.status, "answer_renewal-answer": "Y",
                       "answer_renewal-due_date": "2027-04-01"})
    request.refresh_from_db()
    assert (request.renewal_requested_at, request.due_date, request.renewal_count) == (None, dt.date(2027, 4, 1), 1)
    assert OutboxMessage.objects.get(request=request).payload["message_info"]["answer_yes_no"] == "Y"


def test_after_the_answer_the_page_and_history_say_granted_until_the_new_date(staff_client, staff, library):
    request = asked(library)
    answers.answer_renewal(request=request, actor=Actor.staff(staff), grant=True, due_date=dt.date(2027, 4, 1))
    response = page(staff_client, request)
    text = response.content.decode()
    assert "Renewal granted until" in text
    assert "Answer renewal</strong>: granted until 04/01/2027" in text
    assert "answer_renewal" not in {a["transition"].action for a in response.context["actions"]}


def test_a_refusal_reads_refused_with_our_reason(staff_client, staff, library):
    request = asked(library)
    answers.answer_renewal(request=request, actor=Actor.staff(staff), grant=False, note="Needed for a course.")
    text = page(staff_client, request).content.decode()
    assert "Renewal refused" in text
    assert "Answer renewal</strong>: refused" in text
    assert "Our note: Needed for a course." in text


def test_the_answer_is_offered_only_while_a_renewal_waits(staff, library):
    request = asked(library)
    actor = Actor.staff(staff)
    assert "answer_renewal" in {t.action for t in available_actions(request=request, actor=actor)}
    answers.answer_renewal(request=request, actor=actor, grant=False)
    request = IllRequest.objects.get(pk=request.pk)
    assert "answer_renewal" not in {t.action for t in available_actions(request=request, actor=actor)}


def test_the_queue_marks_the_loans_with_a_renewal_asked(staff_client, library):
    asked(library)
    on_loan(library)
    text = staff_client.get("/lending/", {"needs": "renewals"}).content.decode()
    assert text.count("Renewal asked</span>") == 1
