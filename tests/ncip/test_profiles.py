"""Each ILS profile's difference, as the messages sent to the test responder show it."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import IllRequest, NcipCall, NcipCallStatus
from requests_app.ncip.client import Endpoint, NcipClient
from requests_app.ncip.profiles import PROFILES, AuthScheme
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, PatronProfileFactory, StaffFactory

N = {"n": "http://www.niso.org/2008/ncip"}
DUE = dt.date(2027, 4, 1)


def client_for(ils, schema_dir, profile, **endpoint) -> NcipClient:
    values = {"url": ils.url, "from_agency": "ILLMS", "to_agency": "ILS", "timeout": 2.0, **endpoint}
    return NcipClient(Endpoint(**values), PROFILES[profile], schema_dir=schema_dir)


def sent(ils, service: str) -> etree._Element:
    body = next(entry["body"] for entry in ils.log() if entry["service"] == service)
    return etree.fromstring(body.encode())


def loan_through(client: NcipClient, ils, barcode: str = "B1") -> None:
    ils.add_user("P1")
    client.accept_item(request_id="B1", barcode=barcode, user_id="P1", title="T", due_date=DUE)
    client.check_out_item(user_id="P1", barcode=barcode, due_date=DUE)


def has(element: etree._Element, path: str) -> bool:
    return element.find(path, N) is not None


def test_koha_gets_the_due_date_at_check_out_not_in_the_temporary_item(ils, ncip_schema_dir):
    loan_through(client_for(ils, ncip_schema_dir, "koha"), ils)
    assert not has(sent(ils, "AcceptItem"), ".//n:DateForReturn")
    assert sent(ils, "CheckOutItem").findtext(".//n:DesiredDateDue", namespaces=N).startswith("2027-04-01")


@pytest.mark.parametrize("profile", ["sierra", "polaris", "alma"])
def test_systems_that_date_the_temporary_item_get_the_date_for_return_only(profile, ils, ncip_schema_dir):
    loan_through(client_for(ils, ncip_schema_dir, profile), ils, barcode=PROFILES[profile].item_barcode("B1"))
    assert sent(ils, "AcceptItem").findtext(".//n:DateForReturn", namespaces=N).startswith("2027-04-01")
    assert not has(sent(ils, "CheckOutItem"), ".//n:DesiredDateDue")


@pytest.mark.parametrize("profile", ["folio", "evergreen"])
def test_systems_whose_loan_policy_sets_the_due_date_are_sent_none(profile, ils, ncip_schema_dir):
    loan_through(client_for(ils, ncip_schema_dir, profile, auth=PROFILES[profile].default_auth, secret=""), ils)
    assert not has(sent(ils, "AcceptItem"), ".//n:DateForReturn")
    assert not has(sent(ils, "CheckOutItem"), ".//n:DesiredDateDue")


def test_the_standard_profile_sends_the_due_date_both_ways(ils, ncip_schema_dir):
    loan_through(client_for(ils, ncip_schema_dir, "generic"), ils)
    assert has(sent(ils, "AcceptItem"), ".//n:DateForReturn") and has(sent(ils, "CheckOutItem"), ".//n:DesiredDateDue")


def test_folio_is_reached_with_the_api_key_in_the_address(ils, ncip_schema_dir):
    ils.settings(apikey="edge-key")
    ils.add_user("P1")
    client = client_for(ils, ncip_schema_dir, "folio", auth=PROFILES["folio"].default_auth, secret="edge-key")
    assert client.lookup_user("P1").user_id == "P1"


def test_sierra_temporary_items_get_a_prefixed_barcode(ils, ncip_schema_dir):
    barcode = PROFILES["sierra"].item_barcode("B1")
    loan_through(client_for(ils, ncip_schema_dir, "sierra"), ils, barcode=barcode)
    assert barcode == "ILLB1" and ils.item("ILLB1") is not None


def test_symphony_gets_the_agency_in_item_ids_and_the_secret_in_the_header(ils, ncip_schema_dir):
    ils.settings(from_agency_auth="client-secret")
    client = client_for(ils, ncip_schema_dir, "symphony", auth=AuthScheme.FROM_AGENCY, secret="client-secret")
    loan_through(client, ils)
    accept = sent(ils, "AcceptItem")
    assert accept.findtext("n:AcceptItem/n:ItemId/n:AgencyId", namespaces=N) == "ILS"
    assert accept.findtext(".//n:FromAgencyAuthentication", namespaces=N) == "client-secret"


def test_polaris_pickup_codes_are_branch_ids():
    assert PROFILES["polaris"].pickup_code_problem("12") == ""
    assert "branch id" in PROFILES["polaris"].pickup_code_problem("MAIN")


@pytest.mark.parametrize("profile", ["alma", "folio", "koha", "sierra", "symphony", "polaris", "evergreen",
                                     "generic"])
def test_every_profile_names_the_public_documentation_it_follows(profile):
    assert PROFILES[profile].sources and PROFILES[profile].notes


@pytest.mark.django_db
class TestOnTheDesk:
    @pytest.fixture
    def home(self):
        return MemberLibraryFactory(symbol="HOME")

    def _loan(self, home, ils, capture):
        profile = PatronProfileFactory(library=home, card_barcode="21000001", institution_id="U123")
        ils.add_user("U123")
        ils.add_user("21000001")
        lender = LibraryFactory()
        request = IllRequestFactory(library=home, partner=lender, patron=profile.user, status=BorrowingStatus.SENT)
        staff = Actor.staff(StaffFactory(library=home))
        for action, actor, data in (("lender_shipped", Actor.partner(lender), {"due_date": "2027-02-20"}),
                                    ("receive", staff, {}), ("check_out", staff, {}),
                                    ("lender_renewal_answer", Actor.partner(lender),
                                     {"answer": "Y", "due_date": "2027-03-20"}),
                                    ("check_in", staff, {}), ("lender_checked_in", Actor.partner(lender), {})):
            with capture(execute=True):
                services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=actor, data=data)
        return request

    def test_alma_knows_patrons_by_primary_id_and_has_no_renew_or_delete(self, home, connect, ils,
                                                                        django_capture_on_commit_callbacks):
        connect(home, ils="alma")
        ils.offer_only(PROFILES["alma"].services)  # the responder answers as Alma does
        request = self._loan(home, ils, django_capture_on_commit_callbacks)
        assert ils.services_received() == ["AcceptItem", "CheckOutItem", "CheckInItem"]
        assert sent(ils, "AcceptItem").findtext(".//n:UserIdentifierValue", namespaces=N) == "U123"
        renew = NcipCall.objects.get(request=request, service="RenewItem")
        assert renew.status == NcipCallStatus.NOT_OFFERED and "Alma does not offer RenewItem" in renew.answer
        assert not NcipCall.objects.filter(request=request, service="DeleteItem").exists()

    def test_koha_loans_end_with_the_check_in_not_a_delete(self, home, connect, ils,
                                                          django_capture_on_commit_callbacks):
        connect(home, ils="koha")
        ils.offer_only(PROFILES["koha"].services)
        self._loan(home, ils, django_capture_on_commit_callbacks)
        assert ils.services_received() == ["AcceptItem", "CheckOutItem", "RenewItem", "CheckInItem"]
