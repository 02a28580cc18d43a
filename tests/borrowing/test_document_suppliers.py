"""Commercial document suppliers: in the rota for copies, ordered by e-mail or API, the copy delivered to the
patron through our downloads, the price and copyright fee charged to the budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.models import Charge, Direction, Service
from billing.selectors import budget_statuses
from borrowing.models import (
    CopyrightRecord,
    DocumentSupplier,
    PatronDownload,
    RotaEntry,
    RotaStatus,
    SupplierOrder,
    SupplierOrderStatus,
    SupplierPrice,
)
from borrowing.services import rota, suppliers
from borrowing.states import BorrowingStatus
from borrowing.tasks import follow_supplier_api_orders
from requests_app import roles
from requests_app.models import Event, IllRequest, OutgoingEmail, RequestFormat, ServiceType
from requests_app.utilities import credentials
from requests_app.workflow import Actor, WorkflowError
from tests.billing.factories import BudgetFactory
from tests.borrowing.supplier_stub import SupplierApiStub, small_pdf
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", country="US", currency="USD", email="ill@home.example")


@pytest.fixture
def supplier_api():
    """Starts a supplier's API (``SupplierApiStub``) in the mode asked for; every one is stopped after the test."""
    started: list[SupplierApiStub] = []

    def start(mode: str) -> SupplierApiStub:
        started.append(SupplierApiStub(mode))
        return started[-1]

    yield start
    for stub in started:
        stub.stop()


def make_supplier(library, *, code="BLOD", price="18.00", hours=24, fee_included=True, fee="0", **fields):
    supplier = DocumentSupplier.objects.create(
        library=library, name=fields.pop("name", "British Library On Demand"), code=code, country="GB",
        currency="USD", account_number="ACC-4711", order_email=fields.pop("order_email", "orders@blod.example"),
        copyright_fee_included=fee_included, copyright_fee=Decimal(fee), **fields)
    SupplierPrice.objects.create(supplier=supplier, format=RequestFormat.ARTICLE, speed="standard",
                                 price=Decimal(price), delivery_hours=hours)
    return supplier


def article(home, **fields) -> IllRequest:
    fields.setdefault("partner", None)
    fields.setdefault("status", BorrowingStatus.SOURCING)
    return IllRequestFactory(library=home, format=RequestFormat.ARTICLE, service_type=ServiceType.COPY,
                             title="Ribosome structure", container_title="Nature", issn="0028-0836",
                             volume="601", pages="12-19", publication_date="2024", doi="10.1038/example",
                             **fields)


def staff_of(library):
    return StaffFactory(library=library, groups=[roles.BORROWING_STAFF])


def upload(client, request, content=None):
    return client.post(reverse("borrowing_staff:action", args=[request.pk, "supplier_delivered"]), {
        "expected_status": BorrowingStatus.SUPPLIER_ORDERED,
        "document": SimpleUploadedFile("copy.pdf", content or small_pdf(), "application/pdf"),
    })


# End to end ----------------------------------------------------------------------------------------------------------

def test_a_copy_ordered_by_email_and_uploaded_reaches_the_patron_and_the_budget(
        client, home, django_capture_on_commit_callbacks):
    budget = BudgetFactory(library=home, starts_on=timezone.localdate() - dt.timedelta(days=30),
                           ends_on=timezone.localdate() + dt.timedelta(days=300), amount=Decimal("500"))
    supplier = make_supplier(home, fee_included=False, fee="4.50")
    request = article(home)
    client.force_login(staff_of(home))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("borrowing_staff:action", args=[request.pk, "order_from_supplier"]), {
            "expected_status": BorrowingStatus.SOURCING, "supplier": supplier.pk,
            "speed": ""})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUPPLIER_ORDERED
    email = OutgoingEmail.objects.get(kind="supplier-order")
    assert email.recipient == "orders@blod.example"
    assert "ACC-4711" in email.body_text and "Ribosome structure" in email.body_text and "Nature" in email.body_text
    assert f"{request.number}-S" in email.subject

    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, request).status_code == 302
    request.refresh_from_db()
    assert request.status == BorrowingStatus.DELIVERED
    assert OutgoingEmail.objects.filter(kind="copy-delivered", request=request).exists()

    client.force_login(request.patron)
    downloaded = client.get(reverse("patron-request-copy", args=[request.pk]))
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content).startswith(b"%PDF-")
    assert PatronDownload.objects.get(request=request).download_count == 1

    charges = {c.service: c for c in Charge.objects.filter(request=request, direction=Direction.PAYABLE)}
    assert (charges[Service.COPY].amount, charges[Service.COPYRIGHT].amount) == (Decimal("18"), Decimal("4.5"))
    assert "BLOD" in charges[Service.COPY].note
    [status] = budget_statuses(library=home)
    assert status.budget == budget
    assert status.spent == Decimal("22.50")


def test_an_api_supplier_takes_the_order_and_its_copy_reaches_the_patron(
        client, home, settings, supplier_api, django_capture_on_commit_callbacks):
    stub = supplier_api("deliver")
    supplier = make_supplier(home, code="RD", name="Reprints Desk", order_email="", api_base_url=stub.url)
    suppliers.save_api_key(supplier=supplier, key="secret-key")
    request = article(home)
    with django_capture_on_commit_callbacks(execute=True):
        suppliers.order_from_supplier(request=request, actor=Actor.staff(staff_of(home)), supplier=supplier)
    order = SupplierOrder.objects.get(request=request)
    assert (order.channel, order.supplier_reference, order.api_placed_at is not None) == ("api", "RD-1", True)
    [sent] = stub.orders
    assert sent["account"] == "ACC-4711" and sent["citation"]["doi"] == "10.1038/example"
    assert stub.headers[0]["Authorization"] == "Bearer secret-key"
    assert not OutgoingEmail.objects.filter(kind="supplier-order").exists()

    later = (timezone.now() + dt.timedelta(minutes=settings.ILLMS_SUPPLIER_POLL_MINUTES + 1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert follow_supplier_api_orders(later)["delivered"] == 1
    request.refresh_from_db()
    assert request.status == BorrowingStatus.DELIVERED
    client.force_login(request.patron)
    downloaded = client.get(reverse("patron-request-copy", args=[request.pk]))
    assert b"".join(downloaded.streaming_content) == stub.pdf
    assert Charge.objects.get(request=request, service=Service.COPY).amount == Decimal("18")
    assert not Charge.objects.filter(request=request, service=Service.COPYRIGHT).exists()  # included


# The rota ------------------------------------------------------------------------------------------------------------

def test_a_supplier_sits_in_the_rota_of_a_copy_with_its_cost_and_delivery_time_in_its_reasons(home):
    LibraryFactory(symbol="PARTNER", copy_fee=Decimal("0"))
    make_supplier(home, hours=6)
    entries = rota.build_rota(request=article(home))
    [entry] = [e for e in entries if e.supplier_id]
    assert (entry.lender_id, entry.fee, entry.turnaround_days) == (None, Decimal("18.00"), 0.25)
    assert entry.reasons[0].startswith("commercial document supplier: standard delivery in about 6 h, price 18.00 USD")
    assert any(r.startswith("fee 18.00 against the dearest 18.00") for r in entry.reasons)
    assert "its stated delivery time, 0.2 days: +19.6" in entry.reasons
    assert {e.lender.symbol for e in entries if e.lender_id} == {"PARTNER"}


def test_a_supplier_is_not_in_the_rota_of_a_book(home):
    make_supplier(home)
    book = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    assert not any(e.supplier_id for e in rota.build_rota(request=book))


def test_a_supplier_dearer_than_the_patrons_maximum_is_left_out_of_the_rota(home):
    make_supplier(home, price="40.00")
    assert not any(e.supplier_id for e in rota.build_rota(request=article(home, max_cost=Decimal("25"))))


def test_a_supplier_not_in_the_rota_or_of_another_library_is_never_ranked(home):
    make_supplier(home, in_rota=False)
    make_supplier(MemberLibraryFactory(), code="OTHER")
    assert not any(e.supplier_id for e in rota.build_rota(request=article(home)))


def test_when_its_turn_comes_the_supplier_is_ordered_from_as_a_lender_is_sent_to(
        home, django_capture_on_commit_callbacks):
    supplier = make_supplier(home)
    request = article(home)
    rota.build_rota(request=request)
    with django_capture_on_commit_callbacks(execute=True):
        rota.send_to_next_lender(request=request, actor=Actor.system("rota"))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUPPLIER_ORDERED
    assert RotaEntry.objects.get(request=request, supplier=supplier).status == RotaStatus.SENT
    event = Event.objects.get(request=request, action="order_from_supplier")
    assert (event.data["supplier_code"], event.data["price"]) == ("BLOD", "18.00")


def test_a_supplier_that_cannot_supply_sends_the_request_on_to_the_next_in_the_rota(
        home, django_capture_on_commit_callbacks):
    supplier = make_supplier(home, price="0.00")  # free: first in the rota
    LibraryFactory(symbol="NEXT", copy_fee=Decimal("5"))
    request = article(home)
    rota.build_rota(request=request)
    assert rota.rota_of(request)[0].supplier == supplier
    with django_capture_on_commit_callbacks(execute=True):
        rota.send_to_next_lender(request=request, actor=Actor.system("rota"))
    with django_capture_on_commit_callbacks(execute=True):
        suppliers.supplier_failed(request=IllRequest.objects.get(pk=request.pk), actor=Actor.staff(staff_of(home)),
                                  reason="Not in their collection")
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "NEXT")
    entry = RotaEntry.objects.get(request=request, supplier=supplier)
    assert (entry.status, entry.reason) == (RotaStatus.UNFILLED, "Not in their collection")
    assert SupplierOrder.objects.get(request=request).status == SupplierOrderStatus.FAILED


def test_an_api_that_refuses_the_order_fails_it_and_the_rota_goes_on(home, supplier_api,
                                                                     django_capture_on_commit_callbacks):
    stub = supplier_api("refuse")
    supplier = make_supplier(home, order_email="", api_base_url=stub.url, price="0.00")
    LibraryFactory(symbol="NEXT", copy_fee=Decimal("5"))
    request = article(home)
    rota.build_rota(request=request)
    with django_capture_on_commit_callbacks(execute=True):
        rota.send_to_next_lender(request=request, actor=Actor.system("rota"))
    request.refresh_from_db()
    assert (request.status, request.partner.symbol) == (BorrowingStatus.SENT, "NEXT")
    order = SupplierOrder.objects.get(request=request, supplier=supplier)
    assert order.status == SupplierOrderStatus.FAILED
    assert "Title not in our collection" in order.failure_reason


def ordered_by_api(home, stub, capture_on_commit) -> SupplierOrder:
    """An article ordered by staff from an API supplier answering at ``stub``, the order placed after commit."""
    supplier = make_supplier(home, order_email="", api_base_url=stub.url)
    request = article(home)
    with capture_on_commit(execute=True):
        suppliers.order_from_supplier(request=request, actor=Actor.staff(staff_of(home)), supplier=supplier)
    return SupplierOrder.objects.get(request=request)


def test_an_api_that_is_down_is_asked_again_after_a_back_off_not_failed(home, supplier_api,
                                                                        django_capture_on_commit_callbacks):
    stub = supplier_api("down")
    order = ordered_by_api(home, stub, django_capture_on_commit_callbacks)
    assert (order.status, order.api_attempts, order.api_placed_at) == (SupplierOrderStatus.ORDERED, 1, None)
    assert order.api_next_at > timezone.now()
    assert "503" in order.last_error
    assert follow_supplier_api_orders() == {"placed": 0, "delivered": 0, "failed": 0}  # not due yet
    stub.mode = "deliver"
    assert follow_supplier_api_orders((order.api_next_at + dt.timedelta(seconds=1)).isoformat())["placed"] == 1
    assert SupplierOrder.objects.get(pk=order.pk).supplier_reference == "RD-1"


def test_placing_an_api_order_twice_sends_it_once(home, supplier_api,
                                                  django_capture_on_commit_callbacks):
    stub = supplier_api("deliver")
    order = ordered_by_api(home, stub, django_capture_on_commit_callbacks)
    assert suppliers.place_api_order(order.pk) is False
    assert len(stub.orders) == 1


# Copyright -----------------------------------------------------------------------------------------------------------

def test_a_copy_waiting_for_clearance_is_cleared_by_the_suppliers_copyright_fee(
        client, home, django_capture_on_commit_callbacks):
    supplier = make_supplier(home, fee_included=False, fee="3.00")
    request = article(home, status=BorrowingStatus.AWAITING_COPYRIGHT)
    CopyrightRecord.objects.create(request=request, library=home, journal_key="0028-0836", request_year=2026,
                                   compliance="", counted=True)
    client.force_login(staff_of(home))
    with django_capture_on_commit_callbacks(execute=True):
        suppliers.order_from_supplier(request=request, actor=Actor.staff(staff_of(home)), supplier=supplier)
        upload(client, request)
    record = CopyrightRecord.objects.get(request=request)
    assert (record.compliance, record.clearance_fee) == ("CCL", Decimal("3.00"))
    assert "paid through British Library On Demand" in record.exception_note
    assert IllRequest.objects.get(pk=request.pk).copyright_compliance == "CCL"


def test_a_publishers_own_copyright_fee_replaces_the_default(home):
    supplier = make_supplier(home, fee_included=False, fee="3.00", publisher_fees="Springer Nature = 9.75\n")
    offer = suppliers.quote(supplier, article(home, publisher="Springer Nature Ltd"))
    assert (offer.copyright_fee, offer.total) == (Decimal("9.75"), Decimal("27.75"))


# Bad input and scoping -----------------------------------------------------------------------------------------------

def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_changes(client, home, django_capture_on_commit_callbacks):
    supplier = make_supplier(home)
    request = article(home)
    suppliers.order_from_supplier(request=request, actor=Actor.staff(staff_of(home)), supplier=supplier)
    client.force_login(staff_of(home))
    response = upload(client, request, content=b"<html>not a pdf</html>")
    assert "not a PDF" in response.content.decode()
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUPPLIER_ORDERED
    assert not PatronDownload.objects.exists()
    assert not Charge.objects.filter(request=request).exists()
    assert SupplierOrder.objects.get(request=request).status == SupplierOrderStatus.ORDERED


def test_another_librarys_supplier_cannot_be_ordered_from(client, home):
    theirs = make_supplier(MemberLibraryFactory(), code="THEIRS")
    make_supplier(home)
    request = article(home)
    client.force_login(staff_of(home))
    response = client.post(reverse("borrowing_staff:action", args=[request.pk, "order_from_supplier"]), {
        "expected_status": BorrowingStatus.SOURCING, "supplier": theirs.pk})
    assert response.status_code == 400
    with pytest.raises(WorkflowError):
        suppliers.order_from_supplier(request=request, actor=Actor.staff(staff_of(home)), supplier=theirs)
    assert IllRequest.objects.get(pk=request.pk).status == BorrowingStatus.SOURCING
    assert not SupplierOrder.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_the_request_page_offers_only_our_own_suppliers_with_their_price_and_delivery_time(client, home):
    make_supplier(home)
    make_supplier(MemberLibraryFactory(), code="THEIRS", name="Their Supplier")
    client.force_login(staff_of(home))
    page = client.get(reverse("borrowing_staff:request", args=[article(home).pk])).content.decode()
    assert "British Library On Demand: 18.00 USD, about 24 h (copyright fee included)" in page
    assert "Their Supplier" not in page


@pytest.fixture
def admin_client(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR], is_staff=True))
    return client


def supplier_form(**overrides) -> dict:
    data = {"library": "", "name": "Get It Now", "code": "GIN", "active": "on", "in_rota": "on", "country": "US",
            "currency": "USD", "account_number": "C-1", "order_email": "orders@gin.example", "api_base_url": "",
            "new_api_key": "", "copyright_fee_included": "on", "copyright_fee": "0", "publisher_fees": "",
            "prices-TOTAL_FORMS": "1", "prices-INITIAL_FORMS": "0", "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000", "prices-0-format": "article", "prices-0-speed": "standard",
            "prices-0-price": "15.00", "prices-0-delivery_hours": "4"}
    data.update(overrides)
    return data


def test_an_ill_administrator_configures_a_supplier_with_its_price_list_and_an_encrypted_key(admin_client, home):
    response = admin_client.post(reverse("admin:borrowing_documentsupplier_add"), supplier_form(
        library=home.pk, new_api_key="k-123", api_base_url="https://api.gin.example/v1"))
    assert response.status_code == 302, response.content.decode()[:3000]
    supplier = DocumentSupplier.objects.get(code="GIN")
    assert supplier.library == home
    assert supplier.prices.get().price == Decimal("15.00")
    assert supplier.api_key != "k-123" and credentials.decrypt(supplier.api_key) == "k-123"


@pytest.mark.parametrize("bad", [
    {"order_email": "", "api_base_url": ""},
    {"api_base_url": "ftp://api.gin.example/"},
    {"publisher_fees": "Elsevier costs a lot"},
    {"currency": "dollars"},
    {"prices-0-price": "-1"},
    {"copyright_fee_included": "", "copyright_fee": "-2"},
])
def test_bad_supplier_configuration_is_refused_and_changes_nothing(admin_client, home, bad):
    response = admin_client.post(reverse("admin:borrowing_documentsupplier_add"),
                                 supplier_form(library=home.pk, **bad))
    assert response.status_code == 200
    assert not DocumentSupplier.objects.exists()


def test_the_admin_lists_only_our_own_librarys_suppliers(admin_client, home):
    make_supplier(home)
    make_supplier(MemberLibraryFactory(), code="THEIRS", name="Their Supplier")
    page = admin_client.get(reverse("admin:borrowing_documentsupplier_changelist")).content.decode()
    assert "British Library On Demand" in page and "Their Supplier" not in page


def test_a_patron_cannot_download_another_patrons_supplier_copy(client, home, django_capture_on_commit_callbacks):
    supplier = make_supplier(home)
    request = article(home)
    suppliers.order_from_supplier(request=request, actor=Actor.staff(staff_of(home)), supplier=supplier)
    suppliers.deliver_from_supplier(request=IllRequest.objects.get(pk=request.pk), actor=Actor.staff(staff_of(home)),
                                    document=small_pdf())
    client.force_login(PatronFactory(profile__library=home))
    assert client.get(reverse("patron-request-copy", args=[request.pk])).status_code == 404
