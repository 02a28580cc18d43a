"""The lending staff pages: queues, a request with its answer forms, batch printing and the scan desk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.models import LendingDetail
from lending.states import LendingStatus
from requests_app.models import IllRequest, OutboxMessage
from tests.factories import StaffFactory
from tests.lending.factories import HoldingFactory, IncomingRequestFactory

pytestmark = pytest.mark.django_db


def make_queue(library, n: int) -> None:
    for _ in range(n):
        request = IncomingRequestFactory(library=library)
        LendingDetail.objects.create(request=request, holding=HoldingFactory(library=library), match_kind="isbn",
                                     warnings=["A warning."])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_queue_issues_the_same_number_of_queries_for_3_and_30_rows(staff_client, library):
    make_queue(library, 3)
    few = count_queries(staff_client, "/lending/?status=new")
    make_queue(library, 27)
    assert count_queries(staff_client, "/lending/?status=new") == few


def test_the_queue_pages_by_cursor_through_every_request_once(staff_client, library, monkeypatch):
    monkeypatch.setattr("lending.views.queues.PAGE_SIZE", 2)
    make_queue(library, 5)
    seen, url = [], "/lending/?status=new"
    while url:
        page = staff_client.get(url).context["page"]
        seen += [r.pk for r in page]
        url = f"/lending/?status=new&cursor={page.next_cursor}" if page.has_next else None
    assert sorted(seen) == sorted(IllRequest.objects.filter(library=library).values_list("pk", flat=True))
    assert len(seen) == 5


def test_the_queue_shows_counts_match_and_call_number(staff_client, library):
    make_queue(library, 2)
    IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED)
    html = staff_client.get("/lending/").content.decode()
    assert "Held (ISBN)" in html and "Q175 .K95" in html and "1 warning" in html
    assert ">New</span><span class=\"badge rounded-pill text-bg-light\">2<" in html


def test_the_queue_searches_by_number_title_and_filters_by_partner_and_match(staff_client, library):
    held = IncomingRequestFactory(library=library, title="Moby Dick")
    LendingDetail.objects.create(request=held, holding=HoldingFactory(library=library), match_kind="title")
    other = IncomingRequestFactory(library=library, title="Walden")
    LendingDetail.objects.create(request=other, match_kind="none")

    def numbers(url):
        return {r.pk for r in staff_client.get(url).context["page"]}

    assert numbers(f"/lending/?q=L{other.pk}") == {other.pk}
    assert numbers("/lending/?q=moby") == {held.pk}
    assert numbers(f"/lending/?partner={held.partner.symbol}") == {held.pk}
    assert numbers("/lending/?match=held") == {held.pk}
    assert numbers("/lending/?match=none") == {other.pk}


def test_another_librarys_requests_are_not_in_our_queue_or_pages(staff_client, library):
    theirs = IncomingRequestFactory()
    assert theirs.pk not in {r.pk for r in staff_client.get("/lending/").context["page"]}
    assert staff_client.get(f"/lending/requests/{theirs.pk}/").status_code == 404
    assert staff_client.post(f"/lending/requests/{theirs.pk}/actions/will_supply/").status_code == 404


def test_an_account_without_lending_rights_is_refused(client, library):
    client.force_login(StaffFactory(library=library, groups=["ILL staff (borrowing)"]))
    assert client.get("/lending/").status_code == 403


def test_an_unknown_state_is_not_found(staff_client):
    assert staff_client.get("/lending/?status=bogus").status_code == 404


def test_the_request_page_shows_an_articles_doi_and_pmid(staff_client, library):
    request = IncomingRequestFactory(library=library, format="article", doi="10.1038/171737a0", pmid="13054692")
    html = staff_client.get(f"/lending/requests/{request.pk}/").content.decode()
    assert "10.1038/171737a0" in html and "13054692" in html


def test_the_request_page_shows_the_match_warnings_actions_and_messages(staff_client, library):
    request = IncomingRequestFactory(library=library)
    LendingDetail.objects.create(request=request, match_kind="isbn", warnings=["The holding does not circulate."],
                                 holding=HoldingFactory(library=library, call_number="PN1 .X1", location="Annex"))
    html = staff_client.get(f"/lending/requests/{request.pk}/").content.decode()
    assert "PN1 .X1" in html and "Annex" in html and "The holding does not circulate." in html
    for label in ("Print pull slip", "Item found: will supply", "Offer conditions", "Cannot supply"):
        assert label in html


def test_staff_answer_unfilled_with_a_reason_from_the_page(staff_client, library):
    request = IncomingRequestFactory(library=library)
    response = staff_client.post(f"/lending/requests/{request.pk}/actions/unfill/", {
        "unfill-reason": "NotOnShelf", "unfill-note": "Missing from the shelf.", "expected_status": LendingStatus.NEW,
        "confirmed": "1"})
    assert response.status_code == 302
    assert OutboxMessage.objects.get(request=request).payload["message_info"]["reason_unfilled"]["value"] == \
        "NotOnShelf"


def test_a_bad_form_is_shown_again_with_errors_and_nothing_changes(staff_client, library):
    request = IncomingRequestFactory(library=library)
    response = staff_client.post(f"/lending/requests/{request.pk}/actions/offer_conditions/", {
        "offer_conditions-conditions": ["Bogus"], "offer_conditions-note": ""})
    assert response.status_code == 400
    assert IllRequest.objects.get(pk=request.pk).status == LendingStatus.NEW


def test_an_action_not_open_in_this_state_is_refused_with_a_message(staff_client, library):
    request = IncomingRequestFactory(library=library, status=LendingStatus.COMPLETED)
    response = staff_client.post(f"/lending/requests/{request.pk}/actions/will_supply/", follow=True)
    assert "not possible" in response.content.decode()
    assert IllRequest.objects.get(pk=request.pk).status == LendingStatus.COMPLETED


def test_a_stale_page_is_refused_rather_than_acting_on_a_state_nobody_saw(staff_client, library):
    request = IncomingRequestFactory(library=library, status=LendingStatus.AWAITING_PICKING)
    response = staff_client.post(f"/lending/requests/{request.pk}/actions/will_supply/",
                                 {"expected_status": LendingStatus.NEW}, follow=True)
    assert "changed meanwhile" in response.content.decode()


def test_shipping_from_the_page_records_method_tracking_and_due_date(staff_client, library):
    request = IncomingRequestFactory(library=library, status=LendingStatus.AWAITING_SHIPPING)
    due = timezone.localdate() + dt.timedelta(days=40)
    staff_client.post(f"/lending/requests/{request.pk}/actions/ship/", {
        "ship-shipping_method": "InNetworkDelivery", "ship-tracking_number": "T-1", "ship-due_date": due.isoformat()})
    request.refresh_from_db()
    assert (request.status, request.due_date) == (LendingStatus.SHIPPED, due)
    assert LendingDetail.objects.get(request=request).shipping_method == "InNetworkDelivery"


def test_batch_printing_from_the_queue_moves_the_selected_and_links_the_pdf(staff_client, library):
    requests = IncomingRequestFactory.create_batch(2, library=library)
    response = staff_client.post("/lending/print/", {"ids": [r.pk for r in requests]})
    assert response.status_code == 302 and "printed=" in response["Location"]
    assert "/lending/pull-slips.pdf?ids=" in staff_client.get(response["Location"]).content.decode()
    assert set(IllRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", flat=True)) == {
        "awaiting_picking"}
    pdf = staff_client.get(f"/lending/pull-slips.pdf?ids={requests[0].pk},{requests[1].pk}")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_batch_printing_nothing_selected_says_so(staff_client):
    response = staff_client.post("/lending/print/", {}, follow=True)
    assert "Select at least one" in response.content.decode()


def test_a_scan_ships_a_loan_and_a_second_scan_checks_it_in(staff_client, library):
    request = IncomingRequestFactory(library=library, status=LendingStatus.AWAITING_SHIPPING)
    staff_client.post("/lending/scan/", {"barcode": request.number, "action": "ship", "shipping_method": "Mail"})
    assert IllRequest.objects.get(pk=request.pk).status == LendingStatus.SHIPPED
    staff_client.post("/lending/scan/", {"barcode": request.number, "action": "check_in"})
    assert IllRequest.objects.get(pk=request.pk).status == LendingStatus.COMPLETED


def test_a_scan_of_an_unknown_barcode_says_so(staff_client):
    response = staff_client.post("/lending/scan/", {"barcode": "L999999", "action": "open"}, follow=True)
    assert "No lending request L999999" in response.content.decode()


def test_the_holdings_page_lists_and_searches(staff_client, library):
    HoldingFactory(library=library, title="Moby Dick", barcode="B-1")
    HoldingFactory(library=library, title="Walden")
    html = staff_client.get("/lending/holdings/?q=moby").content.decode()
    assert "Moby Dick" in html and "Walden" not in html


def test_lending_links_appear_only_for_lending_staff(client, staff_client, library):
    assert "Lending desk" in staff_client.get("/lending/holdings/").content.decode()
    client.force_login(StaffFactory(library=library, groups=["ILL staff (borrowing)"]))
    assert "Lending desk" not in client.get("/").content.decode()


def test_an_undelivered_message_can_be_sent_again_from_the_request_page(staff_client, library, staff):
    from lending.services import answers
    from requests_app.workflow import Actor

    request = IncomingRequestFactory(library=library)
    answers.will_supply(request=request, actor=Actor.staff(staff))
    message = OutboxMessage.objects.get(request=request)
    html = staff_client.get(f"/lending/requests/{request.pk}/").content.decode()
    assert f"/staff/lending/{request.pk}/messages/{message.pk}/resend/" in html


def test_the_queue_finds_a_request_by_its_isbn_10(staff_client, library):
    request = IncomingRequestFactory(library=library, isbn="9780226458083")
    IncomingRequestFactory(library=library)
    assert {r.pk for r in staff_client.get("/lending/?q=0-226-45808-3").context["page"]} == {request.pk}


def test_the_holdings_list_pages_by_title_keeping_the_search(staff_client, library, monkeypatch):
    for title in ("Walden", "Moby Dick", "Middlemarch", "Emma"):
        HoldingFactory(library=library, title=title, author="")
    first = staff_client.get("/lending/holdings/")
    assert [h.title for h in first.context["page"]] == ["Emma", "Middlemarch", "Moby Dick", "Walden"]
    from lending.views import holdings as holdings_views

    monkeypatch.setattr(holdings_views, "keyset_page", _small_pages(holdings_views.keyset_page))
    page = staff_client.get("/lending/holdings/?q=m").context["page"]
    assert [h.title for h in page] == ["Emma", "Middlemarch"]
    html = staff_client.get("/lending/holdings/?q=m").content.decode()
    assert "q=m&amp;cursor=" in html
    following = staff_client.get(f"/lending/holdings/?q=m&cursor={page.next_cursor}").context["page"]
    assert [h.title for h in following] == ["Moby Dick"]


def _small_pages(real):
    def keyset_page(queryset, **kwargs):
        return real(queryset, **{**kwargs, "size": 2})
    return keyset_page
