"""A loan reaching the patron and coming back: due dates, renewals, recalls, returns, the scanner."""

from __future__ import annotations

import datetime as dt

import pytest

from borrowing.services import loans
from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import Event, IllRequest, OutboxMessage
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(home):
    return Actor.staff(StaffFactory(library=home))


def act(request: IllRequest, action: str, actor: Actor, capture, **data) -> IllRequest:
    with capture(execute=True):
        services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=actor, data=data)
    request.refresh_from_db()
    return request


def test_the_patron_due_date_is_the_lenders_minus_the_buffer(home, staff, settings,
                                                             django_capture_on_commit_callbacks):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 5
    lender = LibraryFactory()
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.SENT)
    act(request, "lender_shipped", Actor.partner(lender), django_capture_on_commit_callbacks, due_date="2027-02-20")
    act(request, "receive", staff, django_capture_on_commit_callbacks)
    act(request, "notify_patron", staff, django_capture_on_commit_callbacks)
    request = act(request, "check_out", staff, django_capture_on_commit_callbacks)
    assert (request.due_date, request.patron_due_date) == (dt.date(2027, 2, 20), dt.date(2027, 2, 15))


def test_asking_for_a_renewal_sends_an_iso18626_renew_to_the_lender(home, staff):
    lender = MemberLibraryFactory(symbol="LEND")
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT)
    services.perform(request=request, action="request_renewal", actor=staff)
    assert OutboxMessage.objects.get(request=request).summary == "Renew"


def test_a_granted_renewal_moves_both_due_dates_and_emails_the_patron(home, settings, mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 3
    lender = LibraryFactory()
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT,
                                due_date=dt.date(2027, 2, 1),
                                patron_due_date=dt.date(2027, 1, 29))
    request = act(request, "lender_renewal_answer", Actor.partner(lender), django_capture_on_commit_callbacks,
                  answer="Y", due_date="2027-03-01")
    assert (request.due_date, request.patron_due_date, request.renewal_count) == (
        dt.date(2027, 3, 1), dt.date(2027, 2, 26), 1)
    [mail] = mailoutbox
    assert mail.subject.startswith("Renewal granted")


def test_a_refused_renewal_keeps_the_due_date_and_tells_the_patron(home, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    lender = LibraryFactory()
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT,
                                due_date=dt.date(2027, 2, 1),
                                patron_due_date=dt.date(2027, 1, 29))
    request = act(request, "lender_renewal_answer", Actor.partner(lender), django_capture_on_commit_callbacks,
                  answer="N")
    assert (request.patron_due_date, request.renewal_count) == (dt.date(2027, 1, 29), 0)
    assert mailoutbox[0].subject.startswith("Renewal refused")


def test_a_renewal_past_the_limit_is_refused(home, staff, settings):
    settings.ILLMS_MAX_RENEWALS = 1
    request = IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT, renewal_count=1)
    assert "request_renewal" not in {t.action for t in services.available_actions(request=request, actor=staff)}


def test_a_recall_shortens_the_patrons_due_date_and_emails_them(home, settings, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 2
    lender = LibraryFactory()
    soon = dt.date.today() + dt.timedelta(days=10)
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT,
                                due_date=dt.date.today() + dt.timedelta(days=40),
                                patron_due_date=dt.date.today() + dt.timedelta(days=37))
    request = act(request, "lender_recalled", Actor.partner(lender), django_capture_on_commit_callbacks,
                  due_date=soon.isoformat())
    assert (request.status, request.patron_due_date) == (BorrowingStatus.RECALLED, soon - dt.timedelta(days=2))
    [mail] = mailoutbox
    assert mail.subject.startswith("Recalled")
    assert f"{request.patron_due_date:%Y}" in mail.body


def test_returning_and_shipping_back_completes_when_the_lender_checks_in(home, staff,
                                                                         django_capture_on_commit_callbacks):
    lender = LibraryFactory()
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT)
    act(request, "check_in", staff, django_capture_on_commit_callbacks)
    act(request, "return_ship", staff, django_capture_on_commit_callbacks)
    request = act(request, "lender_checked_in", Actor.partner(lender), django_capture_on_commit_callbacks)
    assert request.status == BorrowingStatus.COMPLETED


def test_scanning_a_request_barcode_in_receive_mode_receives_it_and_tells_the_patron(home, staff, mailoutbox,
                                                                                     django_capture_on_commit_callbacks):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SHIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = loans.scan(library=home, code=f" b{request.pk} ", mode="receive", actor=staff)
    request.refresh_from_db()
    assert (outcome.ok, request.status) == (True, BorrowingStatus.READY_FOR_PICKUP)
    assert len(mailoutbox) == 1


def test_scanning_in_check_out_mode_lends_the_item_to_the_patron(home, staff):
    request = IllRequestFactory(library=home, status=BorrowingStatus.READY_FOR_PICKUP)
    assert loans.scan(library=home, code=f"B{request.pk}", mode="check_out", actor=staff).ok
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CHECKED_OUT


def test_scanning_a_request_in_the_wrong_state_says_why_and_changes_nothing(home, staff):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    outcome = loans.scan(library=home, code=f"B{request.pk}", mode="check_in", actor=staff)
    request.refresh_from_db()
    assert (outcome.ok, request.status) == (False, BorrowingStatus.SUBMITTED)
    assert "not possible" in outcome.message


def test_scanning_another_librarys_request_finds_nothing(home, staff):
    other = IllRequestFactory(status=BorrowingStatus.SHIPPED)
    outcome = loans.scan(library=home, code=f"B{other.pk}", mode="receive", actor=staff)
    assert not outcome.ok


def test_a_bulk_action_reports_each_request_and_applies_the_possible_ones(home, staff):
    ready = IllRequestFactory(library=home, status=BorrowingStatus.RECEIVED)
    wrong = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    outcomes = loans.perform_bulk(library=home, request_ids=[ready.pk, wrong.pk], action="notify_patron",
                                  actor=staff)
    assert [o.ok for o in outcomes] == [True, False]
    assert Event.objects.filter(action="notify_patron").count() == 1


def test_request_numbers_are_read_from_what_a_scanner_types():
    assert [loans.parse_request_number(t) for t in ("B42", "b0042", "42", "L42", "B4x2", "")] == [
        42, 42, 42, None, None, None]
