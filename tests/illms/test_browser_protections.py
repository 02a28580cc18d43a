"""Browser protections: the Content-Security-Policy and Permissions-Policy headers, and templates they allow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(library=MemberLibraryFactory()))
    return client


@pytest.mark.parametrize("url", ["/accounts/login/", "/borrowing/queue/", "/admin/login/", "/api/docs/"])
def test_every_page_sends_the_strict_content_security_policy(staff_client, url):
    policy = directives(staff_client.get(url))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_policy_allows_no_inline_script_or_style_and_no_eval(client):
    header = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_the_api_answers_carry_the_policy_too(staff_client):
    assert directives(staff_client.get("/api/v1/requests/", HTTP_ACCEPT="application/json"))["default-src"]


def test_operators_can_add_image_and_style_sources(client, settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
        **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'", "data:", "https://cdn.example.edu"]}}
    assert directives(client.get("/accounts/login/"))["img-src"] == ["'self'", "data:", "https://cdn.example.edu"]


def test_every_page_switches_off_the_browser_features_it_does_not_use(client):
    header = client.get("/accounts/login/")["Permissions-Policy"]
    features = dict(item.strip().split("=") for item in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid"):
        assert features[feature] == "()"


def test_a_page_may_not_be_framed(client):
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_the_api_documentation_loads_its_start_up_script_from_a_file(client):
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_csrf_failure_page_has_the_sites_look_without_inline_styles(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "x", "password": "y"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in page and "<style" not in page


# What the policy refuses must not be in the templates browsers get (PDF and e-mail templates are not pages).

INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "a <style> block": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "an htmx hx-on handler": re.compile(r"\s(data-)?hx-on", re.I),
    "a javascript: address": re.compile(r"javascript:", re.I),
}
PAGE_TEMPLATES = sorted(
    path for path in (ROOT / "templates").rglob("*.html")
    if "pdf" not in path.relative_to(ROOT / "templates").parts
    and "emails" not in path.relative_to(ROOT / "templates").parts)


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_page_template_holds_what_the_content_security_policy_refuses(template):
    text = template.read_text(encoding="utf-8")
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert found == [], f"{template.name} holds {', '.join(found)}: move it to static/"


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_page_template_has_a_comment_django_would_print(template):
    # {# … #} ends on its line; one that runs over lines is shown on the page as text.
    lines = template.read_text(encoding="utf-8").splitlines()
    assert [n for n, line in enumerate(lines, 1) if "{#" in line and "#}" not in line] == []


def test_the_page_templates_are_found():
    assert len(PAGE_TEMPLATES) > 50
