"""A patron who forgot their password resets it by e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def test_asking_for_a_reset_sends_an_email_with_a_link(client):
    patron = PatronFactory(email="ada@example.edu")
    response = client.post(reverse("password_reset"), {"email": "ada@example.edu"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patron.email]
    assert mail.outbox[0].subject == "Reset your interlibrary loan password"
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_link_in_the_email_lets_the_patron_set_a_new_password_and_sign_in(client):
    patron = PatronFactory(email="ada@example.edu")
    client.post(reverse("password_reset"), {"email": "ada@example.edu"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    response = client.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a brand new passphrase 42", "new_password2": "a brand new passphrase 42"}, follow=True)
    assert b"Password changed" in response.content
    assert client.login(username=patron.username, password="a brand new passphrase 42")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.edu"}, follow=True)
    assert b"Check your e-mail" in response.content
    assert mail.outbox == []


def test_the_sign_in_page_links_to_the_reset_page(client):
    assert reverse("password_reset").encode() in client.get(reverse("login")).content
