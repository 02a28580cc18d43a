"""Factories for lending's tables, and a helper for a lending request from a partner that speaks ISO 18626."""

from __future__ import annotations

import factory

from lending.models import Holding, HoldingFormat
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory


class HoldingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holding

    library = factory.SubFactory(MemberLibraryFactory)
    title = factory.Sequence(lambda n: f"The Structure of Scientific Revolutions, part {n}")
    author = "Kuhn, Thomas S."
    call_number = factory.Sequence(lambda n: f"Q175 .K95 {n}")
    location = "Main stacks"
    barcode = factory.Sequence(lambda n: f"3901500{n:07d}")
    format = HoldingFormat.BOOK


class IsoPartnerFactory(LibraryFactory):
    """A partner outside this installation with an ISO 18626 endpoint: our answers go to its outbox."""

    iso18626_endpoint = "https://partner.example.org/iso18626"


class IncomingRequestFactory(LendingRequestFactory):
    """A lending request from an ISO 18626 partner, in status ``new`` unless told otherwise."""

    partner = factory.SubFactory(IsoPartnerFactory)
