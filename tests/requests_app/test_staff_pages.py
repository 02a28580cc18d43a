"""The staff pages shared by both sides: the dashboard, old queue addresses, sending a message again."""

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.models import OutboxStatus
from tests.factories import IllRequestFactory, LendingRequestFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def test_the_dashboard_shows_counts_for_every_borrowing_and_lending_state(client, staff):
    library = staff.staff_profile.library
    IllRequestFactory.create_batch(2, library=library, status=BorrowingStatus.SENT)
    LendingRequestFactory(library=library, status=LendingStatus.NEW)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    counts = {(b["role"], row["state"].value): row["count"] for b in response.context["dashboards"]
              for row in b["counts"]}
    assert counts[("borrowing", "sent")] == 2
    assert counts[("lending", "new")] == 1
    assert counts[("borrowing", "end_of_rota")] == 0


def test_the_dashboard_links_each_state_to_its_desk_queue(client, staff):
    page = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("borrowing_staff:queue")}?status=sent"' in page
    assert f'href="{reverse("lending:queue")}?status=new"' in page
    assert "/staff/borrowing/" not in page and "/staff/lending/" not in page


@pytest.mark.parametrize("role, desk", [("borrowing", "borrowing_staff:queue"), ("lending", "lending:queue")])
def test_an_old_staff_queue_address_goes_to_the_sides_desk_in_the_state_asked_for(client, staff, role, desk):
    response = client.get(reverse("staff:queue", args=[role]), {"status": BorrowingStatus.SHIPPED})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse(desk)}?status=shipped"


@pytest.mark.parametrize("role, desk", [("borrowing", "borrowing_staff:request"), ("lending", "lending:request")])
def test_an_old_staff_request_address_goes_to_the_request_on_its_desk(client, staff, role, desk):
    response = client.get(reverse("staff:request", args=[role, 42]))

    assert response.status_code == 302
    assert response["Location"] == reverse(desk, args=[42])


def test_another_librarys_request_is_not_found_on_the_desk_an_old_address_leads_to(client, staff):
    other = IllRequestFactory()

    assert client.get(reverse("staff:request", args=["borrowing", other.pk]), follow=True).status_code == 404


def test_a_patron_cannot_open_a_staff_queue(client):
    client.force_login(PatronFactory())
    assert client.get(reverse("staff:queue", args=["borrowing"]), follow=True).status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("staff:queue", args=["lending"]), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_an_unknown_queue_is_not_found(client, staff):
    assert client.get("/staff/shipping/").status_code == 404
    assert client.get("/staff/shipping/3/").status_code == 404


def test_health_check_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_request_page_shows_undelivered_messages_and_staff_can_send_one_again(client, staff):
    from requests_app.models import OutboxMessage

    partner = LendingRequestFactory().partner
    partner.iso18626_endpoint = "http://127.0.0.1:9/iso18626"
    partner.save()
    request = LendingRequestFactory(library=staff.staff_profile.library, partner=partner, status=LendingStatus.NEW)
    client.post(reverse("lending:action", args=[request.pk, "print_pull_slip"]))
    message = OutboxMessage.objects.get(request=request)
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, attempts=12, last_error="HTTP 503")

    page = client.get(reverse("lending:request", args=[request.pk])).content.decode()
    assert "Failed (gave up)" in page and "HTTP 503" in page

    response = client.post(reverse("staff:resend", args=["lending", request.pk, message.pk]))
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert response["Location"] == reverse("lending:request", args=[request.pk])


def test_staff_cannot_resend_another_librarys_message(client, staff):
    from requests_app.models import OutboxMessage

    other = LendingRequestFactory(status=LendingStatus.NEW)
    message = OutboxMessage.objects.create(request=other, sender=other.library, recipient=other.partner,
                                           kind="supplyingAgencyMessage", summary="x", payload={}, transport="iso18626",
                                           status=OutboxStatus.FAILED)
    assert client.post(reverse("staff:resend", args=["lending", other.pk, message.pk])).status_code == 404
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED


def test_the_dashboard_opens_on_each_desks_needs_action_lists_linked_to_their_queues(client, staff):
    library = staff.staff_profile.library
    IllRequestFactory(library=library, status=BorrowingStatus.END_OF_ROTA)
    LendingRequestFactory.create_batch(2, library=library, status=LendingStatus.NEW)
    response = client.get(reverse("home"))
    needs = {(b["role"], row["key"]): row["count"] for b in response.context["dashboards"] for row in b["needs"]}
    assert (needs[("borrowing", "end_of_rota")], needs[("lending", "to_answer")], needs[("lending", "to_ship")]) \
        == (1, 2, 0)
    page = response.content.decode()
    assert f'href="{reverse("borrowing_staff:queue")}?needs=end_of_rota"' in page
    assert f'href="{reverse("lending:queue")}?needs=to_answer"' in page
