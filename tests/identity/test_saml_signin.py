"""The SAML door against a real pysaml2 identity provider in a second process (tests/identity/saml_idp/)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from requests_app.models import ExternalIdentity, PatronCategory
from tests.factories import MemberLibraryFactory
from tests.identity.saml_idp.fixtures import ALICE, path_of, saml_idp, sp_key_pair, switch_on_saml  # noqa: F401

pytestmark = pytest.mark.django_db
SITE = "http://testserver"


@pytest.fixture
def door(settings, saml_idp, sp_key_pair):  # noqa: F811
    MemberLibraryFactory(symbol="UNI")
    switch_on_saml(settings, saml_idp, sp_key_pair, SITE)
    saml_idp.configure()
    yield saml_idp
    saml_idp.configure()


def start(client, next_url: str = "") -> str:
    response = client.get(reverse("signin-saml") + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content
    return response["Location"]


def sign_in(client, idp, next_url: str = "", **kwargs):
    action, fields = idp.sign_in(start(client, next_url), **kwargs)
    assert action == f"{SITE}{reverse('saml-acs')}"
    return client.post(path_of(action), fields), fields


def nothing_created() -> bool:
    return not get_user_model().objects.exists() and not ExternalIdentity.objects.exists()


def test_the_first_sign_in_creates_the_patron_with_the_mapped_attributes(client, door):
    response, _fields = sign_in(client, door, next_url="/requests/")
    assert response.status_code == 302 and response["Location"] == "/requests/"
    user = get_user_model().objects.get()
    profile = user.patron_profile
    assert (user.username, user.email, user.first_name, user.last_name) == \
        ("alice@example.edu", "alice.liddell@example.edu", "Alice", "Liddell")
    assert (profile.category, profile.department, profile.card_barcode, profile.library.symbol) == \
        (PatronCategory.UNDERGRADUATE, "Mathematics", "21000000123", "UNI")
    assert ExternalIdentity.objects.get().subject == "alice@example.edu"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_a_second_sign_in_updates_the_patron(client, door):
    sign_in(client, door)
    door.configure(users={"alice": {"password": "correct horse", "attributes": {
        **ALICE, "sn": ["Liddell-Hargreaves"], "eduPersonAffiliation": ["faculty"], "ou": ["Logic"],
        "libraryBarcode": ["21000000999"]}}})
    client.logout()
    response, _fields = sign_in(client, door)
    assert response.status_code == 302
    user = get_user_model().objects.get()
    user.patron_profile.refresh_from_db()
    assert user.last_name == "Liddell-Hargreaves"
    assert (user.patron_profile.category, user.patron_profile.department, user.patron_profile.card_barcode) == \
        (PatronCategory.FACULTY, "Logic", "21000000999")
    assert ExternalIdentity.objects.count() == 1


def test_an_outside_next_is_not_followed(client, door):
    response, _fields = sign_in(client, door, next_url="https://evil.example.com/")
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_an_unsigned_assertion_is_refused_and_creates_nothing(client, door):
    door.configure(sign_assertion=False)
    response, _fields = sign_in(client, door)
    assert response.status_code == 403
    assert "not signed by the identity provider this library trusts" in response.content.decode()
    assert nothing_created()


def test_an_assertion_changed_after_signing_is_refused_and_creates_nothing(client, door):
    door.configure(tamper=["alice.liddell@example.edu", "mallory@example.edu"])
    response, _fields = sign_in(client, door)
    assert response.status_code == 403
    assert "changed on the way" in response.content.decode()
    assert nothing_created()


def test_an_assertion_from_an_identity_provider_we_do_not_know_is_refused(client, door):
    door.configure(stranger=True)
    response, _fields = sign_in(client, door)
    assert response.status_code == 403
    assert "could not sign you in" in response.content.decode()
    assert nothing_created()


def test_an_expired_assertion_is_refused_and_creates_nothing(client, door):
    door.configure(lifetime_minutes=-30)
    response, _fields = sign_in(client, door)
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert nothing_created()


def test_a_replayed_answer_is_refused(client, door, django_user_model):
    response, fields = sign_in(client, door)
    assert response.status_code == 302
    client.logout()
    again = client.post(reverse("saml-acs"), fields)
    assert again.status_code == 403 and "already used" in again.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_replayed_answer_before_the_first_use_is_still_one_sign_in(client, door):
    _response, fields = sign_in(client, door)
    assert client.post(reverse("saml-acs"), fields).status_code == 403
    assert get_user_model().objects.count() == 1


def test_a_wrong_password_at_the_identity_provider_signs_no_one_in(client, door):
    import requests
    from lxml import html as lxml_html

    form_page = requests.get(start(client), timeout=10)
    form = lxml_html.fromstring(form_page.text).forms[0]
    answer = requests.post(form.action, data={**dict(form.fields), "username": "alice", "password": "no"},
                           timeout=10)
    assert "Wrong user name or password" in answer.text
    assert nothing_created()


@pytest.mark.parametrize("body", [
    {}, {"SAMLResponse": "garbage", "RelayState": "x"}, {"SAMLResponse": "PHNhbWw+", "RelayState": ""},
    {"SAMLResponse": "%%%", "RelayState": "id-1:abc:def"}, {"RelayState": "\x00"},
])
def test_garbage_at_the_assertion_consumer_is_a_refusal_page_not_a_500(client, door, body):
    response = client.post(reverse("saml-acs"), body)
    assert response.status_code == 403 and "could not sign you in" in response.content.decode()
    assert nothing_created()


def test_garbage_with_a_valid_relay_state_is_a_refusal_page(client, door):
    location = start(client)
    from urllib.parse import parse_qs, urlsplit

    relay = parse_qs(urlsplit(location).query)["RelayState"][0]
    for answer in ("garbage", "PHNhbWw+", "PD94bWwgdmVyc2lvbj0iMS4wIj8+PGE+PC9hPg=="):
        response = client.post(reverse("saml-acs"), {"SAMLResponse": answer, "RelayState": relay})
        assert response.status_code == 403, answer
    assert nothing_created()


def test_the_metadata_url_answers_valid_saml_metadata(client, door):
    from lxml import etree
    from saml2.xml.schema import validate

    response = client.get("/accounts/saml/metadata/")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    validate(response.content.decode())
    root = etree.fromstring(response.content)
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}
    assert root.get("entityID") == f"{SITE}/accounts/saml/metadata/"
    assert root.xpath("//md:AssertionConsumerService/@Location", namespaces=ns) == [f"{SITE}/accounts/saml/acs/"]
    assert root.xpath("//md:SingleLogoutService/@Location", namespaces=ns) == [f"{SITE}/accounts/saml/sls/"]
    assert root.xpath("//md:SPSSODescriptor/@WantAssertionsSigned", namespaces=ns) == ["true"]
    assert root.xpath("//md:KeyDescriptor", namespaces=ns)


def test_our_logout_goes_on_to_the_identity_providers_logout_and_comes_back(client, door):
    import requests

    sign_in(client, door)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"].startswith(f"{door.url}/slo/redirect?SAMLRequest=")
    assert "_auth_user_id" not in client.session
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(f"{SITE}/accounts/saml/sls/")
    done = client.get(path_of(back.headers["Location"]))
    assert done.status_code == 302 and done["Location"] == reverse("login")


def test_the_identity_providers_logout_request_ends_our_session(client, door):
    import requests

    sign_in(client, door)
    assert "_auth_user_id" in client.session
    started = requests.get(f"{door.url}/slo/initiate?user=alice", allow_redirects=False, timeout=10)
    assert started.status_code == 302, started.text
    answer = client.get(path_of(started.headers["Location"]))
    assert answer.status_code == 302 and answer["Location"].startswith(f"{door.url}/slo/redirect?SAMLResponse=")
    assert "_auth_user_id" not in client.session
    assert "signed out" in requests.get(answer["Location"], timeout=10).text


def test_an_unsigned_logout_request_is_refused_and_keeps_the_session(client, door):
    sign_in(client, door)
    response = client.get(reverse("saml-sls") + "?SAMLRequest=garbage")
    assert response.status_code == 400
    assert "_auth_user_id" in client.session
