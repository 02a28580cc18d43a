"""Before an article is borrowed, a free copy found by its DOI (Unpaywall, replayed on loopback) is offered."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from requests_app import open_access, roles
from requests_app.models import IllRequest, Note
from tests.factories import MemberLibraryFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db

GREEN = "10.1038/nature12373"  # an accepted manuscript in a repository
CLOSED = "10.1126/science.169.3946.635"
ARTICLE = {"title": "Nanometre-scale thermometry in a living cell", "container_title": "Nature",
           "publication_date": "2013", "volume": "500", "pages": "54-58", "delivery_method": "electronic",
           "copyright_accepted": "on", "doi": GREEN}


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


def form_url() -> str:
    return reverse("patron-request-form", args=["article"])


def test_the_best_free_copy_of_a_doi_is_found_with_its_version(unpaywall):
    found = open_access.open_access_copy(f"https://doi.org/{GREEN}")
    assert found == open_access.OpenAccessCopy(
        url="https://dash.harvard.edu/handle/1/12285462",
        pdf_url="https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
        version="acceptedVersion", host_type="repository")
    assert unpaywall.asked[0].endswith("?email=ill%40library.example.edu")


def test_a_closed_article_has_no_free_copy(unpaywall):
    assert open_access.open_access_copy(CLOSED) is None


def test_a_doi_unpaywall_does_not_know_has_no_free_copy(unpaywall):
    assert open_access.open_access_copy("10.5555/unknown") is None


def test_an_address_that_is_not_a_web_page_is_never_offered(unpaywall):
    assert open_access.open_access_copy("10.9999/hostile") is None


def test_an_answer_is_kept_so_the_same_doi_is_asked_once(unpaywall):
    open_access.open_access_copy(GREEN)
    open_access.open_access_copy(GREEN.upper())
    open_access.open_access_copy(CLOSED)
    open_access.open_access_copy(CLOSED)
    assert len(unpaywall.asked) == 2


def test_without_an_email_the_look_up_is_off_and_nothing_is_asked(unpaywall, settings):
    settings.ILLMS_UNPAYWALL_EMAIL = ""
    assert open_access.open_access_copy(GREEN) is None
    assert unpaywall.asked == []


def test_a_service_that_never_answers_is_none_found_within_the_time_limit(silent_catalogue, settings):
    settings.ILLMS_UNPAYWALL_URL = f"http://127.0.0.1:{silent_catalogue.port}"
    settings.ILLMS_UNPAYWALL_EMAIL = "ill@library.example.edu"
    settings.ILLMS_OPEN_ACCESS_TIMEOUT_SECONDS = 0.5
    started = time.monotonic()
    assert open_access.open_access_copy(GREEN) is None
    assert time.monotonic() - started < 2


def test_the_patron_is_offered_the_free_copy_and_nothing_is_sent(client, patron, unpaywall):
    response = client.post(form_url(), ARTICLE)
    content = response.content.decode()
    assert response.status_code == 200
    assert "A free, legal copy is online" in content
    assert 'href="https://dash.harvard.edu/handle/1/12285462"' in content
    assert "the accepted manuscript" in content
    assert not IllRequest.objects.exists()


def test_the_patron_may_still_send_it_and_staff_see_the_free_copy_in_a_note(client, patron, unpaywall):
    response = client.post(form_url(), {**ARTICLE, "submit_anyway": "on"})
    assert response.status_code == 302
    note = Note.objects.get(request=IllRequest.objects.get(), visibility="internal")
    assert "lists a free copy (the accepted manuscript): https://dash.harvard.edu/handle/1/12285462" in note.text


def test_an_article_without_a_free_copy_is_sent_at_once(client, patron, unpaywall):
    assert client.post(form_url(), {**ARTICLE, "doi": CLOSED}).status_code == 302
    assert IllRequest.objects.count() == 1


def test_staff_typing_a_request_for_a_patron_are_shown_the_free_copy_too(client, unpaywall):
    home = MemberLibraryFactory(symbol="HOME")
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    someone = PatronFactory(profile__library=home)
    url = reverse("borrowing_staff:for-patron-form", args=[someone.pk, "article"])
    data = {**ARTICLE, "channel": "email", "copyright_received": "email"}
    data.pop("copyright_accepted")
    response = client.post(url, data)
    assert "Send the patron the link" in response.content.decode()
    assert not IllRequest.objects.exists()
