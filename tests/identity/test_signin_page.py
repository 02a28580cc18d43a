"""The sign-in page shows the institution's doors first, and the password form beside them."""

import pytest
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


def test_with_no_door_switched_on_the_page_is_the_password_form_alone(client, settings):
    settings.ILLMS_SIGNIN_DOORS = []
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' in page and "data-door" not in page


def test_a_door_whose_views_are_not_there_shows_no_dead_button(client, settings, monkeypatch):
    from requests_app.identity import doors

    def no_such_view(name, *args, **kwargs):
        if name.startswith("signin-"):
            raise NoReverseMatch(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(doors, "reverse", no_such_view)
    settings.ILLMS_SIGNIN_DOORS = ["saml", "cas"]
    page = client.get(reverse("login")).content.decode()
    assert "data-door" not in page and 'name="password"' in page


def test_the_ldap_door_is_a_hint_beside_the_form_with_the_configured_wording(client, settings):
    settings.ILLMS_SIGNIN_DOORS = ["ldap"]
    settings.ILLMS_SIGNIN_LABELS = {"ldap": "Use your NetID and password"}
    page = client.get(reverse("login")).content.decode()
    assert "Use your NetID and password" in page and 'name="password"' in page


def test_an_unknown_door_name_is_ignored(client, settings):
    settings.ILLMS_SIGNIN_DOORS = ["kerberos"]
    assert client.get(reverse("login")).status_code == 200
