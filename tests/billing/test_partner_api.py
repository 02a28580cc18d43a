"""Partners list and download their own invoices through the REST API, and nobody else's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from billing.models import Invoice
from billing.services import create_monthly_invoices
from billing.services.invoices import create_invoice
from requests_app.partners.keys import issue_api_key
from tests.factories import LendingRequestFactory, LibraryFactory, MemberLibraryFactory

from .factories import ReceivableFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.billing.urls")]


def client_for(library) -> APIClient:
    _, raw = issue_api_key(library=library, name="test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def invoice_for(library, partner, day=3, amount="12.50") -> Invoice:
    request = LendingRequestFactory(library=library, partner=partner)
    ReceivableFactory(request=request, amount=Decimal(amount),
                      incurred_at=dt.datetime(2026, 10, day, 12, tzinfo=dt.UTC))
    create_monthly_invoices(now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    return Invoice.objects.get(partner=partner)


@pytest.fixture
def ours():
    return MemberLibraryFactory()


def test_a_partner_lists_only_its_own_invoices(ours):
    a, b = LibraryFactory(), LibraryFactory()
    mine = invoice_for(ours, a)
    invoice_for(ours, b)
    response = client_for(a).get("/api/v1/invoices/")
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [mine.number]


def test_an_invoice_shows_its_lines_and_total(ours):
    a = LibraryFactory()
    invoice = invoice_for(ours, a, amount="9.99")
    data = client_for(a).get(f"/api/v1/invoices/{invoice.number}/").json()
    assert (data["total"], data["outstanding"], len(data["lines"])) == ("9.99", "9.99", 1)


def test_another_partners_invoice_answers_404(ours):
    a, b = LibraryFactory(), LibraryFactory()
    theirs = invoice_for(ours, b)
    assert client_for(a).get(f"/api/v1/invoices/{theirs.number}/").status_code == 404
    assert client_for(a).get(f"/api/v1/invoices/{theirs.number}/pdf/").status_code == 404


def test_a_draft_is_not_shown_to_the_partner(ours):
    a = LibraryFactory()
    charge = ReceivableFactory(request=LendingRequestFactory(library=ours, partner=a))
    draft = create_invoice(library=ours, partner=a, currency="USD", period_start=dt.date(2026, 10, 1),
                           period_end=dt.date(2026, 10, 31), charge_ids=[charge.pk])
    assert client_for(a).get(f"/api/v1/invoices/{draft.number}/").status_code == 404


def test_a_partner_downloads_its_invoice_as_pdf(ours):
    a = LibraryFactory()
    invoice = invoice_for(ours, a)
    response = client_for(a).get(f"/api/v1/invoices/{invoice.number}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_staff_sessions_and_anonymous_callers_cannot_list_partner_invoices(ours):
    assert APIClient().get("/api/v1/invoices/").status_code in (401, 403)


def test_the_invoice_list_takes_the_same_number_of_queries_for_more_invoices(ours):
    a = LibraryFactory()
    invoice_for(ours, a)
    api = client_for(a)
    api.get("/api/v1/invoices/")  # the key's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/invoices/")
    for library in (MemberLibraryFactory(), MemberLibraryFactory(), MemberLibraryFactory()):
        ReceivableFactory(request=LendingRequestFactory(library=library, partner=a),
                          incurred_at=dt.datetime(2026, 10, 5, tzinfo=dt.UTC))
    create_monthly_invoices(now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    with CaptureQueriesContext(connection) as four:
        response = api.get("/api/v1/invoices/")
    assert len(response.json()["results"]) == 4
    assert len(four) == len(one)
