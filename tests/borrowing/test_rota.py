"""The rota: who is asked, in which order, and moving on when a lender cannot supply."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from borrowing.models import RotaEntry, RotaStatus
from borrowing.services import rota
from borrowing.states import BorrowingStatus
from borrowing.tasks import advance_silent_lenders
from requests_app import services
from requests_app.models import Event, IllRequest, Library, OutboxMessage, RequestFormat, ServiceType
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", reciprocal_groups="STATENET")


def sourcing(home, **fields) -> IllRequest:
    fields.setdefault("partner", None)
    return IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, **fields)


def history(home: Library, lender: Library, *, filled: int = 0, unfilled: int = 0, days: int = 2) -> None:
    """Past borrowing requests answered by ``lender``: sent, then shipped ``days`` later or unfilled."""
    start = timezone.now() - dt.timedelta(days=60)
    for i in range(filled + unfilled):
        past = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.COMPLETED)
        Event.objects.create(request=past, action="send_to_lender", actor_kind="staff", created_at=start)
        Event.objects.create(request=past, action="lender_shipped" if i < filled else "lender_unfilled",
                             actor_kind="partner", actor_library=lender,
                             created_at=start + dt.timedelta(days=days))


def symbols(entries) -> list[str]:
    return [e.lender.symbol for e in entries]


def test_the_rota_lists_reciprocal_partners_before_all_others(home):
    LibraryFactory(symbol="AAA")
    LibraryFactory(symbol="ZZZ", reciprocal_groups="statenet")
    assert symbols(rota.build_rota(request=sourcing(home))) == ["ZZZ", "AAA"]


def test_the_rota_ranks_lenders_by_past_fill_rate(home):
    good, poor = LibraryFactory(symbol="GOOD"), LibraryFactory(symbol="POOR")
    history(home, good, filled=4, unfilled=1)
    history(home, poor, filled=1, unfilled=4)
    assert symbols(rota.build_rota(request=sourcing(home))) == ["GOOD", "POOR"]


def test_with_equal_fill_rates_the_faster_lender_comes_first(home):
    slow, fast = LibraryFactory(symbol="SLOW"), LibraryFactory(symbol="FAST")
    history(home, slow, filled=2, days=9)
    history(home, fast, filled=2, days=1)
    assert symbols(rota.build_rota(request=sourcing(home))) == ["FAST", "SLOW"]


def test_turnaround_is_the_median_so_one_very_late_shipment_does_not_sink_a_fast_lender(home):
    usually_fast, steady = LibraryFactory(symbol="USUALLYFAST"), LibraryFactory(symbol="STEADY")
    history(home, usually_fast, filled=2, days=1)
    history(home, usually_fast, filled=1, days=30)  # average 10.7 days, median 1 day
    history(home, steady, filled=3, days=3)
    assert symbols(rota.build_rota(request=sourcing(home))) == ["USUALLYFAST", "STEADY"]


def test_a_lender_charging_more_than_the_patrons_maximum_is_left_out(home):
    LibraryFactory(symbol="CHEAP", loan_fee=Decimal("10"))
    LibraryFactory(symbol="DEAR", loan_fee=Decimal("25"))
    assert symbols(rota.build_rota(request=sourcing(home, max_cost=Decimal("15")))) == ["CHEAP"]


def test_a_copy_request_is_routed_by_copy_fee_to_lenders_that_send_copies(home):
    LibraryFactory(symbol="NOCOPY", lends_copies=False)
    LibraryFactory(symbol="DEARCOPY", copy_fee=Decimal("30"), loan_fee=Decimal("0"))
    LibraryFactory(symbol="COPIES", copy_fee=Decimal("5"), loan_fee=Decimal("50"))
    request = sourcing(home, format=RequestFormat.ARTICLE, service_type=ServiceType.COPY, max_cost=Decimal("10"))
    assert symbols(rota.build_rota(request=request)) == ["COPIES"]


def test_inactive_libraries_and_our_own_library_are_never_in_the_rota(home):
    LibraryFactory(symbol="ASLEEP", active=False)
    LibraryFactory(symbol="NOLOANS", lends_loans=False)
    LibraryFactory(symbol="AWAKE")
    assert symbols(rota.build_rota(request=sourcing(home))) == ["AWAKE"]


def test_building_the_rota_takes_the_same_number_of_queries_for_three_lenders_as_for_thirty(home):
    for i in range(3):
        history(home, LibraryFactory(symbol=f"F{i}"), filled=1, unfilled=1)
    with CaptureQueriesContext(connection) as few:
        rota.build_rota(request=sourcing(home))
    for i in range(27):
        history(home, LibraryFactory(symbol=f"G{i}"), filled=1)
    with CaptureQueriesContext(connection) as many:
        rota.build_rota(request=sourcing(home), limit=40)
    assert len(many) == len(few)


def test_sending_to_the_next_lender_sets_the_partner_and_writes_the_iso18626_request(home):
    LibraryFactory(symbol="FIRST", reciprocal_groups="STATENET", iso18626_endpoint="https://first.example/iso")
    LibraryFactory(symbol="SECOND")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "FIRST")
    assert OutboxMessage.objects.get(request=request).summary == "request"
    assert RotaEntry.objects.get(request=request, lender__symbol="FIRST").status == RotaStatus.SENT


def test_an_unfilled_answer_sends_the_request_to_the_next_lender(home, django_capture_on_commit_callbacks):
    first = LibraryFactory(symbol="FIRST", reciprocal_groups="STATENET")
    LibraryFactory(symbol="SECOND")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=IllRequest.objects.get(pk=request.pk), action="lender_unfilled",
                         actor=Actor.partner(first), data={"reason_unfilled": "NotHeld"})
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "SECOND")
    entry = RotaEntry.objects.get(request=request, lender=first)
    assert (entry.status, entry.reason) == (RotaStatus.UNFILLED, "NotHeld")


def test_refusing_a_lenders_conditions_moves_on_to_the_next_lender(home, django_capture_on_commit_callbacks):
    LibraryFactory(symbol="FIRST", reciprocal_groups="STATENET")
    LibraryFactory(symbol="SECOND")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    IllRequest.objects.filter(pk=request.pk).update(status=BorrowingStatus.CONDITIONAL)
    staff = StaffFactory(library=home)
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=IllRequest.objects.get(pk=request.pk), action="reject_conditions",
                         actor=Actor.staff(staff))
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "SECOND")


def test_the_last_unfilled_answer_lands_the_request_at_end_of_rota(home, django_capture_on_commit_callbacks):
    only = LibraryFactory(symbol="ONLY")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=IllRequest.objects.get(pk=request.pk), action="lender_unfilled",
                         actor=Actor.partner(only))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.END_OF_ROTA


def test_an_unfilled_answer_on_a_request_without_a_rota_waits_for_staff(home, django_capture_on_commit_callbacks):
    lender = LibraryFactory(symbol="BYHAND")
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=request, action="lender_unfilled", actor=Actor.partner(lender))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SOURCING


def test_advancing_the_rota_twice_sends_to_the_next_lender_once(home):
    LibraryFactory(symbol="FIRST", reciprocal_groups="STATENET")
    LibraryFactory(symbol="SECOND")
    LibraryFactory(symbol="THIRD")
    request = sourcing(home)
    rota.build_rota(request=request)
    RotaEntry.objects.filter(request=request, lender__symbol="FIRST").update(status=RotaStatus.UNFILLED)
    rota.advance_rota(request_id=request.pk)
    assert rota.advance_rota(request_id=request.pk) is None
    request.refresh_from_db()
    assert request.partner.symbol == "SECOND"
    assert Event.objects.filter(request=request, action="send_to_lender").count() == 1


def test_a_lender_silent_past_the_limit_is_skipped_as_no_answer(home, settings,
                                                                django_capture_on_commit_callbacks):
    settings.ILLMS_ROTA_AUTO_ADVANCE_DAYS = 3
    LibraryFactory(symbol="SILENT", reciprocal_groups="STATENET")
    LibraryFactory(symbol="NEXT")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    later = timezone.now() + dt.timedelta(days=3, hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert advance_silent_lenders(now=later.isoformat()) == 1
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "NEXT")
    assert RotaEntry.objects.get(request=request, lender__symbol="SILENT").status == RotaStatus.NO_ANSWER
    assert Event.objects.get(request=request, action="lender_unfilled").note == "No answer in 3 days"


def test_a_lender_within_the_answer_limit_is_left_alone(home, settings):
    settings.ILLMS_ROTA_AUTO_ADVANCE_DAYS = 3
    LibraryFactory(symbol="PATIENT")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    assert advance_silent_lenders(now=(timezone.now() + dt.timedelta(days=2)).isoformat()) == 0


def test_running_the_auto_advance_job_twice_skips_a_silent_lender_once(home, django_capture_on_commit_callbacks):
    LibraryFactory(symbol="SILENT", reciprocal_groups="STATENET")
    LibraryFactory(symbol="NEXT")
    request = sourcing(home)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    later = (timezone.now() + dt.timedelta(days=4)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        advance_silent_lenders(now=later)
        assert advance_silent_lenders(now=later) == 0
    assert Event.objects.filter(request=request, action="lender_unfilled").count() == 1


def test_staff_can_move_a_waiting_lender_up_the_rota(home):
    for symbol in ("AAA", "BBB", "CCC"):
        LibraryFactory(symbol=symbol)
    request = sourcing(home)
    entries = rota.build_rota(request=request)
    assert symbols(rota.move_entry(request=request, entry_id=entries[2].pk, up=True)) == ["AAA", "CCC", "BBB"]


def test_staff_can_put_the_waiting_lenders_in_a_new_order(home):
    for symbol in ("AAA", "BBB", "CCC"):
        LibraryFactory(symbol=symbol)
    request = sourcing(home)
    a, b, c = rota.build_rota(request=request)
    assert symbols(rota.reorder_rota(request=request, entry_ids=[c.pk, a.pk, b.pk])) == ["CCC", "AAA", "BBB"]


def test_a_new_order_that_misses_a_waiting_lender_is_refused_as_a_conflict(home):
    for symbol in ("AAA", "BBB"):
        LibraryFactory(symbol=symbol)
    request = sourcing(home)
    a, _b = rota.build_rota(request=request)
    with pytest.raises(WorkflowError) as refused:
        rota.reorder_rota(request=request, entry_ids=[a.pk])
    assert refused.value.code == "conflict"
    assert symbols(rota.rota_of(request)) == ["AAA", "BBB"]


def test_staff_can_remove_a_waiting_lender_and_add_another(home):
    LibraryFactory(symbol="AAA")
    extra = LibraryFactory(symbol="DEAR", loan_fee=Decimal("99"))
    request = sourcing(home, max_cost=Decimal("5"))
    entries = rota.build_rota(request=request)
    rota.remove_entry(request=request, entry_id=entries[0].pk)
    rota.add_lender(request=request, lender=extra)
    assert symbols(rota.rota_of(request)) == ["DEAR"]


def test_verifying_a_request_builds_its_rota(home, django_capture_on_commit_callbacks):
    LibraryFactory(symbol="AAA")
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=request, action="verify", actor=Actor.staff(StaffFactory(library=home)))
    assert symbols(rota.rota_of(request)) == ["AAA"]


def test_a_late_answer_from_a_lender_that_was_skipped_is_refused(home, django_capture_on_commit_callbacks):
    from requests_app.iso18626 import messages as m
    from requests_app.partners.handler import handle
    from requests_app.partners.outgoing import agency_id

    silent = LibraryFactory(symbol="SILENT", reciprocal_groups="STATENET")
    LibraryFactory(symbol="NEXT")
    request = sourcing(home, requesting_agency_request_id="HOME-9")
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    with django_capture_on_commit_callbacks(execute=True):
        advance_silent_lenders(now=(timezone.now() + dt.timedelta(days=4)).isoformat())
    late = m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(
            supplying_agency_id=agency_id(silent), requesting_agency_id=agency_id(home),
            timestamp=timezone.now(), requesting_agency_request_id="HOME-9"),
        message_info=m.MessageInfo(reason_for_message=m.ReasonForMessage.REQUEST_RESPONSE),
        status_info=m.StatusInfo(status=m.Status.LOANED, last_change=timezone.now()),
    )
    confirmation = handle(late, sender=silent)
    request.refresh_from_db()
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "NEXT")
