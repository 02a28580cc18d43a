"""Electronic copies on My requests: the lender's link kept behind sign-in, with our own limits."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from borrowing.models import PatronDownload
from borrowing.services import downloads
from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import IllRequest
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, PatronFactory

pytestmark = pytest.mark.django_db

LENDER_URL = "https://lender.example/delivery/abc123/"


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


def sent_article(patron, **fields) -> IllRequest:
    return IllRequestFactory(patron=patron, library=patron.patron_profile.library, status=BorrowingStatus.SENT,
                             format="article", **fields)


def deliver(request: IllRequest, url: str = LENDER_URL) -> IllRequest:
    services.perform(request=request, action="lender_delivered_copy", actor=Actor.partner(request.partner),
                     data={"url": url})
    request.refresh_from_db()
    return request


def download(client, request):
    return client.get(reverse("patron-request-copy", args=[request.pk]))


def test_a_copy_delivered_by_the_lender_is_kept_for_the_patron_with_the_default_limits(patron):
    before = timezone.now()
    request = deliver(sent_article(patron))
    [link] = PatronDownload.objects.filter(request=request)
    assert (link.url, link.max_downloads, link.download_count) == (LENDER_URL, 5, 0)
    assert dt.timedelta(days=30) <= link.expires_at - before < dt.timedelta(days=30, minutes=1)


def test_the_limits_follow_the_configured_days_and_downloads(patron, settings):
    settings.ILLMS_EDELIVERY_DAYS, settings.ILLMS_EDELIVERY_MAX_DOWNLOADS = 7, 2
    request = deliver(sent_article(patron))
    link = request.patron_downloads.get()
    assert link.max_downloads == 2
    assert link.expires_at - link.received_at == dt.timedelta(days=7)


def test_my_requests_offers_the_copy_for_download(client, patron):
    request = deliver(sent_article(patron))
    response = client.get(reverse("patron-requests"))
    assert reverse("patron-request-copy", args=[request.pk]).encode() in response.content
    assert b"5 downloads left" in response.content


def test_the_request_page_offers_the_copy_with_what_is_left(client, patron):
    request = deliver(sent_article(patron))
    response = client.get(reverse("patron-request", args=[request.pk]))
    assert b"Download the copy (PDF)" in response.content
    assert b"5 more times" in response.content


def test_a_request_without_a_copy_offers_no_download(client, patron):
    request = sent_article(patron)
    response = client.get(reverse("patron-request", args=[request.pk]))
    assert b"patron-request-copy" not in response.content
    assert b"Your copy" not in response.content


def test_downloading_counts_once_and_sends_the_browser_to_the_lenders_file(client, patron):
    request = deliver(sent_article(patron))
    response = download(client, request)
    assert response.status_code == 302
    assert response["Location"] == LENDER_URL
    assert request.patron_downloads.get().download_count == 1


def test_a_download_past_the_limit_is_refused_with_a_message_and_not_counted(client, patron, settings):
    settings.ILLMS_EDELIVERY_MAX_DOWNLOADS = 2
    request = deliver(sent_article(patron))
    download(client, request)
    download(client, request)
    response = download(client, request)
    assert response["Location"] == reverse("patron-request", args=[request.pk])
    assert "downloaded 2 times" in [str(m) for m in get_messages(response.wsgi_request)][0]
    assert request.patron_downloads.get().download_count == 2


def test_an_expired_link_is_refused_with_the_date_it_expired(client, patron):
    request = deliver(sent_article(patron))
    PatronDownload.objects.filter(request=request).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    response = download(client, request)
    assert response.status_code == 302
    assert "expired" in [str(m) for m in get_messages(response.wsgi_request)][0]
    assert request.patron_downloads.get().download_count == 0


def test_another_patron_cannot_download_the_copy(client, patron):
    request = deliver(sent_article(PatronFactory()))
    assert download(client, request).status_code == 404
    assert request.patron_downloads.get().download_count == 0


def test_signed_out_visitors_are_sent_to_sign_in(client, patron):
    request = deliver(sent_article(patron))
    client.logout()
    response = download(client, request)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_request_whose_copy_has_not_arrived_has_nothing_to_download(client, patron):
    request = sent_article(patron)
    response = download(client, request)
    assert "no copy" in [str(m) for m in get_messages(response.wsgi_request)][0]


def test_a_new_link_from_the_lender_gives_the_patron_fresh_limits(patron, settings):
    settings.ILLMS_EDELIVERY_MAX_DOWNLOADS = 1
    request = deliver(sent_article(patron))
    downloads.claim(patron=patron, request_pk=request.pk)
    services.copy_link_received.send(sender=IllRequest, request=request, url="https://lender.example/new/",
                                     partner=request.partner)
    assert downloads.claim(patron=patron, request_pk=request.pk) == "https://lender.example/new/"


def test_the_same_link_received_twice_is_kept_once(patron):
    request = deliver(sent_article(patron))
    assert downloads.record_link(request=request, url=LENDER_URL) is None
    assert request.patron_downloads.count() == 1


def test_a_link_a_browser_cannot_follow_is_not_offered(patron):
    request = deliver(sent_article(patron), url="ftp://lender.example/file.pdf")
    assert not request.patron_downloads.exists()


def test_the_copy_delivered_email_points_to_the_download_behind_sign_in(mailoutbox, settings, patron,
                                                                       django_capture_on_commit_callbacks):
    settings.ILLMS_SITE_URL = "https://ill.example.edu"
    with django_capture_on_commit_callbacks(execute=True):
        request = deliver(sent_article(patron))
    [mail] = mailoutbox
    assert f"https://ill.example.edu/requests/{request.pk}/copy/" in mail.body
    assert LENDER_URL not in mail.body


def test_my_requests_takes_the_same_number_of_queries_with_one_copy_or_many(client, patron,
                                                                          django_assert_max_num_queries):
    deliver(sent_article(patron))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("patron-requests"))
    for _ in range(8):
        deliver(sent_article(patron))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("patron-requests"))
