"""Before a patron's request is created, an item the library itself holds is pointed out."""

import pytest
from django.urls import reverse

from requests_app.models import IllRequest, Note
from tests.factories import PatronFactory
from tests.lending.factories import HoldingFactory

pytestmark = pytest.mark.django_db

BOOK = {"title": "The Structure of Scientific Revolutions", "author": "Kuhn, Thomas S.", "isbn": "0-226-45808-3",
        "delivery_method": "physical"}


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


def form_url() -> str:
    return reverse("patron-request-form", args=["book"])


def test_a_book_the_library_holds_is_pointed_out_with_its_call_number_and_nothing_is_created(client, patron):
    HoldingFactory(library=patron.patron_profile.library, isbn="9780226458083", call_number="Q175 .K95 2012",
                   location="Main stacks")
    response = client.post(form_url(), BOOK)
    assert response.status_code == 200
    content = response.content.decode()
    assert "The library already has this" in content and "Q175 .K95 2012" in content
    assert "submit_anyway" in response.context["form"].fields
    assert not IllRequest.objects.exists()


def test_the_patron_can_still_send_it_and_staff_see_why_in_a_note(client, patron):
    HoldingFactory(library=patron.patron_profile.library, isbn="9780226458083", call_number="Q175 .K95 2012")
    response = client.post(form_url(), {**BOOK, "submit_anyway": "on"})
    assert response.status_code == 302
    request = IllRequest.objects.get()
    assert "Q175 .K95 2012" in Note.objects.get(request=request, visibility="internal").text


def test_another_librarys_holding_is_not_pointed_out(client, patron):
    HoldingFactory(isbn="9780226458083")
    assert client.post(form_url(), BOOK).status_code == 302
    assert IllRequest.objects.count() == 1


def test_a_holding_found_by_title_and_author_is_pointed_out_too(client, patron):
    HoldingFactory(library=patron.patron_profile.library, title="The structure of scientific revolutions",
                   author="Kuhn, Thomas")
    response = client.post(form_url(), {**BOOK, "isbn": ""})
    assert "The library already has this" in response.content.decode()
    assert not IllRequest.objects.exists()


def test_a_book_the_librarys_own_sru_catalogue_lists_is_pointed_out_with_its_call_number(
        client, patron, zebra_catalogue):
    library = patron.patron_profile.library
    library.sru_base_url = zebra_catalogue.url("aaa")
    library.save()
    response = client.post(form_url(), BOOK)
    content = response.content.decode()
    assert "The library already has this" in content and "Q175 .K95 1970" in content
    assert not IllRequest.objects.exists()


def test_an_own_catalogue_that_does_not_answer_never_stops_the_request(client, patron, silent_catalogue, settings):
    settings.ILLMS_SRU_TIME_LIMIT_SECONDS = 0.5
    library = patron.patron_profile.library
    library.sru_base_url = silent_catalogue.url
    library.save()
    assert client.post(form_url(), BOOK).status_code == 302
    assert IllRequest.objects.count() == 1
