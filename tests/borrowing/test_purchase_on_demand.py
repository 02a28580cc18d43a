"""Buying instead of borrowing: the rules that propose it, the order sent to the vendor, its path and its cost."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pymarc
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Budget, Charge, ChargeAdjustment, ChargeStatus, Direction, Service
from billing.selectors import budget_statuses
from borrowing.models import PurchaseOrder, PurchaseRule, PurchaseVendor, RotaEntry, RotaStatus
from borrowing.services import purchasing
from borrowing.states import BorrowingStatus as S
from requests_app import mailer
from requests_app.models import Event, OutgoingEmail, PatronCategory, RequestFormat
from requests_app.services import perform
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year


@pytest.fixture
def library():
    return MemberLibraryFactory(symbol="HOME", currency="EUR", email="ill@home.example.edu")


@pytest.fixture
def staff(library):
    return StaffFactory(library=library)


@pytest.fixture
def vendor(library):
    return PurchaseVendor.objects.create(library=library, name="Dawson Books", order_email="orders@dawson.example",
                                         account_number="ACC-77", customer_id="CUST-1234", currency="EUR")


@pytest.fixture
def rule(library):
    return PurchaseRule.objects.create(
        library=library, name="Recent books for faculty", formats=[RequestFormat.BOOK], published_within_years=3,
        max_price=Decimal("60.00"), currency="EUR", patron_categories=[PatronCategory.FACULTY], fund="Monographs")


def book(library, **fields):
    values = {"library": library, "partner": None, "status": S.SUBMITTED, "format": RequestFormat.BOOK,
              "title": "Deep Learning", "author": "Goodfellow, Ian", "isbn": "9780262035613",
              "publisher": "MIT Press", "place_of_publication": "Cambridge, Mass.",
              "publication_date": str(THIS_YEAR - 1), "patron_category": PatronCategory.FACULTY,
              "patron_department": "Computer science"}
    return IllRequestFactory(**{**values, **fields})


def order(request, staff, vendor, price="45.00", **kwargs):
    return purchasing.order_purchase(request=request, actor=Actor.staff(staff), vendor=vendor,
                                     unit_price=Decimal(price), **kwargs)


@pytest.fixture
def ordered_book(library, staff, vendor, budget, django_capture_on_commit_callbacks):
    """A book ordered from the vendor at 45.00 with the fund's budget in place, what the order commits done."""
    request = book(library)
    with django_capture_on_commit_callbacks(execute=True):
        order(request, staff, vendor)
    request.refresh_from_db()
    return request


# The rules ---------------------------------------------------------------------------------

def test_a_rule_whose_criteria_all_hold_proposes_buying_and_says_why(library, rule):
    found = purchasing.proposal(book(library))
    assert found.proposing.rule == rule
    assert found.proposing.met == ["the format is Book", f"published in {THIS_YEAR - 1}, within 3 years",
                                   "the patron is faculty"]
    assert found.proposing.price_to_check == "the vendor's price must be at most 60.00 EUR"


def test_a_rule_does_not_propose_an_article(library, rule):
    found = purchasing.proposal(book(library, format=RequestFormat.ARTICLE))
    assert found.proposing is None
    assert found.verdicts[0].unmet == ["the format is Journal article, not one it buys (Book)"]


def test_a_rule_does_not_propose_a_book_published_too_long_ago(library, rule):
    found = purchasing.proposal(book(library, publication_date=str(THIS_YEAR - 4)))
    assert found.proposing is None
    assert found.verdicts[0].unmet == [f"published in {THIS_YEAR - 4}, more than 3 years ago"]


def test_a_rule_with_a_year_limit_does_not_propose_a_book_without_a_year(library, rule):
    found = purchasing.proposal(book(library, publication_date=""))
    assert found.proposing is None
    assert "the year of publication is not known" in found.verdicts[0].unmet[0]


def test_a_rule_does_not_propose_for_a_patron_of_another_category(library, rule):
    found = purchasing.proposal(book(library, patron_category=PatronCategory.UNDERGRADUATE))
    assert found.proposing is None
    assert found.verdicts[0].unmet == ["the patron is undergraduate student, not one it buys for (faculty)"]


def test_a_rule_does_not_propose_a_thesis_even_when_it_buys_theses(library, rule):
    rule.formats = [RequestFormat.BOOK, RequestFormat.THESIS]
    rule.save()
    found = purchasing.proposal(book(library, format=RequestFormat.THESIS))
    assert found.proposing is None
    assert found.verdicts[0].unmet == ["a thesis or dissertation: this rule never buys them"]


def test_a_rule_that_allows_theses_proposes_one(library, rule):
    rule.formats, rule.exclude_theses = [RequestFormat.THESIS], False
    rule.save()
    assert purchasing.proposal(book(library, format=RequestFormat.THESIS)).proposing.rule == rule


def test_a_quote_over_the_price_limit_does_not_match(library, rule):
    verdict = purchasing.evaluate(rule, book(library), quote=Decimal("60.01"), quote_currency="EUR")
    assert not verdict.proposes
    assert verdict.unmet == ["the price 60.01 EUR is over its limit of 60.00 EUR"]


def test_a_quote_within_the_price_limit_matches(library, rule):
    verdict = purchasing.evaluate(rule, book(library), quote=Decimal("60.00"), quote_currency="EUR")
    assert verdict.proposes
    assert verdict.met[-1] == "the price 60.00 EUR is within 60.00 EUR"


def test_a_quote_in_another_currency_does_not_match(library, rule):
    verdict = purchasing.evaluate(rule, book(library), quote=Decimal("20"), quote_currency="GBP")
    assert verdict.unmet == ["the quote is in GBP; its limit is 60.00 EUR"]


def test_a_disabled_rule_proposes_nothing(library, rule):
    rule.active = False
    rule.save()
    assert purchasing.proposal(book(library)) is None


def test_another_librarys_rule_proposes_nothing(library, rule):
    other = MemberLibraryFactory()
    assert purchasing.proposal(book(other)) is None


def test_nothing_is_proposed_once_a_lender_holds_the_request(library, rule):
    assert purchasing.proposal(book(library, status=S.SENT, partner=LibraryFactory())) is None


def test_a_rule_one_criterion_short_is_a_near_miss(library, rule):
    found = purchasing.proposal(book(library, patron_category=PatronCategory.GRADUATE))
    assert [v.rule for v in found.near_misses] == [rule]


# Ordering ----------------------------------------------------------------------------------

def test_ordering_puts_the_request_on_the_purchase_path_with_its_event(library, staff, vendor, rule):
    request = book(library)
    placed = order(request, staff, vendor)
    request.refresh_from_db()
    assert request.status == S.PURCHASE_ORDERED
    assert placed.number == f"PO-HOME-{request.number}"
    assert placed.rule == rule and placed.fund == "Monographs"
    event = Event.objects.get(request=request, action="order_purchase")
    assert event.note == "Bought instead of borrowed under the rule “Recent books for faculty”"
    assert event.data["unit_price"] == "45.00" and event.data["vendor"] == "Dawson Books"


def test_the_order_email_goes_to_the_vendor_with_a_marc_record_that_reads_back(library, staff, vendor, rule):
    request = book(library)
    placed = order(request, staff, vendor, quantity=2)
    email = OutgoingEmail.objects.get(request=request, kind=purchasing.ORDER_EMAIL)
    assert email.recipient == "orders@dawson.example"
    assert email.attachment_kind == purchasing.ATTACHMENT
    assert mailer.send(email.pk)
    [sent] = mail.outbox
    assert placed.number in sent.subject
    assert "CUST-1234" in sent.body and "ACC-77" in sent.body
    (marc_name, marc_bytes, marc_type), (csv_name, csv_bytes, _) = sent.attachments
    assert marc_name.endswith(".mrc") and marc_type == "application/marc" and csv_name.endswith(".csv")
    record = next(pymarc.MARCReader(marc_bytes, to_unicode=True))
    assert record["001"].data == placed.number
    assert record["020"]["a"] == "9780262035613"
    assert record["100"]["a"] == "Goodfellow, Ian"
    assert record["245"]["a"] == "Deep Learning"
    assert record["264"]["b"] == "MIT Press" and record["264"]["c"] == str(THIS_YEAR - 1)
    assert (record["980"]["a"], record["980"]["b"], record["980"]["c"], record["980"]["q"], record["980"]["g"]) == (
        placed.number, "45.00", "EUR", "2", "90.00")
    assert record["980"]["v"] == "CUST-1234" and record["980"]["w"] == "ACC-77"
    assert record["981"]["b"] == "Monographs" and record["981"]["r"] == request.number
    assert len(record["008"].data) == 40


def test_the_order_email_carries_one_csv_line_with_every_column(library, staff, vendor, rule):
    request = book(library)
    placed = order(request, staff, vendor)
    email = OutgoingEmail.objects.get(request=request, kind=purchasing.ORDER_EMAIL)
    mailer.send(email.pk)
    csv_bytes = mail.outbox[0].attachments[1][1]
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8") if isinstance(csv_bytes, bytes)
                                           else csv_bytes)))
    assert rows == [{"ISBN": "9780262035613", "Title": "Deep Learning", "Author": "Goodfellow, Ian",
                     "Publisher": "MIT Press", "Year": str(THIS_YEAR - 1), "Quantity": "1", "Price": "45.00",
                     "Currency": "EUR", "Fund": "Monographs", "Order number": placed.number,
                     "Note": f"ILL purchase on demand: hold for the patron of request {request.number}"}]


def test_a_title_that_looks_like_a_formula_is_not_one_in_the_csv(library, staff, vendor, rule):
    placed = order(book(library, title="=HYPERLINK(\"http://evil\")"), staff, vendor)
    assert "'=HYPERLINK" in placed.csv_text


def test_the_order_email_is_marked_sent_on_the_order(library, staff, vendor, rule):
    placed = order(book(library), staff, vendor)
    mailer.send(OutgoingEmail.objects.get(kind=purchasing.ORDER_EMAIL).pk)
    placed.refresh_from_db()
    assert placed.emailed_at is not None


def test_a_quote_over_every_rules_limit_is_refused_and_changes_nothing(library, staff, vendor, rule):
    request = book(library)
    with pytest.raises(WorkflowError) as refused:
        order(request, staff, vendor, price="75.00")
    assert "over its limit of 60.00 EUR" in refused.value.message
    request.refresh_from_db()
    assert request.status == S.SUBMITTED
    assert not PurchaseOrder.objects.exists() and not OutgoingEmail.objects.exists()


def test_staff_may_order_outside_the_rules_and_it_says_so(library, staff, vendor, rule):
    request = book(library)
    placed = order(request, staff, vendor, price="75.00", outside_rules=True)
    assert placed.rule is None and placed.fund == "Computer science"
    assert Event.objects.get(action="order_purchase").note == "Bought instead of borrowed, outside the purchase rules"


def test_another_librarys_vendor_cannot_be_ordered_from(library, staff, rule):
    elsewhere = PurchaseVendor.objects.create(library=MemberLibraryFactory(), name="Far", order_email="o@far.example",
                                              currency="EUR")
    with pytest.raises(WorkflowError) as refused:
        order(book(library), staff, elsewhere)
    assert refused.value.code == "invalid"
    assert not PurchaseOrder.objects.exists()


@pytest.mark.parametrize("price", ["0", "-5", "NaN", "1e12", "abc"])
def test_a_price_that_is_not_a_price_is_refused(library, staff, vendor, rule, price):
    with pytest.raises(WorkflowError):
        purchasing.order_purchase(request=book(library), actor=Actor.staff(staff), vendor=vendor, unit_price=price,
                                  outside_rules=True)
    assert not PurchaseOrder.objects.exists()


def test_ordering_skips_the_lenders_still_waiting_in_the_rota(library, staff, vendor, rule):
    request = book(library, status=S.SOURCING)
    lender = LibraryFactory()
    RotaEntry.objects.create(request=request, lender=lender, position=1)
    order(request, staff, vendor)
    entry = RotaEntry.objects.get(request=request)
    assert (entry.status, entry.reason) == (RotaStatus.SKIPPED, "Bought instead")


def test_a_request_a_lender_holds_cannot_be_bought(library, staff, vendor, rule):
    request = book(library, status=S.SENT, partner=LibraryFactory())
    with pytest.raises(WorkflowError) as refused:
        order(request, staff, vendor)
    assert refused.value.code == "not_allowed"


# The path ---------------------------------------------------------------------------------

def test_a_purchase_goes_from_ordered_to_received_to_catalogued_to_the_patron(library, staff, vendor, rule,
                                                                              django_capture_on_commit_callbacks):
    request = book(library)
    actor = Actor.staff(staff)
    order(request, staff, vendor)
    request.refresh_from_db()
    purchasing.receive_purchase(request=request, actor=actor, invoice_number="INV-9")
    request.refresh_from_db()
    assert request.status == S.PURCHASE_RECEIVED
    perform(request=request, action="catalogue_purchase", actor=actor)
    assert request.status == S.PURCHASE_CATALOGUED
    assert OutgoingEmail.objects.filter(request=request, kind="ready-for-pickup").exists()
    perform(request=request, action="hand_purchase_to_patron", actor=actor)
    assert request.status == S.COMPLETED
    assert list(Event.objects.filter(request=request).order_by("pk").values_list("action", flat=True)) == [
        "order_purchase", "receive_purchase", "catalogue_purchase", "hand_purchase_to_patron"]


def test_a_received_purchase_may_go_to_the_patron_without_cataloguing_first(library, staff, vendor, rule):
    request = book(library)
    order(request, staff, vendor)
    request.refresh_from_db()
    purchasing.receive_purchase(request=request, actor=Actor.staff(staff))
    request.refresh_from_db()
    perform(request=request, action="hand_purchase_to_patron", actor=Actor.staff(staff))
    assert request.status == S.COMPLETED


def test_cancelling_a_purchase_asks_the_vendor_to_cancel_and_tells_the_patron(library, staff, vendor, rule):
    request = book(library)
    placed = order(request, staff, vendor)
    request.refresh_from_db()
    perform(request=request, action="cancel_purchase", actor=Actor.staff(staff), note="Out of print")
    assert request.status == S.CANCELLED
    to_vendor = OutgoingEmail.objects.get(kind="purchase-cancel")
    assert to_vendor.recipient == "orders@dawson.example"
    assert placed.number in to_vendor.subject and "Out of print" in to_vendor.body_text
    assert OutgoingEmail.objects.filter(request=request, kind="cancelled").exists()


def test_dismissing_the_proposal_is_recorded_and_keeps_the_request_where_it_was(library, staff, rule):
    request = book(library)
    perform(request=request, action="dismiss_purchase", actor=Actor.staff(staff), note="A partner has it")
    found = purchasing.proposal(request)
    assert request.status == S.SUBMITTED
    assert found.dismissed.note == "A partner has it"


# The budget -------------------------------------------------------------------------------

@pytest.fixture
def budget(library):
    today = timezone.localdate()
    return Budget.objects.create(library=library, fiscal_year="FY", fund="Monographs", amount=Decimal("1000"),
                                 currency="EUR", starts_on=today - dt.timedelta(days=30),
                                 ends_on=today + dt.timedelta(days=30))


def status_of(library):
    [status] = budget_statuses(library=library)
    return status


def test_an_order_commits_its_cost_in_the_funds_budget(library, staff, vendor, rule, budget,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order(book(library), staff, vendor, quantity=2)
    charge = Charge.objects.get(service=Service.PURCHASE)
    assert (charge.direction, charge.amount, charge.currency, charge.fund, charge.partner) == (
        Direction.PAYABLE, Decimal("90.00"), "EUR", "Monographs", None)
    assert (status_of(library).committed, status_of(library).spent) == (Decimal("90.00"), Decimal("0.00"))


def test_an_order_is_committed_in_the_budget_of_its_fund_not_in_one_that_shares_the_requests_id(
        library, staff, vendor, rule, django_capture_on_commit_callbacks):
    request = book(library)
    today = timezone.localdate()
    dates = {"library": library, "fiscal_year": "FY", "amount": Decimal("1000"), "currency": "EUR",
             "starts_on": today - dt.timedelta(days=30), "ends_on": today + dt.timedelta(days=30)}
    monographs = Budget.objects.create(pk=request.pk + 1000, fund="Monographs", **dates)
    Budget.objects.create(pk=request.pk, fund="Serials", **dates)
    with django_capture_on_commit_callbacks(execute=True):
        order(request, staff, vendor, quantity=2)
    committed = {status.budget.fund: status.committed for status in budget_statuses(library=library)}
    assert (monographs.fund, committed) == ("Monographs", {"Monographs": Decimal("90.00"),
                                                           "Serials": Decimal("0.00")})


def test_receipt_at_another_price_adjusts_the_cost_and_spends_it(library, staff, rule, budget, ordered_book,
                                                                 django_capture_on_commit_callbacks):
    request = ordered_book
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.receive_purchase(request=request, actor=Actor.staff(staff), invoiced_price="48.50",
                                    invoice_number="INV-9")
    charge = Charge.objects.get(service=Service.PURCHASE)
    assert (charge.amount, charge.original_amount) == (Decimal("48.50"), Decimal("45.00"))
    adjustment = ChargeAdjustment.objects.get(charge=charge)
    assert (adjustment.old_amount, adjustment.new_amount) == (Decimal("45.00"), Decimal("48.50"))
    assert "INV-9" in adjustment.reason
    assert (status_of(library).committed, status_of(library).spent) == (Decimal("0.00"), Decimal("48.50"))


def test_receipt_at_the_ordered_price_changes_no_charge(library, staff, rule, budget, ordered_book,
                                                        django_capture_on_commit_callbacks):
    request = ordered_book
    with django_capture_on_commit_callbacks(execute=True):
        purchasing.receive_purchase(request=request, actor=Actor.staff(staff))
    assert Charge.objects.get(service=Service.PURCHASE).amount == Decimal("45.00")
    assert not ChargeAdjustment.objects.exists()
    assert status_of(library).spent == Decimal("45.00")


def test_a_cancelled_purchase_releases_its_cost(library, staff, rule, budget, ordered_book,
                                                django_capture_on_commit_callbacks):
    request = ordered_book
    with django_capture_on_commit_callbacks(execute=True):
        perform(request=request, action="cancel_purchase", actor=Actor.staff(staff), note="Out of print")
    charge = Charge.objects.get(service=Service.PURCHASE)
    assert (charge.status, charge.amount) == (ChargeStatus.WAIVED, Decimal("0"))
    assert (status_of(library).committed, status_of(library).spent) == (Decimal("0.00"), Decimal("0.00"))


def test_a_replayed_order_event_records_the_cost_once(library, staff, vendor, rule, budget):
    from billing.services import charge_for_event

    request = book(library)
    order(request, staff, vendor)
    event = Event.objects.get(action="order_purchase")
    charge_for_event(request=request, event=event)
    charge_for_event(request=request, event=event)
    assert Charge.objects.filter(service=Service.PURCHASE).count() == 1


# The pages --------------------------------------------------------------------------------

def test_the_staff_page_proposes_buying_and_names_the_rule(client, library, staff, vendor, rule):
    request = book(library)
    client.force_login(staff)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert "Buying is proposed: the rule “Recent books for faculty” matches." in page
    assert "The vendor&#x27;s price must be at most 60.00 EUR" in page
    assert "Dawson Books" in page


def test_staff_accept_the_proposal_from_the_request_page(client, library, staff, vendor, rule):
    request = book(library)
    client.force_login(staff)
    answer = client.post(reverse("borrowing_staff:action", args=[request.pk, "order_purchase"]), {
        "expected_status": S.SUBMITTED, "vendor": vendor.pk, "unit_price": "45.00", "quantity": "1", "fund": ""})
    assert answer.status_code == 302
    request.refresh_from_db()
    assert request.status == S.PURCHASE_ORDERED
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert PurchaseOrder.objects.get().number in page


def test_a_bad_price_on_the_request_page_changes_nothing(client, library, staff, vendor, rule):
    request = book(library)
    client.force_login(staff)
    answer = client.post(reverse("borrowing_staff:action", args=[request.pk, "order_purchase"]), {
        "expected_status": S.SUBMITTED, "vendor": vendor.pk, "unit_price": "-3", "quantity": "1"})
    assert answer.status_code == 400
    request.refresh_from_db()
    assert request.status == S.SUBMITTED and not PurchaseOrder.objects.exists()


def test_another_librarys_vendor_posted_on_the_request_page_changes_nothing(client, library, staff, rule):
    elsewhere = PurchaseVendor.objects.create(library=MemberLibraryFactory(), name="Far", order_email="o@far.example",
                                              currency="EUR")
    request = book(library)
    client.force_login(staff)
    answer = client.post(reverse("borrowing_staff:action", args=[request.pk, "order_purchase"]), {
        "expected_status": S.SUBMITTED, "vendor": elsewhere.pk, "unit_price": "45.00", "quantity": "1"})
    assert answer.status_code == 400
    assert not PurchaseOrder.objects.exists()


def test_the_patron_reads_in_plain_words_that_the_library_is_buying_it(client, library, staff, vendor, rule):
    request = book(library)
    order(request, staff, vendor)
    client.force_login(request.patron)
    page = client.get(reverse("patron-request", args=[request.pk])).content.decode()
    assert "The library is buying this for you instead of borrowing it" in page


def test_ordered_purchases_are_listed_as_awaiting_arrival(client, library, staff, vendor, rule):
    request = book(library)
    order(request, staff, vendor)
    client.force_login(staff)
    page = client.get(reverse("borrowing_staff:queue")).content.decode()
    assert "Purchases ordered, awaiting arrival" in page


def test_staff_record_the_receipt_and_the_invoiced_price_from_the_request_page(client, library, staff, vendor, rule):
    request = book(library)
    order(request, staff, vendor)
    client.force_login(staff)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert "Purchase received" in page
    client.post(reverse("borrowing_staff:action", args=[request.pk, "receive_purchase"]), {
        "expected_status": S.PURCHASE_ORDERED, "invoiced_price": "47.10", "invoice_number": "INV-1"})
    request.refresh_from_db()
    placed = PurchaseOrder.objects.get()
    assert request.status == S.PURCHASE_RECEIVED
    assert (placed.invoiced_price, placed.invoice_number) == (Decimal("47.10"), "INV-1")


def test_staff_cancel_a_purchase_from_the_request_page_saying_why(client, library, staff, vendor, rule):
    request = book(library)
    order(request, staff, vendor)
    client.force_login(staff)
    url = reverse("borrowing_staff:action", args=[request.pk, "cancel_purchase"])
    asked = client.post(url, {"expected_status": S.PURCHASE_ORDERED, "note": "Out of print"})
    assert asked.status_code == 200  # the confirmation page: nothing changed yet
    request.refresh_from_db()
    assert request.status == S.PURCHASE_ORDERED
    client.post(url, {"expected_status": S.PURCHASE_ORDERED, "note": "Out of print", "confirmed": "1"})
    request.refresh_from_db()
    assert request.status == S.CANCELLED
    assert Event.objects.get(action="cancel_purchase").note == "Out of print"


def test_a_purchase_cannot_be_cancelled_without_a_reason(client, library, staff, vendor, rule):
    request = book(library)
    order(request, staff, vendor)
    client.force_login(staff)
    answer = client.post(reverse("borrowing_staff:action", args=[request.pk, "cancel_purchase"]), {
        "expected_status": S.PURCHASE_ORDERED, "note": "", "confirmed": "1"})
    assert answer.status_code == 400
    request.refresh_from_db()
    assert request.status == S.PURCHASE_ORDERED


def test_a_library_without_rules_or_vendors_is_not_offered_buying(client, library, staff):
    request = book(library)
    client.force_login(staff)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert "Buy instead of borrow" not in page


def test_more_rules_and_vendors_cost_the_request_page_no_more_queries(client, library, staff, vendor, rule):
    request = book(library)
    client.force_login(staff)
    url = reverse("borrowing_staff:request", args=[request.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(3):
        PurchaseRule.objects.create(library=library, name=f"Rule {n}", formats=[RequestFormat.THESIS])
        PurchaseVendor.objects.create(library=library, name=f"Vendor {n}", order_email=f"o{n}@v.example",
                                      currency="EUR")
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(one.captured_queries)
