"""``POST /api/v1/messages/``: the partner protocol in JSON, for other ILLMS installations."""

import pytest

from requests_app.iso18626 import json_codec
from requests_app.models import IllRequest
from requests_app.partners.keys import issue_api_key
from tests.factories import LibraryFactory, MemberLibraryFactory
from tests.interop.test_iso18626_endpoint import iso_request

pytestmark = pytest.mark.django_db


def post(client, data, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post("/api/v1/messages/", data=data, content_type="application/json", **headers)


def test_a_request_in_json_from_the_keys_library_creates_a_lending_request(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    _, key = issue_api_key(library=partner, name="ILLMS")
    response = post(client, json_codec.to_json(iso_request(library, partner)), key)
    assert response.status_code == 200
    assert response.json()["header"]["message_status"] == "OK"
    assert IllRequest.objects.get().partner == partner


def test_a_message_without_a_key_is_refused_with_401_and_an_error_confirmation(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    response = post(client, json_codec.to_json(iso_request(library, partner)))
    assert response.status_code == 401
    body = response.json()
    assert body["header"]["message_status"] == "ERROR"
    assert body["error_data"][0]["error_value"].startswith("Not authorised: This partner must authenticate.")
    assert not IllRequest.objects.exists()


def test_a_key_cannot_speak_for_another_library(client):
    library, partner, other = MemberLibraryFactory(), LibraryFactory(), LibraryFactory()
    _, key = issue_api_key(library=other, name="ILLMS")
    response = post(client, json_codec.to_json(iso_request(library, partner)), key)
    body = response.json()
    assert response.status_code == 403
    assert body["header"]["message_status"] == "ERROR"
    assert body["error_data"][0]["error_type"] == "UnrecognisedDataValue"
    assert not IllRequest.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[]", '{"kind": "telegram"}', '{"kind": "request", "header": 5}'])
def test_bad_json_is_answered_badly_formed(client, body):
    _, key = issue_api_key(library=LibraryFactory(), name="ILLMS")
    response = client.post("/api/v1/messages/", data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["error_data"][0]["error_type"] == "BadlyFormedMessage"


def test_an_unknown_element_in_json_is_answered_unrecognised_data_element(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    _, key = issue_api_key(library=partner, name="ILLMS")
    data = json_codec.to_json(iso_request(library, partner))
    data["bibliographic_info"]["colour"] = "blue"
    assert post(client, data, key).json()["error_data"][0]["error_type"] == "UnrecognisedDataElement"
    assert not IllRequest.objects.exists()


def test_a_timestamp_with_an_offset_beyond_postgresqls_range_is_kept_as_the_same_moment_in_utc(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    _, key = issue_api_key(library=partner, name="ILLMS")
    data = json_codec.to_json(iso_request(library, partner))
    data["header"]["timestamp"] = "2026-12-05T20:13:00+20:13"
    response = post(client, data, key)
    assert response.json()["header"]["message_status"] == "OK"
    message = json_codec.from_json(data)
    assert message.header.timestamp.isoformat() == "2026-12-05T00:00:00+00:00"
