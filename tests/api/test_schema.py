"""The OpenAPI schema at /api/schema/ describes every endpoint, and drf-spectacular finds nothing to warn about."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

PATHS = {
    "/api/v1/libraries/": {"get"},
    "/api/v1/libraries/{symbol}/": {"get"},
    "/api/v1/requests/": {"get", "post"},
    "/api/v1/requests/{id}/": {"get"},
    "/api/v1/requests/{id}/actions/{action}/": {"post"},
    "/api/v1/requests/{id}/notes/": {"get", "post"},
    "/api/v1/invoices/": {"get"},
    "/api/v1/holdings/": {"get"},
    "/api/v1/invoices/{number}/": {"get"},
    "/api/v1/invoices/{number}/pdf/": {"get"},
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_lists_every_endpoint_and_method(schema):
    assert {path: set(ops) for path, ops in schema["paths"].items() if path.startswith("/api/v1/")
            if path != "/api/v1/messages/"} == PATHS


def test_the_request_list_documents_its_filters_and_cursor(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/requests/"]["get"]["parameters"]}
    assert names == {"status", "role", "updated_since", "format", "cursor", "page_size"}


def test_every_operation_documents_its_json_errors(schema):
    for path, operations in PATHS.items():
        for method in operations:
            responses = schema["paths"][path][method]["responses"]
            assert {"401", "403"} <= set(responses), (path, method)
            assert responses["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}


def test_partner_keys_are_a_bearer_security_scheme(schema):
    assert schema["components"]["securitySchemes"]["partnerApiKey"]["scheme"] == "bearer"
    assert {"partnerApiKey": []} in schema["paths"]["/api/v1/requests/"]["get"]["security"]


def test_the_interactive_docs_are_served(client):
    assert client.get("/api/docs/").status_code == 200


def test_spectacular_validates_the_schema_without_a_single_warning(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file",
         str(tmp_path / "schema.yml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/api/v1/requests/{id}/actions/{action}/" in (tmp_path / "schema.yml").read_text()
