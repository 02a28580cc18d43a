"""The error pages: 400, 403, 404, 500 and the refused CSRF check, in the site's layout with a reason and ways back."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from requests_app.roles import BILLING_STAFF
from tests.conftest import SignInClient
from tests.factories import PatronFactory, StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.illms.error_urls")]


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(first_name="Grace", last_name="Clerk"))
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_missing_page_is_the_styled_404_with_the_staff_menu(staff_client):
    response = staff_client.get("/no/such/page/")
    page = text(response)
    assert response.status_code == 404
    assert "Page not found" in page and "There is no page at this address" in page
    assert 'aria-label="Main"' in page and "Grace Clerk" in page and "Sign out" in page
    assert reverse("borrowing_staff:queue") in page  # the desk menu
    assert 'href="/"' in page and f'href="{reverse("help:index")}"' in page


def test_a_missing_page_signed_out_offers_to_sign_in_and_back(client):
    page = text(client.get("/no/such/page/"))
    assert f'href="{reverse("login")}?next=/no/such/page/"' in page
    assert "Sign out" not in page


def test_the_404_never_shows_the_exceptions_text(staff_client):
    response = staff_client.get(reverse("borrowing_staff:request", args=[999999999]))
    page = text(response)
    assert response.status_code == 404
    assert "matches the given query" not in page and "No such request" not in page


def test_a_patron_sees_the_patrons_help_on_an_error_page(client):
    client.force_login(PatronFactory())
    page = text(client.get("/no/such/page/"))
    assert f'href="{reverse("patron-help")}"' in page and "My requests" in page


def test_a_refused_page_says_why(client):
    client.force_login(StaffFactory(groups=[BILLING_STAFF]))
    response = client.get(reverse("lending:queue"))
    page = text(response)
    assert response.status_code == 403
    assert "You may not open this page" in page
    assert "lending" in page.lower() and "Sign out" in page


def test_a_refusal_without_a_reason_gets_a_plain_one(staff_client):
    response = staff_client.get("/test-errors/refuses/")
    assert response.status_code == 403
    assert "Your account may not open this page." in text(response)


def test_a_bad_request_is_the_styled_400_without_internals(staff_client):
    response = staff_client.get("/test-errors/bad/")
    page = text(response)
    assert response.status_code == 400
    assert "Bad request" in page and "nothing was changed" in page and "0x2a" not in page
    assert "Sign out" in page


def test_a_view_that_fails_answers_the_styled_500_without_internals(staff_client):
    staff_client.raise_request_exception = False
    response = staff_client.get("/test-errors/fails/")
    page = text(response)
    assert response.status_code == 500
    assert "Something went wrong" in page and "hunter2" not in page and "Traceback" not in page
    assert 'aria-label="Main"' in page and 'href="/"' in page and f'href="{reverse("login")}"' in page
    assert "Grace Clerk" not in page  # rendered without the request: nothing of the user is trusted


def test_the_500_page_renders_when_the_request_is_broken():
    from illms.errors import server_error

    response = server_error(object())
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_the_500_page_falls_back_to_plain_html_when_its_template_fails(monkeypatch):
    from illms import errors

    def broken(name):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    response = errors.server_error(object())
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_a_form_refused_by_the_csrf_check_is_the_styled_page_with_a_fresh_token():
    strict = SignInClient(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "x", "password": "y"})
    page = text(response)
    assert response.status_code == 403
    assert "This form has expired" in page and "reload the page" in page and 'aria-label="Ways back"' in page
    assert "csrftoken" in response.cookies


def test_a_csrf_failure_under_the_api_still_answers_json():
    response = Client(enforce_csrf_checks=True).post("/api/v1/requests/", {})
    assert response.status_code in {401, 403}
    assert response["Content-Type"].startswith("application/json")
