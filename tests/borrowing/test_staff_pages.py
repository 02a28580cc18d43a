"""The staff borrowing pages: queue, request, review, rota, bulk actions, scanner, copyright report."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowing.models import CopyrightRecord, RotaEntry
from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.models import Event, IllRequest, LibraryPolicy, Note, RequestFormat
from tests.factories import (
    IllRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronProfileFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(client, home):
    user = StaffFactory(library=home, groups=[roles.BORROWING_STAFF])
    client.force_login(user)
    return user


def queue_numbers(response) -> list[str]:
    return [r.number for r in response.context["page"]]


def test_the_queue_counts_every_borrowing_state(client, staff, home):
    IllRequestFactory.create_batch(2, library=home, status=BorrowingStatus.SENT)
    response = client.get(reverse("borrowing_staff:queue"))
    counts = {row["state"].value: row["count"] for row in response.context["counts"]}
    assert (counts["sent"], counts["end_of_rota"], len(counts)) == (2, 0, len(BorrowingStatus))


def test_the_queue_lists_only_this_librarys_borrowing_requests(client, staff, home):
    mine = IllRequestFactory(library=home)
    IllRequestFactory()
    assert queue_numbers(client.get(reverse("borrowing_staff:queue"))) == [mine.number]


def test_the_queue_filters_by_state(client, staff, home):
    sent = IllRequestFactory(library=home, status=BorrowingStatus.SENT)
    IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    assert queue_numbers(client.get(reverse("borrowing_staff:queue"),
                                    {"status": BorrowingStatus.SENT})) == [sent.number]


@pytest.mark.parametrize("term", ["Leviathan", "21009999", "Hobbes", "9780140431957", "LEND", "B{pk}"])
def test_the_queue_search_finds_a_request_by_title_patron_identifier_lender_or_number(client, staff, home, term):
    profile = PatronProfileFactory(library=home, card_barcode="21009999", user__last_name="Hobbes")
    wanted = IllRequestFactory(library=home, title="Leviathan", patron=profile.user, isbn="9780140431957",
                               partner=LibraryFactory(symbol="LEND"))
    IllRequestFactory(library=home, title="Something else")
    response = client.get(reverse("borrowing_staff:queue"), {"q": term.format(pk=wanted.pk)})
    assert queue_numbers(response) == [wanted.number]


def test_the_queue_sorts_by_title(client, staff, home):
    for title in ("Beta", "Alpha", "Gamma"):
        IllRequestFactory(library=home, title=title)
    response = client.get(reverse("borrowing_staff:queue"), {"sort": "title"})
    assert [r.title for r in response.context["page"]] == ["Alpha", "Beta", "Gamma"]


def test_the_queue_sorts_by_title_backwards(client, staff, home):
    for title in ("Beta", "Alpha", "Gamma"):
        IllRequestFactory(library=home, title=title)
    response = client.get(reverse("borrowing_staff:queue"), {"sort": "-title"})
    assert [r.title for r in response.context["page"]] == ["Gamma", "Beta", "Alpha"]


def test_the_queue_pages_through_every_request_once_with_next_and_previous(client, staff, home, monkeypatch):
    monkeypatch.setattr("borrowing.views.staff.PAGE_SIZE", 2)
    made = [IllRequestFactory(library=home, title=f"Title {i}").number for i in range(5)]
    url, seen, cursor = reverse("borrowing_staff:queue"), [], None
    while True:
        response = client.get(url, {"sort": "title", **({"cursor": cursor} if cursor else {})})
        seen += queue_numbers(response)
        if not response.context["page"].has_next:
            break
        cursor = response.context["page"].next_cursor
    assert seen == made
    back = client.get(url, {"sort": "title", "cursor": response.context["page"].previous_cursor})
    assert queue_numbers(back) == made[2:4]


def test_a_garbled_page_cursor_shows_the_first_page(client, staff, home):
    mine = IllRequestFactory(library=home)
    response = client.get(reverse("borrowing_staff:queue"), {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    assert queue_numbers(response) == [mine.number]


def test_the_queue_runs_the_same_number_of_queries_for_five_rows_as_for_forty(client, staff, home):
    IllRequestFactory.create_batch(5, library=home, status=BorrowingStatus.SENT)
    url = reverse("borrowing_staff:queue")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"q": "History", "status": BorrowingStatus.SENT}).status_code == 200
    IllRequestFactory.create_batch(35, library=home, status=BorrowingStatus.SENT)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, {"q": "History", "status": BorrowingStatus.SENT}).status_code == 200
    assert len(many) == len(few)


def test_an_htmx_search_returns_only_the_table(client, staff, home):
    IllRequestFactory(library=home)
    response = client.get(reverse("borrowing_staff:queue"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-table")
    assert b"<html" not in response.content and b"<table" in response.content


def test_a_lending_only_staff_member_may_not_open_the_borrowing_queue(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    assert client.get(reverse("borrowing_staff:queue")).status_code == 403


def test_the_request_page_offers_exactly_the_actions_the_workflow_allows(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.RECEIVED)
    response = client.get(reverse("borrowing_staff:request", args=[request.pk]))
    assert {a["transition"].action for a in response.context["actions"]} == {"notify_patron", "check_out", "check_in"}


def test_the_request_page_runs_the_same_number_of_queries_whatever_the_history_length(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING)
    url = reverse("borrowing_staff:request", args=[request.pk])
    RotaEntry.objects.create(request=request, lender=LibraryFactory(), position=1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(10):
        Event.objects.create(request=request, action="note", actor_kind="staff")
        RotaEntry.objects.create(request=request, lender=LibraryFactory(), position=i + 2)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_another_librarys_request_is_not_found(client, staff):
    assert client.get(reverse("borrowing_staff:request", args=[IllRequestFactory().pk])).status_code == 404


def test_posting_an_action_moves_the_request(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.RECEIVED)
    client.post(reverse("borrowing_staff:action", args=[request.pk, "check_out"]),
                {"expected_status": BorrowingStatus.RECEIVED})
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CHECKED_OUT


def test_an_action_is_logged_with_the_staff_member_who_did_it(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.RECEIVED)

    client.post(reverse("borrowing_staff:action", args=[request.pk, "notify_patron"]),
                {"expected_status": BorrowingStatus.RECEIVED})

    request.refresh_from_db()
    assert request.status == BorrowingStatus.READY_FOR_PICKUP
    assert Event.objects.get(request=request, action="notify_patron").actor_user == staff


def test_an_action_from_a_page_that_is_out_of_date_changes_nothing_and_says_why(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.READY_FOR_PICKUP)

    response = client.post(reverse("borrowing_staff:action", args=[request.pk, "check_out"]),
                           {"expected_status": BorrowingStatus.RECEIVED}, follow=True)

    request.refresh_from_db()
    assert request.status == BorrowingStatus.READY_FOR_PICKUP
    assert "changed meanwhile" in response.content.decode()


def test_owned_locally_cancels_with_a_reason_the_patron_sees(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    client.post(reverse("borrowing_staff:action", args=[request.pk, "cancel_owned_locally"]),
                {"note": "On the shelf at QA76.9", "expected_status": BorrowingStatus.SUBMITTED, "confirmed": "1"})
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED
    assert Note.objects.get(request=request).visibility == "patron"


def test_free_online_cancels_with_the_link_the_patron_sees_under_its_own_action(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    client.post(reverse("borrowing_staff:action", args=[request.pk, "cancel_free_online"]),
                {"note": "Free at https://dash.harvard.edu/handle/1/12285462",
                 "expected_status": BorrowingStatus.SUBMITTED, "confirmed": "1"})
    request.refresh_from_db()
    assert request.status == BorrowingStatus.CANCELLED
    assert Note.objects.get(request=request).visibility == "patron"
    assert request.events.filter(action="cancel_free_online", to_status=BorrowingStatus.CANCELLED).exists()


def test_owned_locally_without_a_reason_is_refused(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    client.post(reverse("borrowing_staff:action", args=[request.pk, "cancel_owned_locally"]), {"note": " "})
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUBMITTED


def test_owned_locally_without_a_reason_shows_the_page_again_asking_for_it(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    response = client.post(reverse("borrowing_staff:action", args=[request.pk, "cancel_owned_locally"]),
                           {"note": " ", "expected_status": BorrowingStatus.SUBMITTED})
    assert response.status_code == 400
    assert "Please correct the form below." in response.content.decode()
    assert "This field is required." in response.content.decode()


def test_a_copyright_clearance_without_fee_or_exception_shows_the_form_again_with_the_reason(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.AWAITING_COPYRIGHT, format=RequestFormat.ARTICLE)
    response = client.post(reverse("borrowing_staff:copyright", args=[request.pk]), {"currency": "USD"})
    assert response.status_code == 400
    assert "Record the clearance fee paid or the exception that applies." in response.content.decode()
    assert IllRequest.objects.get(pk=request.pk).status == BorrowingStatus.AWAITING_COPYRIGHT


def citation(request: IllRequest, **changes) -> dict:
    data = {name: getattr(request, name) or "" for name in
            ("format", "title", "author", "container_title", "volume", "issue", "pages", "publication_date",
             "edition", "publisher", "place_of_publication", "isbn", "issn", "oclc_number", "doi", "pmid",
             "need_by", "max_cost")}
    data.update(changes)
    return data


def test_staff_correct_a_citation_and_the_isbn_is_normalised(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    client.post(reverse("borrowing_staff:citation", args=[request.pk]),
                citation(request, isbn="0-14-043195-0", title="Leviathan"))
    request.refresh_from_db()
    assert (request.title, request.isbn, request.status) == ("Leviathan", "9780140431957", BorrowingStatus.SUBMITTED)
    assert Event.objects.get(request=request, action="edit_citation").data["title"][1] == "Leviathan"


def test_a_bad_isbn_is_shown_on_its_field_and_nothing_is_saved(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, title="Old")
    response = client.post(reverse("borrowing_staff:citation", args=[request.pk]),
                           citation(request, isbn="12345", title="New"))
    request.refresh_from_db()
    assert response.status_code == 400 and "isbn" in response.context["citation_form"].errors
    assert request.title == "Old"


def test_save_and_verify_starts_sourcing(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, partner=None)
    client.post(reverse("borrowing_staff:citation", args=[request.pk]), {**citation(request), "verify": "1"})
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SOURCING


def test_the_citation_cannot_be_changed_once_a_lender_has_the_request(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SENT, title="Old")
    client.post(reverse("borrowing_staff:citation", args=[request.pk]), citation(request, title="New"))
    request.refresh_from_db()
    assert request.title == "Old"


def test_staff_build_the_rota_and_send_to_the_first_lender(client, staff, home):
    LibraryFactory(symbol="AAA")
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "build"]))
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "send"]))
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "AAA")


def test_staff_move_a_lender_up_and_add_one_by_hand(client, staff, home):
    LibraryFactory(symbol="AAA")
    LibraryFactory(symbol="BBB")
    LibraryFactory(symbol="CCC", active=True, lends_loans=False)
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "build"]))
    second = RotaEntry.objects.get(request=request, lender__symbol="BBB")
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "up"]), {"entry": second.pk})
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "add"]), {"lender": "ccc"})
    assert [e.lender.symbol for e in RotaEntry.objects.filter(request=request).order_by("position")] == [
        "BBB", "AAA", "CCC"]


def test_adding_a_lender_by_a_symbol_nobody_has_changes_nothing_and_says_so(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    response = client.post(reverse("borrowing_staff:rota", args=[request.pk, "add"]), {"lender": "NOPE"},
                           follow=True)
    assert "No active library other than ours has the symbol NOPE." in response.content.decode()
    assert not RotaEntry.objects.filter(request=request).exists()


def test_the_request_page_does_not_list_the_directory_to_add_a_lender(client, staff, home):
    symbols = [LibraryFactory().symbol for _ in range(5)]
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert 'name="lender"' in page
    assert not [symbol for symbol in symbols if symbol in page]


def test_a_bulk_action_applies_to_each_ticked_request_and_reports_the_refused(client, staff, home):
    ready = IllRequestFactory(library=home, status=BorrowingStatus.RECEIVED)
    wrong = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED)
    response = client.post(reverse("borrowing_staff:bulk"),
                           {"action": "notify_patron", "requests": [ready.pk, wrong.pk]}, follow=True)
    ready.refresh_from_db()
    assert ready.status == BorrowingStatus.READY_FOR_PICKUP
    texts = [str(m) for m in response.context["messages"]]
    assert any(wrong.number in t and "not possible" in t for t in texts)


def test_the_scanner_page_receives_a_scanned_request(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SHIPPED)
    response = client.post(reverse("borrowing_staff:scan"), {"mode": "receive", "code": request.number})
    request.refresh_from_db()
    assert response.status_code == 200 and response.context["outcome"].ok
    assert request.status == BorrowingStatus.READY_FOR_PICKUP


def test_the_scanner_answers_htmx_with_one_result_line(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT)
    response = client.post(reverse("borrowing_staff:scan"), {"mode": "check_in", "code": request.number},
                           HTTP_HX_REQUEST="true")
    assert response.content.strip().startswith(b"<li")


def test_staff_record_a_clearance_fee_from_the_request_page(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.AWAITING_COPYRIGHT, format=RequestFormat.ARTICLE,
                                container_title="Nature", issn="0028-0836")
    client.post(reverse("borrowing_staff:copyright", args=[request.pk]), {"fee": "12.00", "currency": "USD"})
    request.refresh_from_db()
    assert (request.status, CopyrightRecord.objects.get(request=request).clearance_fee) == (
        BorrowingStatus.SOURCING, Decimal("12.00"))


def test_the_clearance_form_wants_a_fee_or_an_exception(client, staff, home):
    request = IllRequestFactory(library=home, status=BorrowingStatus.AWAITING_COPYRIGHT, format=RequestFormat.ARTICLE)
    response = client.post(reverse("borrowing_staff:copyright", args=[request.pk]), {"currency": "USD"})
    assert response.status_code == 400


def test_the_copyright_report_counts_copies_per_journal_and_year(client, staff, home):
    for _ in range(3):
        CopyrightRecord.objects.create(request=IllRequestFactory(library=home), library=home,
                                       journal_key="0028-0836", journal_title="Nature", request_year=2026,
                                       compliance="CCG")
    response = client.get(reverse("borrowing_staff:copyright-report"), {"year": 2026})
    [row] = response.context["rows"]
    assert (row["journal_key"], row["counted"], row["ccg"]) == ("0028-0836", 3, 3)


def test_the_copyright_report_shows_the_librarys_own_rule_of_five_limit(client, staff, home):
    LibraryPolicy.objects.create(library=home, copyright_copies_per_year=4)
    response = client.get(reverse("borrowing_staff:copyright-report"))
    assert response.context["limit"] == 4
