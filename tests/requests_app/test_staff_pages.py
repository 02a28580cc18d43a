"""The staff queue and request pages shared by both sides."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.models import Event
from tests.factories import IllRequestFactory, LendingRequestFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def test_the_dashboard_shows_counts_for_every_borrowing_and_lending_state(client, staff):
    library = staff.staff_profile.library
    IllRequestFactory.create_batch(2, library=library, status="sent")
    LendingRequestFactory(library=library, status="new")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    counts = {(b["role"], row["state"].value): row["count"] for b in response.context["dashboards"]
              for row in b["counts"]}
    assert counts[("borrowing", "sent")] == 2
    assert counts[("lending", "new")] == 1
    assert counts[("borrowing", "end_of_rota")] == 0


def test_a_queue_lists_only_the_staff_members_own_librarys_requests(client, staff):
    mine = IllRequestFactory(library=staff.staff_profile.library, title="Ours")
    IllRequestFactory(title="Theirs")
    response = client.get(reverse("staff:queue", args=["borrowing"]))
    assert [r.pk for r in response.context["page"]] == [mine.pk]


def test_the_queue_page_runs_the_same_number_of_queries_for_five_rows_as_for_thirty(client, staff):
    library = staff.staff_profile.library
    IllRequestFactory.create_batch(5, library=library)
    url = reverse("staff:queue", args=["borrowing"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    IllRequestFactory.create_batch(25, library=library)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_request_page_offers_exactly_the_actions_the_workflow_allows(client, staff):
    request = IllRequestFactory(library=staff.staff_profile.library, status="received")
    response = client.get(reverse("staff:request", args=["borrowing", request.pk]))
    assert {t.action for t in response.context["actions"]} == {"notify_patron", "check_out", "check_in"}
    assert b"Notify patron" in response.content


def test_posting_an_action_moves_the_request_and_logs_who_did_it(client, staff):
    request = IllRequestFactory(library=staff.staff_profile.library, status="received")
    url = reverse("staff:action", args=["borrowing", request.pk, "notify_patron"])
    response = client.post(url, {"expected_status": "received"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "ready_for_pickup"
    assert Event.objects.get(request=request).actor_user == staff


def test_posting_an_action_on_a_page_that_is_out_of_date_changes_nothing_and_says_why(client, staff):
    request = IllRequestFactory(library=staff.staff_profile.library, status="ready_for_pickup")
    url = reverse("staff:action", args=["borrowing", request.pk, "check_out"])
    response = client.post(url, {"expected_status": "received"}, follow=True)
    request.refresh_from_db()
    assert request.status == "ready_for_pickup"
    assert "changed meanwhile" in response.content.decode()


def test_another_librarys_request_is_not_found(client, staff):
    other = IllRequestFactory()
    assert client.get(reverse("staff:request", args=["borrowing", other.pk])).status_code == 404
    url = reverse("staff:action", args=["borrowing", other.pk, "verify"])
    assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.status == "submitted"


def test_a_patron_cannot_open_a_staff_queue(client):
    client.force_login(PatronFactory())
    assert client.get(reverse("staff:queue", args=["borrowing"])).status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("staff:queue", args=["lending"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_queue_is_not_found(client, staff):
    assert client.get("/staff/shipping/").status_code == 404
    assert client.get(reverse("staff:queue", args=["borrowing"]) + "?status=nonsense").status_code == 404


def test_health_check_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_request_page_shows_undelivered_messages_and_staff_can_send_one_again(client, staff):
    from requests_app.models import OutboxMessage

    partner = LendingRequestFactory().partner
    partner.iso18626_endpoint = "http://127.0.0.1:9/iso18626"
    partner.save()
    request = LendingRequestFactory(library=staff.staff_profile.library, partner=partner, status="new")
    client.post(reverse("staff:action", args=["lending", request.pk, "print_pull_slip"]))
    message = OutboxMessage.objects.get(request=request)
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=12, last_error="HTTP 503")

    page = client.get(reverse("staff:request", args=["lending", request.pk])).content.decode()
    assert "Failed (gave up)" in page and "HTTP 503" in page

    client.post(reverse("staff:resend", args=["lending", request.pk, message.pk]))
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)


def test_staff_cannot_resend_another_librarys_message(client, staff):
    from requests_app.models import OutboxMessage

    other = LendingRequestFactory(status="new")
    message = OutboxMessage.objects.create(request=other, sender=other.library, recipient=other.partner,
                                           kind="supplyingAgencyMessage", summary="x", payload={}, transport="iso18626",
                                           status="failed")
    assert client.post(reverse("staff:resend", args=["lending", other.pk, message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.status == "failed"
