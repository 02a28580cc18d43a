"""The directory's partner protocol fields in the admin: opening a partner without a credential needs a reason
and is recorded and shown as a warning; our credential at the partner is write-only and stored encrypted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.urls import reverse

from requests_app.models import Library, PolicyChange
from requests_app.partners import authentication, credentials
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    client.user = user
    return client


def change_url(library: Library) -> str:
    return reverse("admin:requests_app_library_change", args=[library.pk])


def form_data(library: Library, **changes) -> dict:
    """What the change form posts for ``library`` as it is, with ``changes``."""
    data = {name: value for name, value in model_to_dict(library).items()
            if value is not None and value is not False and name != "id"}
    data.update({"pickup_locations-TOTAL_FORMS": "0", "pickup_locations-INITIAL_FORMS": "0",
                 "pickup_locations-MIN_NUM_FORMS": "0", "pickup_locations-MAX_NUM_FORMS": "1000"})
    if library.open_without_credential:
        data["accept_without_credential"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}


def test_an_administrator_opens_a_partner_without_credential_with_a_reason_and_it_is_recorded(admin_client):
    partner = LibraryFactory()
    response = admin_client.post(change_url(partner), form_data(
        partner, accept_without_credential="on", reason_without_credential="Its ILL system cannot send a key."))
    assert response.status_code == 302, response.content[:2000]
    partner.refresh_from_db()
    assert partner.open_without_credential
    assert partner.opened_without_credential_by == admin_client.user
    assert partner.opened_without_credential_reason == "Its ILL system cannot send a key."
    change = PolicyChange.objects.get(library=partner)
    assert change.changed_by == admin_client.user
    assert change.changes["accepts messages without a credential"] == [False, True]


def test_opening_a_partner_without_a_reason_is_refused_by_the_form(admin_client):
    partner = LibraryFactory()
    response = admin_client.post(change_url(partner), form_data(partner, accept_without_credential="on"))
    assert response.status_code == 200
    assert "Say why this partner may send messages without a credential." in response.content.decode()
    partner.refresh_from_db()
    assert not partner.open_without_credential and not PolicyChange.objects.exists()


def test_an_open_partner_is_a_warning_on_its_page_and_in_the_directory_list(admin_client):
    partner = LibraryFactory()
    authentication.open_without_credential(library=partner, actor=admin_client.user, reason="Legacy peer, by address")
    page = admin_client.get(change_url(partner)).content.decode()
    assert "⚠ Accepts messages without a credential" in page and "Legacy peer, by address" in page
    assert "root" in page
    listing = admin_client.get(reverse("admin:requests_app_library_changelist")).content.decode()
    assert "⚠ none needed" in listing


def test_unticking_closes_the_partner_again_and_is_recorded(admin_client):
    partner = LibraryFactory()
    authentication.open_without_credential(library=partner, actor=admin_client.user, reason="Legacy peer")
    partner.refresh_from_db()
    data = form_data(partner)
    del data["accept_without_credential"]
    assert admin_client.post(change_url(partner), data).status_code == 302
    partner.refresh_from_db()
    assert not partner.open_without_credential
    assert PolicyChange.objects.filter(library=partner).count() == 2


def test_our_credential_at_the_partner_is_stored_encrypted_and_never_shown_again(admin_client):
    partner = LibraryFactory()
    response = admin_client.post(change_url(partner), form_data(
        partner, outgoing_auth_scheme="basic", outgoing_username="us", new_outgoing_secret="s3cret-they-gave-us"))
    assert response.status_code == 302
    stored = Library.objects.values_list("outgoing_secret", flat=True).get(pk=partner.pk)
    assert stored and "s3cret-they-gave-us" not in stored
    assert credentials.decrypt(stored) == "s3cret-they-gave-us"
    page = admin_client.get(change_url(partner)).content.decode()
    assert "s3cret-they-gave-us" not in page and stored not in page
    assert "Our credential at the partner" in page and '<div class="readonly">set</div>' in page
    assert PolicyChange.objects.get(library=partner).changes == {"our credential at the partner": ["not set",
                                                                                                  "replaced"]}


def test_saving_the_form_without_a_new_secret_keeps_the_one_set(admin_client):
    partner = LibraryFactory()
    authentication.set_outgoing_credential(library=partner, actor=None, secret="kept")
    partner.refresh_from_db()
    assert admin_client.post(change_url(partner), form_data(partner, name="Renamed")).status_code == 302
    partner.refresh_from_db()
    assert partner.name == "Renamed" and credentials.decrypt(partner.outgoing_secret) == "kept"


def test_clearing_our_credential_removes_it(admin_client):
    partner = LibraryFactory()
    authentication.set_outgoing_credential(library=partner, actor=None, secret="gone")
    partner.refresh_from_db()
    assert admin_client.post(change_url(partner), form_data(partner, clear_outgoing_secret="on")).status_code == 302
    partner.refresh_from_db()
    assert partner.outgoing_secret == ""


def test_saving_the_form_does_not_undo_refusals_counted_meanwhile(admin_client):
    partner = LibraryFactory()
    data = form_data(partner, name="Renamed")
    authentication.count_refusal(partner, "no credential")  # a refusal between opening the form and saving it
    assert admin_client.post(change_url(partner), data).status_code == 302
    partner.refresh_from_db()
    assert partner.refused_messages == 1 and partner.name == "Renamed"


def test_the_refusals_are_shown_on_the_partners_page(admin_client):
    partner = LibraryFactory()
    authentication.count_refusal(partner, "wrong key with the prefix abc…")
    page = admin_client.get(change_url(partner)).content.decode()
    assert "wrong key with the prefix abc…" in page
