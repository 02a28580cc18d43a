"""Each borrowing policy a library saves changes what happens to its own requests, and only to them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from borrowing.models import CopyrightRecord, PatronDownload
from borrowing.services import copyright, rota
from borrowing.services.requests import submit_request
from borrowing.states import BorrowingStatus
from borrowing.tasks import advance_silent_lenders, send_reminders
from requests_app import services
from requests_app.models import Event, IllRequest, RequestFormat
from requests_app.policies import save_policy
from requests_app.workflow import Actor, WorkflowError
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


def set_policy(library, **values):
    save_policy(library=library, values=values, actor=None, area="test")


def act(request: IllRequest, action: str, actor: Actor, capture, **data) -> IllRequest:
    with capture(execute=True):
        services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=actor, data=data)
    request.refresh_from_db()
    return request


def test_a_due_date_buffer_of_five_gives_the_patron_the_lenders_date_less_five(home, settings,
                                                                                 django_capture_on_commit_callbacks):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 3
    set_policy(home, due_date_buffer_days=5)
    staff, lender = Actor.staff(StaffFactory(library=home)), LibraryFactory()
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.SENT)
    act(request, "lender_shipped", Actor.partner(lender), django_capture_on_commit_callbacks, due_date="2027-02-20")
    act(request, "receive", staff, django_capture_on_commit_callbacks)
    act(request, "notify_patron", staff, django_capture_on_commit_callbacks)
    request = act(request, "check_out", staff, django_capture_on_commit_callbacks)
    assert request.patron_due_date == dt.date(2027, 2, 15)


def test_another_librarys_buffer_does_not_change_ours(home, settings, django_capture_on_commit_callbacks):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 3
    set_policy(MemberLibraryFactory(), due_date_buffer_days=9)
    lender = LibraryFactory()
    request = IllRequestFactory(library=home, partner=lender, status=BorrowingStatus.CHECKED_OUT,
                                due_date=dt.date(2027, 2, 1),
                                patron_due_date=dt.date(2027, 1, 29))
    request = act(request, "lender_renewal_answer", Actor.partner(lender), django_capture_on_commit_callbacks,
                  answer="Y", due_date="2027-03-01")
    assert request.patron_due_date == dt.date(2027, 2, 26)


def test_the_renewal_limit_comes_from_the_librarys_policy(home, settings):
    settings.ILLMS_MAX_RENEWALS = 5
    set_policy(home, max_renewals=1)
    request = IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT, renewal_count=1)
    with pytest.raises(WorkflowError, match="already renewed 1 time\\."):
        services.perform(request=request, action="request_renewal", actor=Actor.staff(StaffFactory(library=home)))


def test_a_category_limit_refuses_the_next_request_of_that_category(home, settings):
    settings.ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON = 25
    set_policy(home, max_active_requests_by_category={"undergraduate": 1})
    student = PatronFactory(profile__library=home, profile__category="undergraduate")
    submit_request(patron=student, format="book", title="First")
    with pytest.raises(ValidationError) as excinfo:
        submit_request(patron=student, format="book", title="Second")
    assert excinfo.value.code == "over_limit"


def test_a_category_limit_leaves_other_categories_at_the_general_limit(home):
    set_policy(home, max_active_requests=3, max_active_requests_by_category={"undergraduate": 1})
    professor = PatronFactory(profile__library=home, profile__category="faculty")
    for n in range(3):
        submit_request(patron=professor, format="book", title=f"Book {n}")
    with pytest.raises(ValidationError):
        submit_request(patron=professor, format="book", title="Fourth")


def sent_to_silent_lender(home) -> IllRequest:
    LibraryFactory(symbol="SILENT", reciprocal_groups="NET")
    LibraryFactory(symbol="NEXT")
    home.reciprocal_groups = "NET"
    home.save()
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SOURCING)
    rota.build_rota(request=request)
    rota.send_to_next_lender(request=request, actor=Actor.system("test"))
    return request


def test_auto_advance_waits_the_librarys_days_not_the_settings(home, settings, django_capture_on_commit_callbacks):
    settings.ILLMS_ROTA_AUTO_ADVANCE_DAYS = 3
    set_policy(home, rota_auto_advance_days=7)
    request = sent_to_silent_lender(home)
    assert advance_silent_lenders(now=(timezone.now() + dt.timedelta(days=4)).isoformat()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert advance_silent_lenders(now=(timezone.now() + dt.timedelta(days=7, hours=1)).isoformat()) == 1
    assert Event.objects.get(request=request, action="lender_unfilled").note == "No answer in 7 days"


def test_auto_advance_uses_the_settings_for_a_library_without_a_policy(home, settings):
    settings.ILLMS_ROTA_AUTO_ADVANCE_DAYS = 3
    set_policy(MemberLibraryFactory(), rota_auto_advance_days=10)
    sent_to_silent_lender(home)
    assert advance_silent_lenders(now=(timezone.now() + dt.timedelta(days=3, hours=1)).isoformat()) == 1


def test_the_rota_lists_no_more_lenders_than_the_policy_allows(home):
    set_policy(home, rota_max_lenders=2)
    for i in range(4):
        LibraryFactory(symbol=f"L{i}")
    request = IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SOURCING)
    assert len(rota.build_rota(request=request)) == 2


def test_reminders_go_the_librarys_days_before_the_due_date(home, settings, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    settings.ILLMS_REMINDER_DAYS_BEFORE = 3
    set_policy(home, reminder_days_before=7)
    today = dt.date(2027, 3, 10)
    ours = IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT,
                             patron_due_date=today + dt.timedelta(days=6))
    IllRequestFactory(status=BorrowingStatus.CHECKED_OUT,
                      patron_due_date=today + dt.timedelta(days=6))  # elsewhere: 3 days
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(today=today.isoformat()) == {"due_soon": 1, "overdue": 0}
    assert [m.to for m in mailoutbox] == [[ours.patron.email]]


def article(home, n: int) -> IllRequest:
    return IllRequestFactory(library=home, partner=None, status=BorrowingStatus.SUBMITTED, format=RequestFormat.ARTICLE,
                             issn="0028-0836", container_title="Nature", publication_date=str(timezone.now().year),
                             title=f"Article {n}")


def test_the_copyright_rule_counts_the_librarys_number_of_copies(home):
    set_policy(home, copyright_copies_per_year=2)
    records = [copyright.assess(article(home, n)) for n in range(3)]
    assert [r.compliance for r in records] == ["CCG", "CCG", ""]
    assert CopyrightRecord.objects.filter(compliance="").count() == 1


def test_articles_older_than_the_librarys_recent_years_do_not_count(home):
    set_policy(home, copyright_recent_years=1)
    old = article(home, 1)
    old.publication_date = str(timezone.now().year - 3)
    old.save()
    assert copyright.assess(old).counted is False


def test_a_patrons_download_link_gets_the_librarys_days_and_downloads(home):
    set_policy(home, edelivery_days=7, edelivery_max_downloads=2)
    request = IllRequestFactory(library=home, status=BorrowingStatus.SENT, format="article")
    before = timezone.now()
    services.perform(request=request, action="lender_delivered_copy", actor=Actor.partner(request.partner),
                     data={"url": "https://lender.example/file/1"})
    link = PatronDownload.objects.get(request=request)
    assert link.max_downloads == 2
    assert dt.timedelta(days=7) <= link.expires_at - before < dt.timedelta(days=7, minutes=1)
