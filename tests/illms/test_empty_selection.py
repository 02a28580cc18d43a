"""A batch print (pull slips, shipping labels, book bands, return labels) pressed with nothing ticked goes
back to its queue and says what to do, instead of answering 404."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from requests_app import roles
from requests_app.desk_views import SELECT_AT_LEAST_ONE
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

BATCHES = [
    ("get", "lending:labels_pdf", "lending:queue"),
    ("get", "lending:pull_slips_pdf", "lending:queue"),
    ("post", "lending:print", "lending:queue"),
    ("get", "borrowing_staff:book-bands", "borrowing_staff:queue"),
    ("get", "borrowing_staff:return-labels", "borrowing_staff:queue"),
]


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF]))
    return client


@pytest.mark.parametrize("method, batch, queue", BATCHES)
def test_a_batch_print_with_nothing_selected_goes_back_to_the_queue_with_a_message(staff_client, method, batch, queue):
    response = getattr(staff_client, method)(reverse(batch), {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 302 and response["Location"] == reverse(queue)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [str(SELECT_AT_LEAST_ONE)]


@pytest.mark.parametrize("method, batch, queue", BATCHES)
def test_ids_that_are_not_numbers_count_as_nothing_selected(staff_client, method, batch, queue):
    response = getattr(staff_client, method)(reverse(batch), {"ids": "abc"})
    assert response.status_code == 302 and response["Location"] == reverse(queue)


def test_the_shipping_labels_button_keeps_the_queues_filters_on_the_way_back(staff_client):
    queue = reverse("lending:queue") + "?status=awaiting_shipping&q=science"
    response = staff_client.get(reverse("lending:labels_pdf"), HTTP_REFERER=f"http://testserver{queue}")
    assert response["Location"] == f"http://testserver{queue}"


def test_the_way_back_never_leads_to_another_site(staff_client):
    response = staff_client.get(reverse("lending:labels_pdf"), HTTP_REFERER="https://evil.example/lending/")
    assert response["Location"] == reverse("lending:queue")


def test_the_queue_shows_the_message(staff_client):
    response = staff_client.get(reverse("lending:labels_pdf"), follow=True)
    assert response.status_code == 200 and str(SELECT_AT_LEAST_ONE) in response.content.decode()
