"""Lending policies: automatic answers from the library's policy, and our rules for one partner as warnings."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from billing.models import Invoice, InvoiceStatus
from lending.models import PartnerLendingRule
from lending.services import edelivery
from lending.services.availability import check_availability
from lending.states import LendingStatus
from requests_app.models import IllRequest
from requests_app.policies import save_policy
from requests_app.services import perform, receive_partner_request
from requests_app.workflow import Actor
from tests.factories import MemberLibraryFactory, StaffFactory
from tests.lending.factories import HoldingFactory, IncomingRequestFactory, IsoPartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(db):
    return MemberLibraryFactory(symbol="LND", loan_period_days=28)


def set_policy(library, **values):
    save_policy(library=library, values=values, actor=None, area="test")


def ask_renewal(request, capture):
    with capture(execute=True):
        perform(request=request, action="borrower_renewal_request", actor=Actor.partner(request.partner))


def test_not_held_is_answered_automatically_when_the_librarys_policy_says_so(library, settings,
                                                                             django_capture_on_commit_callbacks):
    settings.ILLMS_AUTO_UNFILL_NOT_HELD = False
    set_policy(library, auto_unfill_not_held=True)
    with django_capture_on_commit_callbacks(execute=True):
        request, _ = receive_partner_request(library=library, partner=IsoPartnerFactory(),
                                             requesting_agency_request_id="R-1", title="Nothing we own")
    request.refresh_from_db()
    assert request.status == LendingStatus.UNFILLED


def test_a_library_policy_can_turn_automatic_not_held_off(library, settings):
    settings.ILLMS_AUTO_UNFILL_NOT_HELD = True
    set_policy(library, auto_unfill_not_held=False)
    request = IncomingRequestFactory(library=library, title="Nothing we own")
    check_availability(request=request)
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW


def test_renewals_are_granted_automatically_per_the_librarys_policy(library, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.ILLMS_LENDING_AUTO_RENEW = False
    set_policy(library, lending_auto_renew=True, max_renewals=1)
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1))
    ask_renewal(request, django_capture_on_commit_callbacks)
    assert IllRequest.objects.get(pk=request.pk).renewal_count == 1
    ask_renewal(IllRequest.objects.get(pk=request.pk), django_capture_on_commit_callbacks)
    assert IllRequest.objects.get(pk=request.pk).renewal_count == 1  # the policy's limit of one
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None


def test_no_automatic_renewal_for_a_partner_we_no_longer_lend_to(library, django_capture_on_commit_callbacks):
    set_policy(library, lending_auto_renew=True)
    request = IncomingRequestFactory(library=library, status=LendingStatus.SHIPPED, due_date=dt.date(2027, 3, 1))
    PartnerLendingRule.objects.create(library=library, partner=request.partner, lends_loans=False)
    ask_renewal(request, django_capture_on_commit_callbacks)
    assert IllRequest.objects.get(pk=request.pk).renewal_count == 0
    assert IllRequest.objects.get(pk=request.pk).renewal_requested_at is not None


def test_a_partner_we_do_not_lend_loans_to_gets_a_warning_not_a_refusal(library):
    partner = IsoPartnerFactory(symbol="NOLOANS")
    PartnerLendingRule.objects.create(library=library, partner=partner, lends_loans=False, note="Lost two books")
    HoldingFactory(library=library, title="Moby-Dick", author="Melville, Herman")
    request = IncomingRequestFactory(library=library, partner=partner, title="Moby-Dick", author="Herman Melville")
    detail = check_availability(request=request)
    assert "Our rule for NOLOANS: we do not lend them returnables." in detail.warnings
    assert "Note on NOLOANS: Lost two books" in detail.warnings
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW


def test_a_partner_rule_on_copies_leaves_loans_alone(library):
    partner = IsoPartnerFactory()
    PartnerLendingRule.objects.create(library=library, partner=partner, lends_copies=False)
    request = IncomingRequestFactory(library=library, partner=partner, title="A book")
    assert check_availability(request=request).warnings == []


def test_a_partners_own_loan_limit_replaces_ours(library):
    library.max_loans_outstanding = 10
    library.save()
    partner = IsoPartnerFactory(symbol="BUSY")
    PartnerLendingRule.objects.create(library=library, partner=partner, max_loans_outstanding=1)
    IncomingRequestFactory(library=library, partner=partner, status=LendingStatus.SHIPPED)
    detail = check_availability(request=IncomingRequestFactory(library=library, partner=partner))
    assert "BUSY already has 1 of our items on loan (our limit is 1)." in detail.warnings


def invoice(library, partner, *, due_on: dt.date, status=InvoiceStatus.ISSUED, n=1) -> Invoice:
    return Invoice.objects.create(
        library=library, partner=partner, sequence=n, number=f"INV-{n}", status=status,
        period_start=dt.date(2026, n, 1), period_end=dt.date(2026, n, 28), currency="USD",
        issuer_name=library.name, issuer_address="1 Main St", recipient_name=partner.name,
        recipient_address="2 High St", recipient_symbol=partner.symbol, issued_on=due_on - dt.timedelta(days=30),
        due_on=due_on)


def test_a_partner_with_an_invoice_unpaid_past_the_rules_days_gets_a_warning(library):
    partner = IsoPartnerFactory(symbol="DEBTOR")
    PartnerLendingRule.objects.create(library=library, partner=partner, block_unpaid_after_days=30)
    invoice(library, partner, due_on=timezone.localdate() - dt.timedelta(days=45))
    detail = check_availability(request=IncomingRequestFactory(library=library, partner=partner))
    assert any(w.startswith("DEBTOR has 1 unpaid invoice(s) of ours") for w in detail.warnings)


def test_a_paid_or_recent_invoice_gives_no_warning(library):
    partner = IsoPartnerFactory()
    PartnerLendingRule.objects.create(library=library, partner=partner, block_unpaid_after_days=30)
    invoice(library, partner, due_on=timezone.localdate() - dt.timedelta(days=10), n=1)
    invoice(library, partner, due_on=timezone.localdate() - dt.timedelta(days=90), status=InvoiceStatus.PAID, n=2)
    assert check_availability(request=IncomingRequestFactory(library=library, partner=partner)).warnings == []


def test_a_partners_loan_period_replaces_ours_when_we_ship(library):
    partner = IsoPartnerFactory()
    PartnerLendingRule.objects.create(library=library, partner=partner, loan_period_days=14)
    request = IncomingRequestFactory(library=library, partner=partner, status=LendingStatus.AWAITING_SHIPPING)
    perform(request=request, action="ship", actor=Actor.staff(StaffFactory(library=library)))
    request.refresh_from_db()
    assert request.due_date == timezone.localdate() + dt.timedelta(days=14)


def scan() -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile("scan.pdf", out.getvalue())


def test_a_copy_we_send_gets_the_librarys_link_days_and_downloads(library):
    set_policy(library, edelivery_days=10, edelivery_max_downloads=1)
    request = IncomingRequestFactory(library=library, format="article", service_type="Copy",
                                     container_title="Nature", status=LendingStatus.AWAITING_SHIPPING)
    before = timezone.now()
    delivery = edelivery.deliver_copy(request=request, actor=Actor.staff(StaffFactory(library=library)),
                                      upload=scan(), base_url="https://ill.example.org/")
    assert delivery.max_downloads == 1
    assert dt.timedelta(days=10) <= delivery.expires_at - before < dt.timedelta(days=10, minutes=1)
