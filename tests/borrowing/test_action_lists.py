"""The borrowing desk's “needs action” lists: who is in each, in what order, counted how."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from borrowing.states import BorrowingStatus
from requests_app import action_lists, roles
from requests_app.models import IllRequest, LibraryPolicy, NcipCall, NcipCallStatus, Note, NoteVisibility, Role
from tests.factories import IllRequestFactory, MemberLibraryFactory, PatronProfileFactory, StaffFactory

pytestmark = pytest.mark.django_db

S = BorrowingStatus
TODAY = timezone.localdate()
NOW = timezone.now()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def unread_note(request: IllRequest) -> IllRequest:
    Note.objects.create(request=request, text="Can you take it back early?", author_library=request.partner,
                        visibility=NoteVisibility.PARTNER)
    return request


def read_note(request: IllRequest) -> IllRequest:
    Note.objects.create(request=request, text="Shipped today.", author_library=request.partner,
                        visibility=NoteVisibility.PARTNER, read_at=NOW)
    return request


def failed_ncip_call(request: IllRequest) -> IllRequest:
    NcipCall.objects.create(request=request, library=request.library, service="AcceptItem",
                            status=NcipCallStatus.FAILED, answer="the ILS refused: Duplicate Item")
    return request


def answered_ncip_call(request: IllRequest) -> IllRequest:
    NcipCall.objects.create(request=request, library=request.library, service="AcceptItem",
                            status=NcipCallStatus.DONE, answer="temporary item created")
    return request


#: list key → (fields of a request in it, fields of one that is not, the field that orders it, older, newer)
CASES = {
    "to_review": ({"status": S.SUBMITTED}, {"status": S.SOURCING}, "created_at", NOW - dt.timedelta(days=2), NOW),
    "to_route": ({"status": S.SOURCING}, {"status": S.SUBMITTED}, "status_changed_at",
                 NOW - dt.timedelta(days=2), NOW),
    "lender_silent": ({"status": S.SENT, "status_changed_at": NOW - dt.timedelta(days=3)},
                      {"status": S.SENT, "status_changed_at": NOW - dt.timedelta(days=1)}, "status_changed_at",
                      NOW - dt.timedelta(days=9), NOW - dt.timedelta(days=4)),
    "conditions": ({"status": S.CONDITIONAL}, {"status": S.EXPECTS_TO_SUPPLY}, "status_changed_at",
                   NOW - dt.timedelta(days=2), NOW),
    "copyright": ({"status": S.AWAITING_COPYRIGHT}, {"status": S.SOURCING}, "status_changed_at",
                  NOW - dt.timedelta(days=2), NOW),
    "received": ({"status": S.READY_FOR_PICKUP}, {"status": S.SHIPPED}, "status_changed_at",
                 NOW - dt.timedelta(days=2), NOW),
    "to_return": ({"status": S.RETURNED}, {"status": S.RETURN_SHIPPED}, "status_changed_at",
                  NOW - dt.timedelta(days=2), NOW),
    "due_soon": ({"status": S.CHECKED_OUT, "due_date": days(3)}, {"status": S.CHECKED_OUT, "due_date": days(20)},
                 "due_date", days(1), days(5)),
    "overdue": ({"status": S.CHECKED_OUT, "due_date": days(-2)}, {"status": S.CHECKED_OUT, "due_date": days(2)},
                "due_date", days(-9), days(-1)),
    "recalled": ({"status": S.RECALLED}, {"status": S.CHECKED_OUT}, "status_changed_at",
                 NOW - dt.timedelta(days=2), NOW),
    "purchases_ordered": ({"status": S.PURCHASE_ORDERED}, {"status": S.PURCHASE_RECEIVED}, "status_changed_at",
                          NOW - dt.timedelta(days=2), NOW),
    "purchases_received": ({"status": S.PURCHASE_CATALOGUED}, {"status": S.PURCHASE_ORDERED}, "status_changed_at",
                           NOW - dt.timedelta(days=2), NOW),
    "end_of_rota": ({"status": S.END_OF_ROTA}, {"status": S.SENT}, "status_changed_at",
                    NOW - dt.timedelta(days=2), NOW),
    "patron_stopped": ({"status": S.SENT, "_patron": {"blocked": True}}, {"status": S.SENT, "_patron": {}},
                       "status_changed_at", NOW - dt.timedelta(days=2), NOW),
    "ncip_failed": ({"status": S.SHIPPED, "_note": failed_ncip_call},
                    {"status": S.SHIPPED, "_note": answered_ncip_call}, "updated_at", NOW - dt.timedelta(days=2), NOW),
    "unread": ({"status": S.SHIPPED, "_note": unread_note}, {"status": S.SHIPPED, "_note": read_note}, "updated_at",
               NOW - dt.timedelta(days=2), NOW),
}


def make(library, fields: dict, **more) -> IllRequest:
    fields = {**fields, **more}
    note = fields.pop("_note", None)
    if "_patron" in fields:
        fields["patron"] = PatronProfileFactory(library=library, **fields.pop("_patron")).user
    stamps = {name: fields.pop(name) for name in ("created_at", "updated_at", "status_changed_at") if name in fields}
    request = IllRequestFactory(library=library, **fields)
    if note:
        note(request)
    if stamps:
        IllRequest.objects.filter(pk=request.pk).update(**stamps)  # updated_at is auto_now: written past save()
    return request


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(client, home):
    user = StaffFactory(library=home, groups=[roles.BORROWING_STAFF])
    client.force_login(user)
    return user


def listed(client, key: str) -> list[str]:
    response = client.get(reverse("borrowing_staff:queue"), {"needs": key})
    assert response.status_code == 200
    return [r.number for r in response.context["page"]]


@pytest.mark.parametrize("key", CASES)
def test_a_request_in_that_situation_is_in_the_list_and_one_not_in_it_is_not(client, staff, home, key):
    inside, outside, *_ = CASES[key]
    wanted = make(home, inside)
    make(home, outside)
    assert listed(client, key) == [wanted.number]


@pytest.mark.parametrize("key", CASES)
def test_each_list_puts_the_oldest_first(client, staff, home, key):
    inside, _, field, older, newer = CASES[key]
    newest = make(home, inside, **{field: newer})
    oldest = make(home, inside, **{field: older})
    assert listed(client, key) == [oldest.number, newest.number]


@pytest.mark.parametrize("key", CASES)
def test_another_librarys_requests_are_never_in_our_lists(client, staff, home, key):
    make(MemberLibraryFactory(), CASES[key][0])
    assert listed(client, key) == []
    assert {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}[key] == 0


def test_each_list_is_counted_on_the_desk_with_a_link_to_itself(client, staff, home):
    for inside, *_ in CASES.values():
        make(home, inside)
    needs = client.get(reverse("borrowing_staff:queue")).context["needs"]
    assert {row["key"]: row["count"] for row in needs} == dict.fromkeys(CASES, 1)
    assert next(row for row in needs if row["key"] == "overdue")["url"] == reverse("borrowing_staff:queue") \
        + "?needs=overdue"


def test_the_silent_lender_list_follows_the_librarys_policy(client, staff, home):
    LibraryPolicy.objects.create(library=home, lender_silent_days=5)
    make(home, {"status": S.SENT, "status_changed_at": NOW - dt.timedelta(days=3)})
    counts = {row["key"]: row for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert (counts["lender_silent"]["count"], counts["lender_silent"]["label"]) == (
        0, "No answer from the lender for 5 days")


def test_a_patron_whose_account_expired_has_their_open_requests_listed_for_staff(client, staff, home):
    wanted = make(home, {"status": S.CHECKED_OUT, "_patron": {"expires_on": days(-1)}})
    make(home, {"status": S.CHECKED_OUT, "_patron": {"expires_on": TODAY}})
    make(home, {"status": S.COMPLETED, "_patron": {"expires_on": days(-1)}})
    assert listed(client, "patron_stopped") == [wanted.number]


def test_a_finished_request_is_in_no_list(client, staff, home):
    make(home, {"status": S.COMPLETED, "due_date": days(-3)})
    assert listed(client, "overdue") == []


def test_an_unknown_list_shows_the_whole_queue(client, staff, home):
    mine = make(home, {"status": S.SENT})
    assert listed(client, "nonsense") == [mine.number]


def test_a_list_is_searched_within(client, staff, home):
    make(home, {"status": S.SUBMITTED, "title": "Moby-Dick"})
    make(home, {"status": S.SUBMITTED, "title": "Walden"})
    response = client.get(reverse("borrowing_staff:queue"), {"needs": "to_review", "q": "Walden"})
    assert [r.title for r in response.context["page"]] == ["Walden"]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/", "/borrowing/queue/", "/borrowing/queue/?needs=overdue"])
def test_the_lists_cost_the_same_queries_for_one_and_many_requests_in_each(client, staff, home, url):
    for inside, *_ in CASES.values():
        make(home, inside)
    few = count_queries(client, url)
    for inside, *_ in CASES.values():
        for _ in range(4):
            make(home, inside)
    assert count_queries(client, url) == few


def test_every_list_of_the_desk_is_counted_in_one_query_and_the_finished_requests_with_failed_calls_in_one_more(
        home):
    today = action_lists.today_for(home)
    with CaptureQueriesContext(connection) as queries:
        action_lists.counts(library=home, role=Role.BORROWING, today=today)
    assert len(queries) == 2


def test_a_completed_loan_whose_delete_item_failed_is_still_listed_for_staff(client, staff, home):
    finished = make(home, {"status": S.COMPLETED})
    NcipCall.objects.create(request=finished, library=home, service="DeleteItem", status=NcipCallStatus.FAILED,
                            answer="the ILS refused: Unknown Item")
    make(home, {"status": S.COMPLETED, "_note": answered_ncip_call})
    assert listed(client, "ncip_failed") == [finished.number]
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 1


def test_a_finished_request_with_a_failed_call_is_counted_once_with_the_open_ones(home):
    failed_ncip_call(make(home, {"status": S.CHECKED_OUT}))
    failed_ncip_call(failed_ncip_call(make(home, {"status": S.CANCELLED})))
    failed_ncip_call(make(MemberLibraryFactory(), {"status": S.COMPLETED}))
    counts = {row["key"]: row["count"] for row in action_lists.counts(library=home, role=Role.BORROWING)}
    assert counts["ncip_failed"] == 2


def test_a_finished_request_with_a_failed_call_is_in_no_other_list(client, staff, home):
    failed_ncip_call(make(home, {"status": S.COMPLETED, "due_date": days(-3)}))
    assert listed(client, "overdue") == []


def test_the_request_page_tells_staff_the_patron_is_blocked_or_expired(client, staff, home):
    blocked = make(home, {"status": S.SENT, "_patron": {"blocked": True, "blocked_reason": "Unpaid fines"}})
    expired = make(home, {"status": S.SENT, "_patron": {"expires_on": days(-3)}})
    fine = make(home, {"status": S.SENT, "_patron": {}})
    page = {r: client.get(reverse("borrowing_staff:request", args=[r.pk])).content.decode()
            for r in (blocked, expired, fine)}
    assert "Blocked</span> Unpaid fines" in page[blocked]
    assert "Account expired</span>" in page[expired]
    assert "Blocked</span>" not in page[fine] and "Account expired</span>" not in page[fine]
