"""The lending desk's “needs action” lists: who is in each, in what order, counted how."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.states import LendingStatus
from requests_app import action_lists
from requests_app.models import IllRequest, NcipCall, NcipCallStatus, Note, NoteVisibility, Role
from tests.factories import MemberLibraryFactory
from tests.lending.factories import IncomingRequestFactory

pytestmark = pytest.mark.django_db

S = LendingStatus
TODAY = timezone.localdate()
NOW = timezone.now()
AGO = NOW - dt.timedelta(days=2)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)




def unread_note(request: IllRequest) -> None:
    Note.objects.create(request=request, text="Please confirm the due date.", author_library=request.partner,
                        visibility=NoteVisibility.PARTNER)


def failed_ncip_call(request: IllRequest) -> None:
    NcipCall.objects.create(request=request, library=request.library, service="RequestItem",
                            status=NcipCallStatus.FAILED, answer="the ILS refused: Unknown Item")


#: list key → (fields of a request in it, fields of one that is not, the field that orders it, older, newer)
CASES = {
    "to_answer": ({"status": S.NEW}, {"status": S.AWAITING_PICKING}, "created_at", AGO, NOW),
    "renewals": ({"status": S.SHIPPED, "renewal_requested_at": AGO}, {"status": S.SHIPPED}, "renewal_requested_at",
                 AGO, NOW),
    "to_pull": ({"status": S.AWAITING_PICKING}, {"status": S.NEW}, "status_changed_at", AGO, NOW),
    "to_ship": ({"status": S.AWAITING_SHIPPING}, {"status": S.SHIPPED}, "status_changed_at", AGO, NOW),
    "conditions": ({"status": S.CONDITIONAL}, {"status": S.AWAITING_SHIPPING}, "status_changed_at", AGO, NOW),
    "due_soon": ({"status": S.SHIPPED, "due_date": days(2)}, {"status": S.SHIPPED, "due_date": days(30)},
                 "due_date", days(1), days(6)),
    "overdue": ({"status": S.OVERDUE, "due_date": days(-3)}, {"status": S.SHIPPED, "due_date": days(3)},
                "due_date", days(-10), days(-1)),
    "recalled": ({"status": S.RECALLED}, {"status": S.SHIPPED}, "status_changed_at", AGO, NOW),
    "to_check_in": ({"status": S.RETURN_SHIPPED}, {"status": S.SHIPPED}, "status_changed_at", AGO, NOW),
    "ncip_failed": ({"status": S.SHIPPED, "_then": failed_ncip_call}, {"status": S.SHIPPED},
                    "updated_at", AGO, NOW),
    "unread": ({"status": S.SHIPPED, "_then": unread_note}, {"status": S.SHIPPED}, "updated_at", AGO, NOW),
}


def make(library, fields: dict, **more) -> IllRequest:
    fields = {**fields, **more}
    then = fields.pop("_then", None)
    stamps = {name: fields.pop(name) for name in ("created_at", "updated_at", "status_changed_at") if name in fields}
    request = IncomingRequestFactory(library=library, **fields)
    if then:
        then(request)
    if stamps:
        IllRequest.objects.filter(pk=request.pk).update(**stamps)  # updated_at is auto_now: written past save()
    return request


def listed(client, key: str) -> list[str]:
    response = client.get("/lending/", {"needs": key})
    assert response.status_code == 200
    return [r.number for r in response.context["page"]]


@pytest.mark.parametrize("key", CASES)
def test_a_request_in_that_situation_is_in_the_list_and_one_not_in_it_is_not(staff_client, library, key):
    inside, outside, *_ = CASES[key]
    wanted = make(library, inside)
    make(library, outside)
    assert listed(staff_client, key) == [wanted.number]


@pytest.mark.parametrize("key", CASES)
def test_each_list_puts_the_oldest_first(staff_client, library, key):
    inside, _, field, older, newer = CASES[key]
    newest = make(library, inside, **{field: newer})
    oldest = make(library, inside, **{field: older})
    assert listed(staff_client, key) == [oldest.number, newest.number]


@pytest.mark.parametrize("key", CASES)
def test_another_librarys_requests_are_never_in_our_lists(staff_client, library, key):
    make(MemberLibraryFactory(), CASES[key][0])
    assert listed(staff_client, key) == []
    assert {row["key"]: row["count"] for row in action_lists.counts(library=library, role=Role.LENDING)}[key] == 0


def test_the_desk_opens_with_the_new_requests_to_answer_counted_first(staff_client, library):
    for inside, *_ in CASES.values():
        make(library, inside)
    needs = staff_client.get("/lending/").context["needs"]
    assert needs[0]["label"] == "New requests to answer"
    assert {row["key"]: row["count"] for row in needs} == dict.fromkeys(CASES, 1)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/", "/lending/", "/lending/?needs=to_answer"])
def test_the_lists_cost_the_same_queries_for_one_and_many_requests_in_each(staff_client, library, url):
    for inside, *_ in CASES.values():
        make(library, inside)
    few = count_queries(staff_client, url)
    for inside, *_ in CASES.values():
        for _ in range(4):
            make(library, inside)
    assert count_queries(staff_client, url) == few


def test_a_cancelled_request_whose_hold_was_not_lifted_in_the_ils_is_still_listed(staff_client, library):
    cancelled = make(library, {"status": S.CANCELLED})
    NcipCall.objects.create(request=cancelled, library=library, service="CancelRequestItem",
                            status=NcipCallStatus.FAILED, answer="gave up after 12 attempts: HTTP 503")
    make(library, {"status": S.CANCELLED})
    assert listed(staff_client, "ncip_failed") == [cancelled.number]
