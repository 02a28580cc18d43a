"""Copyright compliance of copies: the rule of five, CCG and CCL, clearance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from borrowing.models import CopyrightRecord
from borrowing.services import copyright
from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import Event, IllRequest, RequestFormat
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(home):
    return StaffFactory(library=home)


def at(year: int, month: int = 6, day: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 12, 0))


def article(home, *, requested: dt.datetime, published: str = "2025", **fields) -> IllRequest:
    fields.setdefault("issn", "0028-0836")
    fields.setdefault("container_title", "Nature")
    return IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, format=RequestFormat.ARTICLE,
                             publication_date=published, created_at=requested, **fields)


def verify(request: IllRequest, staff, capture) -> IllRequest:
    with capture(execute=True):
        services.perform(request=request, action="verify", actor=Actor.staff(staff))
    request.refresh_from_db()
    return request


def test_the_first_five_articles_from_a_journal_in_a_year_comply_with_the_guidelines(
        home, staff, django_capture_on_commit_callbacks):
    statuses = [verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
                for _ in range(5)]
    assert {(r.status, r.copyright_compliance) for r in statuses} == {("sourcing", "CCG")}


def test_the_sixth_article_from_one_journal_waits_for_copyright_clearance(home, staff,
                                                                          django_capture_on_commit_callbacks):
    for _ in range(5):
        verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    sixth = verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    assert (sixth.status, sixth.copyright_compliance) == (BorrowingStatus.AWAITING_COPYRIGHT, "")


def test_an_article_older_than_five_years_does_not_count_and_is_ccl(home, staff,
                                                                    django_capture_on_commit_callbacks):
    for _ in range(5):
        verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    old = verify(article(home, requested=at(2026), published="2020"), staff, django_capture_on_commit_callbacks)
    assert (old.status, old.copyright_compliance) == (BorrowingStatus.SOURCING, "CCL")
    assert CopyrightRecord.objects.get(request=old).counted is False


def test_an_article_published_five_years_before_the_request_still_counts(home, staff,
                                                                         django_capture_on_commit_callbacks):
    request = verify(article(home, requested=at(2026), published="2021"), staff, django_capture_on_commit_callbacks)
    assert CopyrightRecord.objects.get(request=request).counted is True


def test_the_count_starts_again_on_the_first_of_january(home, staff, django_capture_on_commit_callbacks):
    for _ in range(5):
        verify(article(home, requested=at(2026, 12, 31)), staff, django_capture_on_commit_callbacks)
    new_year = verify(article(home, requested=at(2027, 1, 1)), staff, django_capture_on_commit_callbacks)
    assert (new_year.status, new_year.copyright_compliance) == (BorrowingStatus.SOURCING, "CCG")


def test_the_sixth_article_on_the_thirty_first_of_december_still_waits(home, staff,
                                                                       django_capture_on_commit_callbacks):
    for _ in range(5):
        verify(article(home, requested=at(2026, 1, 1)), staff, django_capture_on_commit_callbacks)
    sixth = verify(article(home, requested=at(2026, 12, 31)), staff, django_capture_on_commit_callbacks)
    assert sixth.status == BorrowingStatus.AWAITING_COPYRIGHT


def test_a_journal_is_the_same_by_issn_whatever_its_title_is_written(home, staff,
                                                                     django_capture_on_commit_callbacks):
    for title in ("Nature", "NATURE", "Nature.", "nature", "The Nature"):
        verify(article(home, requested=at(2026), container_title=title), staff, django_capture_on_commit_callbacks)
    sixth = verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    assert sixth.status == BorrowingStatus.AWAITING_COPYRIGHT


def test_without_an_issn_the_normalised_journal_title_is_counted(home):
    request = article(home, requested=at(2026), issn="", container_title="The Journal of  Sociology & Law!")
    assert copyright.journal_key(request) == "journal of sociology and law"


def test_other_libraries_copies_do_not_count_towards_ours(home, staff, django_capture_on_commit_callbacks):
    elsewhere = MemberLibraryFactory()
    other_staff = StaffFactory(library=elsewhere)
    for _ in range(5):
        verify(article(elsewhere, requested=at(2026)), other_staff, django_capture_on_commit_callbacks)
    ours = verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    assert ours.copyright_compliance == "CCG"


def test_a_book_is_not_counted_under_the_rule_of_five(home, staff, django_capture_on_commit_callbacks):
    book = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, format=RequestFormat.BOOK)
    verify(book, staff, django_capture_on_commit_callbacks)
    assert not CopyrightRecord.objects.filter(request=book).exists()


def test_recording_a_clearance_fee_makes_the_copy_ccl_and_continues_sourcing(home, staff,
                                                                             django_capture_on_commit_callbacks):
    for _ in range(5):
        verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    sixth = verify(article(home, requested=at(2026)), staff, django_capture_on_commit_callbacks)
    copyright.clear_copyright(request=sixth, actor=Actor.staff(staff), fee=Decimal("35.50"), currency="usd")
    sixth.refresh_from_db()
    record = CopyrightRecord.objects.get(request=sixth)
    assert (sixth.status, sixth.copyright_compliance) == (BorrowingStatus.SOURCING, "CCL")
    assert (record.compliance, record.clearance_fee, record.clearance_currency) == ("CCL", Decimal("35.50"), "USD")
    assert Event.objects.get(request=sixth, action="clear_copyright").data["clearance_fee"] == "35.50"


def test_an_exception_note_clears_a_copy_without_a_fee(home, staff):
    request = IllRequestFactory(library=home, status=BorrowingStatus.AWAITING_COPYRIGHT, format=RequestFormat.ARTICLE,
                                issn="0028-0836", container_title="Nature")
    copyright.clear_copyright(request=request, actor=Actor.staff(staff), exception_note="Our own subscription")
    record = CopyrightRecord.objects.get(request=request)
    assert (record.compliance, record.clearance_fee, record.exception_note) == ("CCL", None, "Our own subscription")


def test_clearing_without_a_fee_or_an_exception_is_refused(home, staff):
    request = IllRequestFactory(library=home, status=BorrowingStatus.AWAITING_COPYRIGHT, format=RequestFormat.ARTICLE)
    with pytest.raises(WorkflowError) as excinfo:
        copyright.clear_copyright(request=request, actor=Actor.staff(staff))
    assert excinfo.value.code == "invalid"


def test_staff_can_send_any_copy_to_copyright_review_by_hand(home, staff):
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, format=RequestFormat.CHAPTER,
                                container_title="Handbook of Things")
    services.perform(request=request, action="send_to_copyright", actor=Actor.staff(staff))
    request.refresh_from_db()
    assert request.status == BorrowingStatus.AWAITING_COPYRIGHT
    assert CopyrightRecord.objects.get(request=request).compliance == ""
