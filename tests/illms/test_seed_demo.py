"""``manage.py seed_demo``: a living demo that a second run leaves as it is."""

import subprocess
from html import escape
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from billing.models import Charge, ChargeStatus, Direction, FeeSchedule, Invoice, InvoiceStatus
from borrowing.models import PatronDownload
from borrowing.states import BorrowingStatus
from illms.management.commands.seed_demo import DEFAULT_PASSWORD, PATRONS, STAFF, STAFF_AT, find_path
from lending.models import ElectronicDelivery, Holding, LendingDetail, MatchKind
from lending.pdf import pull_slips
from requests_app.models import (
    ActorKind,
    Event,
    IllRequest,
    Library,
    PatronLoad,
    PatronLoadStatus,
    PatronProfile,
    PickupLocation,
    Role,
    SavedQueueView,
    StaffProfile,
)
from requests_app.workflow import registry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = [a.username for a in STAFF] + [p.username for p in PATRONS]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def account_line(output: str, username: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.split()[:1] == [username])


def test_seed_creates_a_member_library_and_at_least_six_partners():
    seed()
    demo = Library.objects.get(symbol="DEMO")
    assert demo.is_member and demo.agency_id_value == "DEMO" and demo.postal_address.count("\n") >= 3
    assert set(demo.pickup_locations.values_list("name", flat=True)) == {"Main circulation desk", "Science library"}
    assert Library.objects.get(symbol="DEMO2").is_member
    assert Library.objects.filter(is_member=False).count() >= 6


def test_seed_partners_differ_in_policy():
    seed()
    partners = Library.objects.filter(is_member=False)
    demo = Library.objects.get(symbol="DEMO")
    assert partners.filter(active=False).exists()
    assert partners.filter(lends_loans=False, lends_copies=True).exists()
    assert partners.filter(max_loans_outstanding__isnull=False).exists()
    assert partners.filter(loan_fee__gt=0).exists() and partners.filter(copy_fee__gt=0).exists()
    assert partners.filter(iso18626_endpoint="http://127.0.0.1:8001/iso18626", agency_id_type="ISIL").exists()
    assert any(p.is_reciprocal_with(demo) for p in partners)
    assert len(set(partners.values_list("country", flat=True))) >= 3


def test_seed_puts_requests_in_every_borrowing_and_lending_state():
    seed()
    for role in (Role.BORROWING, Role.LENDING):
        seen = set(IllRequest.objects.filter(role=role).values_list("status", flat=True))
        assert seen == set(registry.get(role).states), role


def test_seed_requests_have_event_histories_that_end_in_their_status():
    seed()
    for request in IllRequest.objects.prefetch_related("events"):
        events = list(request.events.all())
        assert (events[0].action, events[0].from_status) == ("create", "")
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_status == before.to_status, (request.number, after.action)
            assert after.created_at >= before.created_at
        assert events[-1].to_status == request.status
        assert request.created_at == events[0].created_at


def test_seed_histories_show_staff_patrons_partners_and_jobs_at_work():
    seed()
    events = Event.objects.exclude(action="create").select_related("request", "actor_user", "actor_library")
    assert {e.actor_kind for e in events} == set(ActorKind)
    for event in events.filter(actor_kind=ActorKind.STAFF).select_related("request__library"):
        expected = STAFF_AT[(event.request.library.symbol, event.request.role)]
        assert event.actor_user.username == expected
    assert all(e.actor_library_id != e.request.library_id for e in events.filter(actor_kind=ActorKind.PARTNER))


def test_seed_gives_each_desk_clerk_a_saved_view_of_their_queue():
    seed()
    views = {(v.owner.username, v.queue) for v in SavedQueueView.objects.select_related("owner")}
    assert views == {("borrowing", Role.BORROWING), ("lending", Role.LENDING)}


def test_a_second_seed_keeps_the_saved_views_once():
    seed()
    seed()
    assert SavedQueueView.objects.count() == 2


def test_running_the_seed_twice_creates_no_duplicates():
    models = (Library, get_user_model(), IllRequest, Event, PatronProfile, StaffProfile, PickupLocation, Holding,
              LendingDetail, FeeSchedule, Charge, Invoice, ElectronicDelivery, PatronDownload)
    seed()
    counts = [m.objects.count() for m in models]
    seed()
    assert [m.objects.count() for m in models] == counts


def test_seed_prints_every_demo_account_with_its_password():
    output = seed("--password", "s3cret-demo")
    for username in ACCOUNTS:
        assert account_line(output, username)[:2] == [username, "s3cret-demo"]
    assert "ILL staff (borrowing)" in " ".join(account_line(output, "borrowing"))


def test_a_second_run_still_prints_the_accounts():
    seed()
    output = seed()
    assert "none added" in output
    assert all(account_line(output, username)[1] == DEFAULT_PASSWORD for username in ACCOUNTS)


def test_seed_leaves_the_password_of_an_existing_account_alone():
    UserFactory(username="borrowing")
    output = seed()
    assert get_user_model().objects.get(username="borrowing").check_password(PASSWORD)
    assert DEFAULT_PASSWORD not in account_line(output, "borrowing")


def test_quiet_seed_prints_nothing():
    assert seed("--verbosity", "0") == ""


def test_seed_blocks_one_patron_with_a_reason():
    seed()
    blocked = PatronProfile.objects.filter(blocked=True)
    assert blocked.count() == 1 and blocked.get().blocked_reason
    assert len(set(PatronProfile.objects.values_list("category", flat=True))) == 5


def test_demo_staff_can_sign_in_and_see_requests(client):
    seed()
    assert client.login(username="borrowing", password=DEFAULT_PASSWORD)
    home = client.get("/")
    assert home.status_code == 200
    assert "Demo University Library" in home.content.decode()
    queue = client.get("/borrowing/queue/")
    assert queue.status_code == 200
    latest = IllRequest.objects.filter(role=Role.BORROWING).order_by("-updated_at").first()
    assert escape(latest.title) in queue.content.decode()


def test_the_demo_patron_finds_a_delivered_copy_to_download_on_my_requests(client):
    seed()
    assert client.login(username="patron", password=DEFAULT_PASSWORD)
    page = client.get("/requests/").content.decode()
    assert "Download your copy" in page


def test_path_finder_takes_the_fewest_actions_and_prefers_accepting_conditions():
    borrowing = registry.get(Role.BORROWING)
    assert [t.action for t in find_path(borrowing, "submitted", "sent")] == ["verify", "send_to_lender"]
    assert [t.action for t in find_path(borrowing, "conditional", "expects_to_supply")] == ["accept_conditions"]
    with pytest.raises(LookupError):
        find_path(borrowing, "completed", "submitted")


def printed_keys(output: str) -> dict[str, str]:
    lines = output.split("Demo partner API keys", 1)[1].splitlines()[1:]
    return {parts[0]: parts[1] for parts in (line.split() for line in lines)
            if len(parts) == 2 and parts[1].startswith("illms_")}


def test_seed_issues_every_active_partner_a_key_and_prints_it_once():
    from requests_app.models import PartnerApiKey
    from requests_app.partners.keys import authenticate_api_key

    keys = printed_keys(seed())
    active = set(Library.objects.filter(is_member=False, active=True).values_list("symbol", flat=True))
    assert set(keys) == active
    assert all(authenticate_api_key(raw).library.symbol == symbol for symbol, raw in keys.items())
    again = seed()
    assert printed_keys(again) == {} and "not shown again" in again
    assert PartnerApiKey.objects.count() == len(active)


def test_a_demo_partner_talks_to_the_demo_library_with_its_printed_key(client):
    from requests_app.iso18626 import messages as m
    from requests_app.iso18626 import xml
    from requests_app.partners.outgoing import agency_id
    from tests.interop.test_iso18626_endpoint import iso_request

    keys = printed_keys(seed())
    partner = Library.objects.get(symbol="NFC")
    message = iso_request(Library.objects.get(symbol="DEMO"), partner, rid="NFC-DEMO-1")
    assert message.header.requesting_agency_id == agency_id(partner)
    response = client.post("/iso18626", data=xml.encode(message), content_type="application/xml",
                           HTTP_AUTHORIZATION=f"Bearer {keys['NFC']}")
    assert xml.decode(response.content).header.message_status == m.MessageStatus.OK
    assert client.post("/iso18626", data=xml.encode(message), content_type="application/xml").status_code == 403


def pdf_text(data: bytes) -> str:
    """The PDF's text as ``pdftotext`` reads it, its white space folded."""
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def lending_request(title: str) -> IllRequest:
    return IllRequest.objects.select_related("lending_detail__holding").get(role=Role.LENDING, library__symbol="DEMO",
                                                                             title=title)


def test_seed_catalogues_holdings_for_both_demo_libraries():
    seed()
    assert Holding.objects.filter(library__symbol="DEMO").count() >= 10
    assert Holding.objects.filter(library__symbol="DEMO2").exists()


def test_a_seeded_lending_request_is_found_on_our_shelves():
    seed()
    detail = lending_request("Capital in the Twenty-First Century").lending_detail
    assert detail.match_kind == MatchKind.ISBN
    assert (detail.holding.call_number, detail.holding.location) == ("HB501 .P43613 2014", "Main library, stacks")


def test_a_seeded_lending_request_for_an_item_we_lack_reads_not_held():
    seed()
    detail = lending_request("A Mathematical Theory of Communication").lending_detail
    assert detail.holding is None and detail.match_kind == MatchKind.NONE


def test_a_seeded_pull_slip_prints_the_call_number_and_location():
    seed()
    text = pdf_text(pull_slips([lending_request("Capital in the Twenty-First Century")]))
    assert "HB501 .P43613 2014" in text and "Main library, stacks" in text
    assert "not in our holdings" not in text


def test_seed_charges_partners_for_what_the_demo_library_supplied():
    seed()
    owed = Charge.objects.filter(direction=Direction.RECEIVABLE, amount__gt=0)
    assert owed.exists()
    assert {"USD", "GBP"} <= set(owed.values_list("currency", flat=True))
    waived = Charge.objects.filter(direction=Direction.RECEIVABLE, partner__symbol="NFC").get()
    assert waived.status == ChargeStatus.WAIVED and "reciprocal" in waived.note


def test_seeded_charges_are_dated_when_their_item_was_supplied():
    seed()
    charges = Charge.objects.filter(event__isnull=False).select_related("event")
    assert charges.count() >= 5
    assert all(c.incurred_at == c.event.created_at for c in charges)
    assert len({c.incurred_at.date() for c in charges}) >= 5


def test_seed_issues_last_months_invoices_with_their_pdfs():
    seed()
    invoice = Invoice.objects.filter(status=InvoiceStatus.ISSUED, total__gt=0).order_by("pk").first()
    assert invoice is not None and invoice.pdf
    assert invoice.period_end < invoice.issued_on
    with invoice.pdf.open("rb") as stored:
        text = pdf_text(stored.read())
    assert invoice.number in text and invoice.recipient_name in text


def test_the_billing_clerk_downloads_a_seeded_invoice_from_its_page(client):
    seed()
    invoice = Invoice.objects.filter(status=InvoiceStatus.ISSUED).order_by("pk").first()
    assert client.login(username="billing", password=DEFAULT_PASSWORD)
    page = client.get(f"/billing/invoices/{invoice.pk}/")
    assert f"/billing/invoices/{invoice.pk}/pdf/" in page.content.decode()
    response = client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert invoice.number in pdf_text(b"".join(response.streaming_content))


def test_every_copy_the_demo_delivers_is_a_stored_pdf():
    seed()
    deliveries = ElectronicDelivery.objects.select_related("request")
    assert deliveries.count() >= 3
    for delivery in deliveries:
        with default_storage.open(delivery.file.name, "rb") as stored:
            data = stored.read()
        assert data.startswith(b"%PDF-") and len(data) == delivery.size
        assert delivery.request.title.split(":")[0] in pdf_text(data)


def test_the_branch_library_scans_the_copies_its_own_staff_deliver():
    seed()
    delivery = ElectronicDelivery.objects.filter(request__library__symbol="DEMO2").first()
    assert delivery.created_by.username == "docdel"
    borrowing = IllRequest.objects.get(role=Role.BORROWING, partner__symbol="DEMO2",
                                       requesting_agency_request_id=delivery.request.requesting_agency_request_id)
    assert borrowing.status == BorrowingStatus.DELIVERED


def test_the_patron_downloads_the_copy_on_his_request_page(client):
    seed()
    request = IllRequest.objects.get(role=Role.BORROWING, patron__username="aokafor",
                                      status=BorrowingStatus.DELIVERED)
    assert client.login(username="aokafor", password=DEFAULT_PASSWORD)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert f"/requests/{request.pk}/copy/" in page
    response = client.get(f"/requests/{request.pk}/copy/", follow=True)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF-") and "The structure of proteins" in pdf_text(data)
    assert request.patron_downloads.get().download_count == 1


def test_the_demo_download_links_point_at_the_site_given(client):
    seed("--site-url", "https://ill.example.edu/")
    link = PatronDownload.objects.filter(request__patron__username="aokafor").get()
    assert link.url.startswith("https://ill.example.edu/delivery/")


def test_a_site_url_that_is_not_http_is_refused_and_changes_nothing():
    with pytest.raises(CommandError, match="http"):
        seed("--site-url", "ftp://ill.example.edu")
    assert not Library.objects.exists()


def test_seed_loads_the_patrons_expiry_dates_from_the_student_system_once():
    seed()
    seed()
    load = PatronLoad.objects.get(library__symbol="DEMO")
    assert (load.status, load.updated, load.failed) == (PatronLoadStatus.DONE, len(PATRONS), 1)
    assert not PatronProfile.objects.filter(library__symbol="DEMO", expires_on__isnull=True).exists()
