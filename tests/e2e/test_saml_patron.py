"""A patron follows a discovery system's link, signs in with their campus account at the institution's SAML
identity provider (pysaml2 in a second process) and submits the request, never having set a password here."""

from __future__ import annotations

import pytest

from requests_app.models import ExternalIdentity, IllRequest
from tests.factories import MemberLibraryFactory
from tests.identity.saml_idp.fixtures import PASSWORD, saml_idp, sp_key_pair, switch_on_saml  # noqa: F401
from tests.url_walk import screenshot_folder

from .conftest import serious_accessibility_violations
from .test_patron_openurl import OPENURL

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def door(settings, live_server, saml_idp, sp_key_pair):  # noqa: F811
    MemberLibraryFactory(symbol="UNI")
    settings.ILLMS_SIGNIN_LIBRARIES = {"saml": "UNI"}
    switch_on_saml(settings, saml_idp, sp_key_pair, live_server.url)
    saml_idp.configure()
    yield saml_idp
    saml_idp.configure()


def test_a_patron_signs_in_at_the_identity_provider_and_submits_a_request(live_server, page, door):
    shots = screenshot_folder() / "signin"
    shots.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/openurl?{OPENURL}")
    assert "/accounts/login/" in page.url
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(shots / "saml-door.png"), full_page=True)
    page.get_by_role("link", name="Sign in with your institution").click()

    page.wait_for_url(f"{door.url}/**")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/openurl?**")
    assert page.get_by_label("Article title").input_value() == "Molecular structure of nucleic acids"
    page.get_by_label("I have read the copyright warning").check()
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url("**/requests/*/")
    request = IllRequest.objects.select_related("patron__patron_profile__library").get()
    patron = request.patron
    assert (patron.email, patron.patron_profile.card_barcode, patron.patron_profile.library.symbol) == (
        "alice.liddell@example.edu", "21000000123", "UNI")
    assert not patron.has_usable_password()
    assert ExternalIdentity.objects.get(user=patron).door == "saml"
    assert page.get_by_text("Molecular structure of nucleic acids").first.is_visible()
    page.screenshot(path=str(shots / "saml-patron-request.png"), full_page=True)
