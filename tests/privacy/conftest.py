"""A patron with unmistakable identity and a request that carries it everywhere the purge must reach."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Charge, ChargeAdjustment, Direction, Service
from borrowing.models import CopyrightRecord, RotaEntry, RotaStatus
from borrowing.states import BorrowingStatus
from requests_app.models import (
    ActorKind,
    EmailStatus,
    Event,
    IllRequest,
    Note,
    NoteVisibility,
    OutboxMessage,
    OutgoingEmail,
    PatronCategory,
    PatronRecordAccess,
    Transport,
)
from tests.factories import IllRequestFactory, MemberLibraryFactory, PatronFactory, StaffFactory

NAME = ("Hypatia", "Alexandrou")
EMAIL = "hypatia.alexandrou@example.edu"
USERNAME = "halexandrou"
BARCODE = "29900012345678"
PATRON_NOTE = "Please call me on 555-0199 about my thesis on Diophantus"
#: What must not show where the patron's identity has no business.
TRACES_OF_PATRON = [NAME[0], NAME[1], EMAIL, USERNAME, BARCODE, "555-0199", "Diophantus"]


@dataclasses.dataclass
class PrivacyWorld:
    library: object
    staff: object
    patron: object
    old_request: IllRequest

    def make_request(self, *, days_ago: int, status: str = BorrowingStatus.COMPLETED, patron=None,
                     **fields) -> IllRequest:
        changed = timezone.now() - dt.timedelta(days=days_ago)
        fields = {"patron_category": PatronCategory.GRADUATE, "patron_department": "Classics",
                  "library": self.library, **fields}
        return IllRequestFactory(patron=patron or self.patron, status=status,
                                 status_changed_at=changed, created_at=changed - dt.timedelta(days=10), **fields)


def identity_everywhere(request: IllRequest, patron, staff) -> None:
    """Copy the patron's identity into every side row a request has."""
    full = "Hypatia Alexandrou"
    Note.objects.create(request=request, visibility=NoteVisibility.PATRON, author=staff,
                        text="Dear Hypatia, your book is waiting.")
    Note.objects.create(request=request, visibility=NoteVisibility.INTERNAL, author=patron,
                        text="The patron confirmed this request although it may duplicate B1.")
    Note.objects.create(request=request, visibility=NoteVisibility.INTERNAL, author=staff,
                        text=f"{full} phoned; card {BARCODE}, write to {EMAIL}.", read_by=patron)
    Event.objects.create(request=request, action="create", to_status=BorrowingStatus.SUBMITTED,
                         actor_kind=ActorKind.PATRON,
                         actor_user=patron, note="From the discovery layer, says Hypatia")
    Event.objects.create(request=request, action="complete", from_status=BorrowingStatus.RETURNED,
                         to_status=BorrowingStatus.COMPLETED,
                         actor_kind=ActorKind.STAFF, actor_user=staff, note=f"Returned by {full}",
                         data={"contact": EMAIL, "nested": [{"who": USERNAME}], "count": 3})
    OutboxMessage.objects.create(request=request, sender=request.library, recipient=request.partner,
                                 kind="requestingAgencyMessage", summary="Notification", transport=Transport.LOCAL,
                                 payload={"note": f"For {full} ({BARCODE})"})
    OutgoingEmail.objects.create(library=request.library, request=request, kind="note", key=f"note:{request.pk}",
                                 recipient=EMAIL, subject="A message about your request",
                                 body_text="Dear Hypatia, your book is waiting.", status=EmailStatus.SENT,
                                 handed_over_at=timezone.now())
    CopyrightRecord.objects.create(request=request, library=request.library, journal_key="1234-5679",
                                   request_year=2026, exception_note=f"Alexandrou holds a licence, {EMAIL}")
    RotaEntry.objects.create(request=request, lender=request.partner, position=1, status=RotaStatus.SUPPLIED,
                             reason=f"Asked by {USERNAME}")
    charge = Charge.objects.create(library=request.library, partner=request.partner, patron=patron, request=request,
                                   direction=Direction.PATRON, service=Service.LOAN, amount=Decimal("5"),
                                   original_amount=Decimal("6"), currency="USD", note=f"Passed on to {full}")
    ChargeAdjustment.objects.create(charge=charge, action=ChargeAdjustment.Action.ADJUST, old_amount=Decimal("6"),
                                    new_amount=Decimal("5"), reason=f"Hypatia is a student ({BARCODE})", actor=staff)
    PatronRecordAccess.objects.create(staff=staff, patron=patron, request=request, what="borrowing request detail",
                                      path=f"/borrowing/requests/{request.pk}/")


def make_world() -> PrivacyWorld:
    library = MemberLibraryFactory()
    staff = StaffFactory(library=library, first_name="Sam", last_name="Desk")
    patron = PatronFactory(username=USERNAME, first_name=NAME[0], last_name=NAME[1], email=EMAIL,
                           profile__library=library, profile__card_barcode=BARCODE,
                           profile__category=PatronCategory.GRADUATE, profile__department="Classics")
    world = PrivacyWorld(library=library, staff=staff, patron=patron, old_request=None)
    world.old_request = world.make_request(days_ago=120, patron_note=PATRON_NOTE)
    identity_everywhere(world.old_request, patron, staff)
    return world


@pytest.fixture
def privacy_world(db) -> PrivacyWorld:
    return make_world()
