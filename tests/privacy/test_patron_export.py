"""A patron downloads their own data, and only theirs."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from requests_app import roles
from tests.factories import IllRequestFactory, PatronFactory, StaffFactory

from .conftest import BARCODE, EMAIL, PATRON_NOTE, identity_everywhere

EXPORT = reverse("patron-data-export")


def export(client, user) -> dict:
    client.force_login(user)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="illms-my-data-')
    return json.loads(response.content)


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get(EXPORT)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("group", [roles.BORROWING_STAFF, roles.ILL_ADMINISTRATOR])
def test_staff_without_a_patron_record_get_no_export(privacy_world, client, group):
    client.force_login(StaffFactory(library=privacy_world.library, groups=[group]))

    assert client.get(EXPORT).status_code == 403


def test_the_export_holds_the_patrons_profile(privacy_world, client):
    data = export(client, privacy_world.patron)

    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["card_barcode"] == BARCODE
    assert data["profile"]["department"] == "Classics"


def test_the_export_holds_each_request_with_citation_history_and_the_notes_sent_to_the_patron(privacy_world,
                                                                                               client):
    data = export(client, privacy_world.patron)

    [request] = data["requests"]
    assert request["number"] == privacy_world.old_request.number
    assert request["citation"]["title"] == privacy_world.old_request.title
    assert request["your_note"] == PATRON_NOTE
    assert [h["what"] for h in request["history"]][0] == "You sent the request"
    assert [n["text"] for n in request["notes_to_you"]] == ["Dear Hypatia, your book is waiting."]


def test_the_export_holds_the_charges_passed_on_to_the_patron(privacy_world, client):
    data = export(client, privacy_world.patron)

    assert [(c["request"], c["amount"], c["currency"]) for c in data["charges"]] == [
        (privacy_world.old_request.number, "5.00", "USD")]


def test_the_export_shows_no_staff_names_or_internal_notes(privacy_world, client):
    text = json.dumps(export(client, privacy_world.patron))

    assert "Sam" not in text and "Desk" not in text
    assert "phoned" not in text  # the staff-only note


def test_a_patron_never_gets_another_patrons_data(privacy_world, client):
    other = PatronFactory(profile__library=privacy_world.library, first_name="Other", last_name="Person")
    IllRequestFactory(library=privacy_world.library, patron=other, title="Someone else's book")

    text = json.dumps(export(client, privacy_world.patron))

    assert "Someone else's book" not in text and "Other" not in text
    assert [r["citation"]["title"] for r in export(client, other)["requests"]] == ["Someone else's book"]


def test_a_purged_request_is_no_longer_in_the_export(privacy_world, client):
    from requests_app.privacy import purge_patron_identity

    purge_patron_identity()

    data = export(client, privacy_world.patron)
    assert data["requests"] == [] and data["charges"] == []


def test_the_export_does_not_grow_in_queries_with_the_requests(privacy_world, client, django_assert_max_num_queries):
    client.force_login(privacy_world.patron)
    for size in (2, 15):
        for _ in range(size):
            request = privacy_world.make_request(days_ago=1)
            identity_everywhere(request, privacy_world.patron, privacy_world.staff)
        with django_assert_max_num_queries(10):
            assert client.get(EXPORT).status_code == 200


def test_the_preferences_page_links_to_the_export(privacy_world, client):
    client.force_login(privacy_world.patron)

    response = client.get(reverse("patron-preferences"))

    assert EXPORT in response.content.decode()
