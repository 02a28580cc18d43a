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


def _component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def test_page_size_is_documented_from_1_to_200(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/requests/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}


def test_every_query_parameter_may_be_sent_empty(schema):
    for path, operations in PATHS.items():
        for method in operations:
            for parameter in schema["paths"][path][method].get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter["allowEmptyValue"] is True, (path, parameter["name"])


def test_every_error_an_operation_may_answer_has_the_one_error_shape(schema):
    for path, operations in PATHS.items():
        for method in operations:
            operation = schema["paths"][path][method]
            responses = operation["responses"]
            expected = {"401", "403", "429"}
            if operation.get("parameters") and any(p["in"] == "query" for p in operation["parameters"]):
                expected.add("400")
            if "{" in path or any(p["name"] == "cursor" for p in operation.get("parameters", [])):
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"400", "415"}
            assert expected <= set(responses), (path, method)
            for code in expected:
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (path, method, code)


def test_request_bodies_are_json_only(schema):
    for path, operations in PATHS.items():
        for method in operations:
            body = schema["paths"][path][method].get("requestBody")
            if body:
                assert set(body["content"]) == {"application/json"}, (path, method)


def test_an_email_or_uri_without_a_value_is_documented_null(schema):
    library = _component(schema, "Library")["properties"]
    for name in ("email", "billing_email", "iso18626_endpoint", "rest_endpoint"):
        assert library[name]["nullable"] is True, name


def test_copyright_compliance_is_documented_as_its_choices_or_null(schema):
    field = _component(schema, "PartnerRequest")["properties"]["copyright_compliance"]
    assert field["nullable"] is True
    assert {"$ref": "#/components/schemas/BlankEnum"} not in field.get("oneOf", [])


def test_a_request_reads_as_a_partners_or_a_staff_members(schema):
    assert _component(schema, "Request") == {"anyOf": [{"$ref": "#/components/schemas/PartnerRequest"},
                                                       {"$ref": "#/components/schemas/StaffRequest"}]}


def test_identifiers_are_documented_by_their_format(schema):
    body = _component(schema, "RequestCreate")["properties"]
    assert {name: body[name]["oneOf"][0]["format"] for name in ("isbn", "issn", "doi", "pmid", "oclc_number")} == {
        "isbn": "isbn", "issn": "issn", "doi": "doi", "pmid": "pmid", "oclc_number": "oclc-number"}
    assert body["isbn"]["oneOf"][1] == {"type": "string", "maxLength": 0}  # empty: not given


def test_the_status_filter_lists_both_workflows_statuses(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/requests/"]["get"]["parameters"]}
    assert {"new", "sent", "shipped", "submitted"} <= set(parameters["status"]["schema"]["enum"])


def test_the_libraries_one_may_ask_to_lend_are_the_active_members(schema_with_members):
    field = _component(schema_with_members, "RequestCreate")["properties"]["supplying_library"]
    assert field["enum"] == ["M1", "M2"]


@pytest.fixture
def schema_with_members(client):
    from tests.factories import LibraryFactory, MemberLibraryFactory

    MemberLibraryFactory(symbol="M2")
    MemberLibraryFactory(symbol="M1")
    MemberLibraryFactory(symbol="M3", active=False)
    LibraryFactory(symbol="P1")
    return yaml.safe_load(client.get("/api/schema/").content)
