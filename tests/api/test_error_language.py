"""The API's error messages are for people: written in the language the call asks for (Accept-Language), DRF's
own in DRF's translation; the machine-readable ``code`` and the field names stay the same in every language."""

import pytest

from lending.states import LendingStatus

from .contracts import assert_json_error
from .test_request_create import ask

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _translations(compiled_translations):
    """The catalogues compiled, for every test here."""


def test_without_accept_language_the_messages_are_english(world):
    body = assert_json_error(world.client().get("/api/v1/no-such-thing/"), 404, "not_found")
    assert body["message"].startswith("There is no API endpoint at this address")


def test_an_address_that_is_no_endpoint_is_answered_in_the_language_asked(world):
    body = assert_json_error(world.client().get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="es"), 404,
                             "not_found")
    assert body["message"].startswith("No hay ningún punto de acceso de la API en esta dirección")


def test_drfs_own_message_is_in_drfs_translation_with_its_code(world):
    body = assert_json_error(world.client().get("/api/v1/requests/", HTTP_ACCEPT_LANGUAGE="de"), 401,
                             "not_authenticated")
    assert body["message"] == "Anmeldedaten fehlen."


def test_a_refused_key_is_explained_in_french(world):
    response = world.client(authorization="Bearer not-a-key").get("/api/v1/requests/", HTTP_ACCEPT_LANGUAGE="fr")
    body = assert_json_error(response, 401)
    assert body["message"].startswith("Les identifiants ne sont pas acceptés")


def test_bad_input_is_described_in_german_under_the_same_code_and_field_names(world):
    response = world.partner_a_client().post("/api/v1/requests/", {
        "supplying_library": "OURS", "requesting_agency_request_id": "R-1", "service_type": "Loan",
        "title": "X", "max_cost_currency": "eur"}, format="json", HTTP_ACCEPT_LANGUAGE="de")
    body = assert_json_error(response, 400, "invalid")
    assert body["message"] == "Die gesendeten Daten sind ungültig."
    assert body["errors"]["max_cost_currency"] == ["Geben Sie einen ISO-4217-Währungscode an: drei Großbuchstaben."]


def test_another_partners_request_is_not_found_in_german(world):
    response = world.partner_b_client().get(f"/api/v1/requests/{world.lending_a.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    body = assert_json_error(response, 404, "not_found")
    assert body["message"] == "Zwischen Ihnen und uns gibt es keine solche Bestellung."


def test_a_stale_expected_status_is_explained_in_spanish_under_the_code_conflict(world):
    url = f"/api/v1/requests/{world.lending_a.pk}/actions/borrower_received/"
    response = world.partner_a_client().post(url, {"expected_status": LendingStatus.NEW}, format="json",
                                             HTTP_ACCEPT_LANGUAGE="es")
    body = assert_json_error(response, 409, "conflict")
    assert body["message"].startswith(f"La solicitud {world.lending_a.number} ha cambiado entretanto")


def test_an_action_the_partner_may_not_take_is_refused_in_german_in_a_whole_sentence(world):
    url = f"/api/v1/requests/{world.lending_a.pk}/actions/ship/"
    response = world.partner_a_client().post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="de")
    body = assert_json_error(response, 403, "forbidden")
    assert body["message"].endswith("“ ist keine Aktion für eine Partnerbibliothek.")


def test_the_same_id_with_other_values_is_explained_in_german_naming_the_fields_as_sent(world):
    client = world.partner_a_client()
    first = client.post("/api/v1/requests/", ask(world), format="json").json()
    response = client.post("/api/v1/requests/", ask(world, title="Middlemarch (another book)"), format="json",
                           HTTP_ACCEPT_LANGUAGE="de")
    body = assert_json_error(response, 409, "conflict")
    assert body["message"] == (f"Die Bestellung {first['number']} wurde mit dieser requesting_agency_request_id und "
                               "anderen Werten (title) empfangen: Verwenden Sie für eine neue Bestellung eine neue ID.")
