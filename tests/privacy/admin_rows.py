"""One row of every table the admin shows, for one member library: what its admin walk looks for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from billing.models import (
    BillingSettings,
    Budget,
    Charge,
    Direction,
    ExchangeRate,
    FeeSchedule,
    Invoice,
    Payment,
    Service,
)
from borrowing.models import (
    CopyrightRecord,
    DocumentSupplier,
    PatronDownload,
    PurchaseOrder,
    PurchaseRule,
    PurchaseVendor,
    ReminderLog,
    ReturnShipment,
    RotaEntry,
    SupplierOrder,
)
from borrowing.states import BorrowingStatus
from lending.models import ElectronicDelivery, Holding, HoldingsImport, LendingDetail, PartnerLendingRule
from requests_app import privacy
from requests_app.models import (
    EmailTemplate,
    Event,
    IllRequest,
    InboundMessage,
    Library,
    LibraryPolicy,
    MonthlyFigure,
    NcipCall,
    NcipConnection,
    OutboxMessage,
    OutgoingEmail,
    PartnerApiKey,
    PatronLoad,
    PatronLoadError,
    PatronLoadSettings,
    PatronProfile,
    PatronRecordAccess,
    PolicyChange,
    RollupState,
    SavedQueueView,
    StaffProfile,
    Transport,
)
from requests_app.partners import keys
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, PatronFactory, StaffFactory

TODAY = dt.date(2026, 3, 2)


def rows_of(library: Library) -> dict[type, object]:
    """A row of ``library`` in every table with an admin, keyed by model."""
    partner = LibraryFactory()
    patron = PatronFactory(profile__library=library)
    staff = StaffFactory(library=library)
    borrowing = IllRequestFactory(library=library, partner=partner, patron=patron, status=BorrowingStatus.SHIPPED)
    lending = LendingRequestFactory(library=library, partner=partner)
    invoice = Invoice.objects.create(
        library=library, partner=partner, sequence=1, number=f"{library.symbol}-2026-1", period_start=TODAY,
        period_end=TODAY, currency="USD", issuer_name=library.name, issuer_address="1 Main St",
        recipient_name=partner.name, recipient_address="2 Side St", recipient_symbol=partner.symbol)
    holding = Holding.objects.create(library=library, title="Gödel, Escher, Bach", title_key="godel escher bach")
    vendor = PurchaseVendor.objects.create(library=library, name="Dawson Books", order_email="orders@dawson.example",
                                           currency="EUR")
    delivery = ElectronicDelivery.objects.create(request=lending, file="lending/edelivery/x.pdf",
                                                 token=f"token-{library.symbol}",
                                                 expires_at=timezone.now() + dt.timedelta(days=5), max_downloads=5)
    key, _raw = keys.issue_api_key(library=library, name="ILL system")
    load = PatronLoad.objects.create(library=library, file="patron-loads/p.csv", file_format="csv")
    supplier = DocumentSupplier.objects.create(library=library, name="Document Supplier", code="DS",
                                               account_number="A1", order_email="orders@supplier.example")
    return {
        Library: library,
        get_user_model(): patron,
        PatronProfile: PatronProfile.objects.get(user=patron),
        StaffProfile: StaffProfile.objects.get(user=staff),
        IllRequest: borrowing,
        Event: Event.objects.create(request=borrowing, action="create", to_status=BorrowingStatus.SUBMITTED,
                                    actor_kind="patron", actor_user=patron),
        PartnerApiKey: key,
        OutboxMessage: OutboxMessage.objects.create(request=borrowing, sender=library, recipient=partner,
                                                    kind="request", summary="Request", payload={},
                                                    transport=Transport.LOCAL),
        OutgoingEmail: OutgoingEmail.objects.create(library=library, request=borrowing, kind="note",
                                                    key=f"note:{library.symbol}", recipient=patron.email,
                                                    subject="About your request", body_text="Hello"),
        InboundMessage: InboundMessage.objects.create(sender=partner, fingerprint=f"fp-{library.symbol}",
                                                      kind="supplyingAgencyMessage", request=borrowing,
                                                      confirmation={}),
        LibraryPolicy: LibraryPolicy.objects.get_or_create(library=library)[0],
        PolicyChange: PolicyChange.objects.create(library=library, area="borrowing", changes={}),
        EmailTemplate: EmailTemplate.objects.create(library=library, kind="ready-for-pickup", subject="Ready",
                                                    body_text="Your book is here."),
        PatronRecordAccess: privacy.log_patron_access(staff, request=borrowing, what="a test"),
        FeeSchedule: FeeSchedule.objects.create(library=library, direction=Direction.RECEIVABLE,
                                                service=Service.LOAN, amount=Decimal("10"), currency="USD",
                                                effective_from=TODAY),
        Budget: Budget.objects.create(library=library, fiscal_year="FY2026", starts_on=TODAY,
                                      ends_on=TODAY + dt.timedelta(days=365), amount=Decimal("1000"),
                                      currency="USD"),
        ExchangeRate: ExchangeRate.objects.create(library=library, currency="EUR", base_currency="USD",
                                                  rate=Decimal("1.08"), valid_from=TODAY),
        BillingSettings: BillingSettings.objects.create(library=library),
        Charge: Charge.objects.create(library=library, partner=partner, patron=patron, request=borrowing,
                                      direction=Direction.PATRON, service=Service.LOAN, amount=Decimal("5"),
                                      original_amount=Decimal("5"), currency="USD"),
        Invoice: invoice,
        Payment: Payment.objects.create(invoice=invoice, amount=Decimal("5"), received_on=TODAY),
        RotaEntry: RotaEntry.objects.create(request=borrowing, lender=partner, position=1),
        CopyrightRecord: CopyrightRecord.objects.create(request=borrowing, library=library, journal_key="1234-5679",
                                                        request_year=2026),
        ReminderLog: ReminderLog.objects.create(request=borrowing, stage="before", due_date=TODAY, sent_on=TODAY),
        PatronDownload: PatronDownload.objects.create(request=borrowing, url="https://lender.example.org/f",
                                                      expires_at=timezone.now() + dt.timedelta(days=30),
                                                      max_downloads=5),
        ReturnShipment: ReturnShipment.objects.create(request=borrowing, carrier="UPS", tracking_number="1Z999"),
        PurchaseVendor: vendor,
        PurchaseRule: PurchaseRule.objects.create(library=library, name="Recent books"),
        PurchaseOrder: PurchaseOrder.objects.create(request=borrowing, library=library, vendor=vendor,
                                                    number=f"PO-{borrowing.pk}", unit_price=Decimal("45"),
                                                    currency="EUR", marc_record=b"", csv_text=""),
        DocumentSupplier: supplier,
        SupplierOrder: SupplierOrder.objects.create(request=borrowing, supplier=supplier, channel="email",
                                                    price=Decimal("18"), currency="USD"),
        Holding: holding,
        HoldingsImport: HoldingsImport.objects.create(library=library, file="lending/holdings-imports/h.csv",
                                                      file_format="csv"),
        LendingDetail: LendingDetail.objects.create(request=lending, holding=holding),
        ElectronicDelivery: delivery,
        PartnerLendingRule: PartnerLendingRule.objects.create(library=library, partner=partner),
        PatronLoad: load,
        PatronLoadError: PatronLoadError.objects.create(load=load, line=2, message="No such category"),
        PatronLoadSettings: PatronLoadSettings.objects.create(library=library),
        SavedQueueView: SavedQueueView.objects.create(owner=staff, library=library, queue="borrowing",
                                                      name="Mine"),
        NcipConnection: NcipConnection.objects.create(library=library),
        NcipCall: NcipCall.objects.create(request=borrowing, library=library, service="AcceptItem"),
        MonthlyFigure: MonthlyFigure.objects.create(library=library, month=TODAY.replace(day=1), kind="made",
                                                    role="borrowing", count=1, computed_at=timezone.now()),
        # The rollup's progress is the installation's, one row: superusers only.
        RollupState: RollupState.objects.get_or_create(pk=1)[0],
    }
