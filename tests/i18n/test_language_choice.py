"""Each person's language: the header's switcher, saved on their profile, applied from sign-in on."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from requests_app.languages import SESSION_KEY
from requests_app.models import PatronProfile, StaffProfile
from tests.factories import PASSWORD, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db

SWITCHER = 'action="/i18n/setlang/"'


def test_the_sign_in_page_offers_the_four_languages_without_javascript(client):
    page = client.get(reverse("login")).content.decode()
    assert SWITCHER in page
    for code, name in (("de", "Deutsch"), ("fr", "Français"), ("es", "Español")):
        assert f'<option value="{code}" lang="{code}">{name}</option>' in page
    assert 'name="next" value="/accounts/login/"' in page


def test_patron_and_staff_pages_carry_the_switcher(client):
    client.force_login(PatronFactory())
    assert SWITCHER in client.get(reverse("patron-requests")).content.decode()
    client.force_login(StaffFactory())
    assert SWITCHER in client.get(reverse("home")).content.decode()


def test_choosing_a_language_saves_it_on_the_patron_profile_and_goes_back(client):
    patron = PatronFactory()
    client.force_login(patron)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/requests/"})
    assert response.status_code == 302 and response.url == "/requests/"
    assert PatronProfile.objects.get(user=patron).language == "fr"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert client.session[SESSION_KEY] == "fr"


def test_choosing_a_language_saves_it_on_the_staff_profile(client):
    staff = StaffFactory()
    client.force_login(staff)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert StaffProfile.objects.get(user=staff).language == "de"
    assert client.get(reverse("home")).headers["Content-Language"] == "de"


def test_an_unknown_language_changes_nothing(client):
    patron = PatronFactory()
    client.force_login(patron)
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert PatronProfile.objects.get(user=patron).language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert SESSION_KEY not in client.session


def test_the_switcher_does_not_send_anyone_to_another_site(client):
    response = client.post(reverse("set_language"), {"language": "de", "next": "https://evil.example/"})
    assert response.status_code == 302 and not response.url.startswith("https://evil.example")


def test_the_switcher_only_takes_a_post(client):
    assert client.get(reverse("set_language"), {"language": "de"}).status_code == 405


def test_an_anonymous_choice_is_a_cookie_only(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get(reverse("login"))
    assert page.headers["Content-Language"] == "es" and '<html lang="es">' in page.content.decode()


def test_the_profile_language_applies_from_sign_in_over_the_browser(client):
    patron = PatronFactory()
    PatronProfile.objects.filter(user=patron).update(language="de")
    response = client.post(reverse("login"), {"username": patron.username, "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    page = client.get(reverse("patron-requests"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.headers["Content-Language"] == "de"


def test_without_a_saved_language_the_browser_decides(client):
    client.force_login(PatronFactory())
    page = client.get(reverse("patron-requests"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert page.headers["Content-Language"] == "es"


def test_the_javascript_catalogue_answers_in_the_active_language(client, compiled_translations):
    response = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "django.gettext" in response.content.decode()


def test_a_patron_chooses_their_language_on_the_preferences_page(client):
    patron = PatronFactory()
    client.force_login(patron)
    response = client.post(reverse("patron-preferences"), {"notify_by_email": "on", "language": "es"})
    assert response.status_code == 302
    assert PatronProfile.objects.get(user=patron).language == "es"
    assert client.get(reverse("patron-preferences")).headers["Content-Language"] == "es"


def test_a_patron_may_go_back_to_the_sites_language(client):
    patron = PatronFactory()
    PatronProfile.objects.filter(user=patron).update(language="fr")
    client.force_login(patron)
    client.post(reverse("patron-preferences"), {"notify_by_email": "on", "language": ""})
    assert PatronProfile.objects.get(user=patron).language == ""
    assert SESSION_KEY not in client.session


def test_an_unknown_language_on_the_preferences_page_is_an_error_that_saves_nothing(client):
    patron = PatronFactory()
    client.force_login(patron)
    response = client.post(reverse("patron-preferences"), {"notify_by_email": "on", "due_date_reminders": "",
                                                            "language": "xx"})
    assert response.status_code == 200 and "language" in response.context["form"].errors
    profile = PatronProfile.objects.get(user=patron)
    assert (profile.language, profile.due_date_reminders) == ("", True)


def test_a_language_chosen_before_signing_in_is_kept_on_the_profile(client):
    patron = PatronFactory()
    client.post(reverse("set_language"), {"language": "fr", "next": "/accounts/login/"})
    client.post(reverse("login"), {"username": patron.username, "password": PASSWORD})
    assert PatronProfile.objects.get(user=patron).language == "fr"
    assert client.get(reverse("patron-requests")).headers["Content-Language"] == "fr"


def test_a_language_chosen_before_signing_in_does_not_replace_the_profiles(client):
    patron = PatronFactory()
    PatronProfile.objects.filter(user=patron).update(language="de")
    client.post(reverse("set_language"), {"language": "fr", "next": "/accounts/login/"})
    client.post(reverse("login"), {"username": patron.username, "password": PASSWORD})
    assert PatronProfile.objects.get(user=patron).language == "de"
