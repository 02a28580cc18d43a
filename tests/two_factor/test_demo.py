"""The demo's administrators sign in with a second factor whose secret the README publishes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from illms.management.commands.seed_demo import DEFAULT_PASSWORD
from requests_app.two_factor.demo import DEMO_KEY, DEMO_SECRET
from tests.factories import totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_demo_administrators_and_billing_clerk_hold_the_published_authenticator_and_others_none(seeded):
    users = get_user_model().objects.in_bulk(["admin", "illadmin", "billing", "borrowing", "patron"],
                                             field_name="username")
    for name in ("admin", "illadmin", "billing"):
        assert users[name].totpdevice_set.get(confirmed=True).key == DEMO_KEY
    for name in ("borrowing", "patron"):
        assert not users[name].totpdevice_set.exists()


def test_the_seed_prints_the_published_secret(seeded):
    assert f"Their demo authenticator's secret is published: {DEMO_SECRET}" in seeded


def test_in_the_demo_the_code_page_of_a_demo_administrator_shows_the_current_code(seeded, client, settings):
    settings.DEMO = True
    client.post("/accounts/login/", {"username": "illadmin", "password": DEFAULT_PASSWORD})
    page = client.get("/accounts/two-factor/").content.decode()
    device = get_user_model().objects.get(username="illadmin").totpdevice_set.get()
    assert "Demo only" in page and totp_code(device) in page


def test_outside_the_demo_the_code_page_never_shows_a_code(seeded, client, settings):
    settings.DEMO = False
    client.post("/accounts/login/", {"username": "illadmin", "password": DEFAULT_PASSWORD})
    assert "Demo only" not in client.get("/accounts/two-factor/").content.decode()
