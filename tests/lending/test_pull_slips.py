"""Pull slips and shipping labels: real PDFs, one page per request, barcodes that decode to the request number."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from lending import pdf
from lending.models import LendingDetail
from lending.services.printing import print_pull_slips
from lending.states import LendingStatus
from requests_app.barcodes import code128_svg
from requests_app.models import IllRequest
from requests_app.workflow import Actor, WorkflowError
from tests.lending.code128 import black_bars, decode_rows
from tests.lending.factories import HoldingFactory, IncomingRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_requests(library):
    requests = []
    for n in range(3):
        holding = HoldingFactory(library=library, call_number=f"PS3545 .I345 G{n}", location="Level 3",
                                 barcode=f"3901500000{n}")
        request = IncomingRequestFactory(library=library)
        LendingDetail.objects.create(request=request, holding=holding, match_kind="isbn")
        requests.append(request)
    return requests


def test_a_pull_slip_pdf_has_one_page_per_request_with_call_number_and_request_number(held_requests):
    requests = list(IllRequest.objects.filter(pk__in=[r.pk for r in held_requests]).select_related(
        "partner", "lending_detail__holding").order_by("pk"))
    reader = PdfReader(io.BytesIO(pdf.pull_slips(requests)))
    assert len(reader.pages) == 3
    for page, request in zip(reader.pages, requests, strict=True):
        text = page.extract_text()
        assert request.number in text
        assert request.lending_detail.holding.call_number in text
        assert "Level 3" in text


def test_the_pull_slip_barcodes_decode_to_the_request_number_and_the_item_barcode(held_requests):
    request = IllRequest.objects.select_related("partner", "lending_detail__holding").get(pk=held_requests[0].pk)
    reader = PdfReader(io.BytesIO(pdf.pull_slips([request])))
    assert decode_rows(black_bars(reader, 0)) == [request.number, request.lending_detail.holding.barcode]


def test_the_decoder_rejects_a_barcode_of_another_text():
    from weasyprint import HTML

    reader = PdfReader(io.BytesIO(HTML(string=f"<div>{code128_svg('L999')}</div>").write_pdf()))
    assert decode_rows(black_bars(reader, 0)) == ["L999"]
    assert decode_rows(black_bars(reader, 0)) != ["L998"]


def test_a_shipping_label_carries_the_borrowers_postal_address_and_barcode(library):
    request = IncomingRequestFactory(library=library, partner__name="Borrowing College",
                                     partner__address_line1="1 Library Way", partner__city="Ann Arbor",
                                     partner__postal_code="48109")
    reader = PdfReader(io.BytesIO(pdf.shipping_labels([request])))
    text = reader.pages[0].extract_text()
    assert "Borrowing College" in text and "1 Library Way" in text and "48109" in text
    assert decode_rows(black_bars(reader, 0)) == [request.number]


def test_batch_printing_moves_new_requests_to_awaiting_picking_and_reports_the_others(library, staff, held_requests):
    cancelled = IncomingRequestFactory(library=library, status=LendingStatus.CANCELLED)
    result = print_pull_slips(library=library, request_ids=[r.pk for r in held_requests] + [cancelled.pk],
                              actor=Actor.staff(staff))
    assert sorted(r.pk for r in result.printed) == sorted(r.pk for r in held_requests)
    assert set(IllRequest.objects.filter(pk__in=[r.pk for r in held_requests]).values_list("status", flat=True)) == {
        "awaiting_picking"}
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 4


def test_a_request_another_person_moved_is_reported_not_printed_twice(library, staff, held_requests, monkeypatch):
    request = held_requests[0]
    stale = IllRequest.objects.get(pk=request.pk)
    IllRequest.objects.filter(pk=request.pk).update(status=LendingStatus.AWAITING_PICKING)
    stale.status = LendingStatus.NEW
    from lending.services import printing

    monkeypatch.setattr(printing.selectors, "requests_for_printing", lambda **kw: [stale])
    result = print_pull_slips(library=library, request_ids=[request.pk], actor=Actor.staff(staff))
    assert result.printed == [] and result.failures[0][0] == request.number


def test_printing_nothing_or_another_librarys_request_is_refused(library, staff):
    other = IncomingRequestFactory()
    with pytest.raises(WorkflowError):
        print_pull_slips(library=library, request_ids=[other.pk], actor=Actor.staff(staff))
    other.refresh_from_db()
    assert other.status == LendingStatus.NEW


def slip_text(request) -> str:
    request = IllRequest.objects.select_related("library", "partner", "lending_detail__holding").get(pk=request.pk)
    return PdfReader(io.BytesIO(pdf.pull_slips([request]))).pages[0].extract_text()


def offer_accepted(request, *, answer="borrower_accepted_conditions", to_status=LendingStatus.AWAITING_PICKING):
    from requests_app.models import Event

    Event.objects.create(request=request, action="offer_conditions", from_status=LendingStatus.NEW,
                         to_status=LendingStatus.CONDITIONAL, note="Reading room only",
                         data={"loan_conditions": ["LibraryUseOnly"], "offered_cost": {"amount": "5.00",
                                                                                        "currency": "USD"}})
    Event.objects.create(request=request, action=answer, from_status=LendingStatus.CONDITIONAL, to_status=to_status)


def test_a_pull_slip_shows_the_need_by_date_our_loan_period_and_the_conditions_offered(library):
    import datetime as dt

    request = IncomingRequestFactory(library=library, need_by=dt.date(2027, 1, 15))
    offer_accepted(request)
    text = slip_text(request)
    assert "01/15/2027" in text
    assert "28 days" in text
    assert "Library use only; fee 5.00 USD" in text


def test_a_pull_slip_leaves_out_conditions_the_borrower_refused(library):
    request = IncomingRequestFactory(library=library)
    offer_accepted(request, answer="borrower_rejected_conditions", to_status=LendingStatus.CANCELLED)
    assert "Library use only" not in slip_text(request)


def test_a_partners_lending_rule_sets_the_loan_period_on_its_slip(library):
    from lending.models import PartnerLendingRule

    request = IncomingRequestFactory(library=library)
    PartnerLendingRule.objects.create(library=library, partner=request.partner, loan_period_days=14)
    assert "14 days" in slip_text(request)


def test_a_pull_slip_without_need_by_or_conditions_says_so(library):
    text = slip_text(IncomingRequestFactory(library=library))
    assert "no date given" in text and "none" in text


def test_a_pull_slip_labels_the_parts_of_an_articles_citation(library):
    request = IncomingRequestFactory(library=library, format="article", service_type="Copy", container_title="Science",
                                     volume="185", issue="4157", pages="1124-1131")
    text = slip_text(request)
    assert "Science, vol. 185, no. 4157, pp. 1124–1131" in text
    assert "Loan period" not in text
