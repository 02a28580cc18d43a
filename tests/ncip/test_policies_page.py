"""Policies → ILS (NCIP): an ILL administrator configures their library's ILS; bad input saves nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from requests_app import roles
from requests_app.models import NcipConnection, PolicyChange
from requests_app.ncip.connections import client_for
from requests_app.utilities import credentials
from tests.factories import MemberLibraryFactory, PickupLocationFactory, StaffFactory

pytestmark = pytest.mark.django_db
URL = reverse("policies:ncip")


@pytest.fixture
def admin_client(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR]))
    return client


def form_data(**overrides) -> dict:
    data = {"enabled": "on", "ils": "koha", "endpoint": "https://ils.example.edu/ncip", "our_agency_id": "ILLMS",
            "ils_agency_id": "HOME-KOHA", "auth_scheme": "basic", "username": "illms", "new_secret": "pa55",
            "timeout_seconds": 20, "lookup_timeout_seconds": 3, "check_patrons": "on", "borrowing": "on",
            "lending": "on", "lending_patron_id": "ILL-{symbol}", "lending_pickup_code": "ILL"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_an_administrator_saves_the_connection_with_the_secret_encrypted(admin_client, home):
    response = admin_client.post(URL, form_data())
    assert response.status_code == 302
    connection = NcipConnection.objects.get(library=home)
    assert (connection.ils, connection.ils_agency_id, connection.ready) == ("koha", "HOME-KOHA", True)
    assert "pa55" not in connection.secret and credentials.decrypt(connection.secret) == "pa55"
    assert client_for(connection).endpoint.secret == "pa55"


def test_the_history_records_the_change_but_never_the_secret(admin_client, home):
    admin_client.post(URL, form_data())
    change = PolicyChange.objects.get(library=home, area="ncip")
    assert change.changes["ils"] == ["generic", "koha"]
    assert change.changes["secret"] == ["…", "replaced"]
    assert "pa55" not in str(change.changes)


def test_the_page_says_a_secret_is_set_without_showing_it(admin_client, home):
    admin_client.post(URL, form_data())
    page = admin_client.get(URL).content.decode()
    assert "Secret: <strong>set</strong>" in page and "pa55" not in page


def test_switching_on_without_an_address_saves_nothing(admin_client, home):
    response = admin_client.post(URL, form_data(endpoint=""))
    assert response.status_code == 200 and "Needed to switch NCIP on." in response.content.decode()
    assert not NcipConnection.objects.filter(library=home).exists()


def test_a_way_of_authenticating_without_a_secret_is_refused(admin_client, home):
    response = admin_client.post(URL, form_data(auth_scheme="bearer", new_secret=""))
    assert "This way of authenticating needs a secret." in response.content.decode()
    assert not NcipConnection.objects.filter(library=home).exists()


def test_a_polaris_pickup_code_must_be_a_numeric_branch_id(admin_client, home):
    desk = PickupLocationFactory(library=home, code="main", name="Main desk")
    response = admin_client.post(URL, form_data(ils="polaris", auth_scheme="none", new_secret="",
                                                lending_pickup_code="", **{f"pickup_{desk.code}": "MAIN"}))
    assert "is not a Polaris branch id" in response.content.decode()
    assert not NcipConnection.objects.filter(library=home).exists()
    admin_client.post(URL, form_data(ils="polaris", auth_scheme="none", new_secret="", lending_pickup_code="",
                                     **{f"pickup_{desk.code}": "12"}))
    assert NcipConnection.objects.get(library=home).pickup_code(desk) == "12"


def test_the_page_describes_every_profile_with_its_sources(admin_client):
    page = admin_client.get(URL).content.decode()
    for label in ("Alma", "FOLIO", "Koha", "Sierra", "Symphony", "Polaris", "Evergreen"):
        assert f">{label}" in page
    assert "github.com/folio-org/mod-ncip" in page


def test_an_administrator_changes_only_their_own_librarys_connection(admin_client, home):
    other = MemberLibraryFactory(symbol="OTHER")
    admin_client.post(URL, form_data())
    assert NcipConnection.objects.filter(library=home).exists()
    assert not NcipConnection.objects.filter(library=other).exists()


@pytest.fixture
def connected(home, settings, ils, ncip_schema_dir):
    settings.ILLMS_NCIP_SCHEMA_DIR = ncip_schema_dir
    return NcipConnection.objects.create(library=home, enabled=True, ils="koha", endpoint=ils.url,
                                         our_agency_id="ILLMS", ils_agency_id="HOME", lookup_timeout_seconds=1)


def test_the_administrator_checks_the_connection_by_asking_about_a_user(admin_client, connected, ils):
    ils.add_user("ILL-BRW", name="Borrowing library", category="ill")
    page = admin_client.get(URL, {"user": "ILL-BRW"}).content.decode()
    assert "Koha knows ILL-BRW (Borrowing library, category ill)." in page


def test_checking_a_connection_to_an_ils_that_is_down_says_so(admin_client, connected, ils):
    ils.down()
    page = admin_client.get(URL, {"user": "ILL-BRW"}).content.decode()
    assert "Koha answered: the ILS answered HTTP 503 to LookupUser" in page


def test_the_page_warns_when_the_schema_is_not_installed(admin_client, settings, tmp_path):
    settings.ILLMS_NCIP_SCHEMA_DIR = tmp_path
    assert "The NCIP 2.02 schema is not installed on the server" in admin_client.get(URL).content.decode()
