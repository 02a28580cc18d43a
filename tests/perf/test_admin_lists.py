"""The admin's lists of tables that grow with the requests ask only what an index answers.

No count of the whole table, no ``SELECT DISTINCT`` of a column for a filter or a date hierarchy, no
sort of the table by a date, no query per row, and filters that offer our member libraries, not the
whole directory (``requests_app/utilities/admin_lists.py`` says why; ``make bench`` times the request and event
lists at a million requests).
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Charge
from borrowing.models import CopyrightRecord, PatronDownload, ReminderLog, RotaEntry
from borrowing.states import BorrowingStatus
from lending.models import ElectronicDelivery, Holding, LendingDetail
from requests_app import privacy
from requests_app.admin_lists import LargeTableAdmin
from requests_app.models import (
    Event,
    IllRequest,
    InboundMessage,
    OutboxMessage,
    OutgoingEmail,
    PatronRecordAccess,
)
from requests_app.utilities.admin_lists import CappedCountPaginator
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    UserFactory,
)
from tests.lending.factories import HoldingFactory

pytestmark = pytest.mark.django_db

#: Tables whose rows come with the requests (or the catalogue): millions over ten years.
LARGE_TABLES = [IllRequest, Event, OutboxMessage, OutgoingEmail, InboundMessage, PatronRecordAccess, RotaEntry,
                CopyrightRecord,
                ReminderLog, PatronDownload, LendingDetail, ElectronicDelivery, Holding, Charge]
FEW, MANY = 3, 30


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def make_requests(n: int, **fields) -> list[IllRequest]:
    library = MemberLibraryFactory()
    return [IllRequestFactory(library=library, partner=LibraryFactory(), **fields) for _ in range(n)]


def make_events(n: int) -> None:
    for request in make_requests(n):
        Event.objects.create(request=request, action="create", to_status=request.status, actor_kind="system",
                             source="web")


def make_lending_details(n: int) -> None:
    library = MemberLibraryFactory()
    for _ in range(n):
        request = LendingRequestFactory(library=library, partner=LibraryFactory())
        LendingDetail.objects.create(request=request, holding=HoldingFactory(library=library))


def make_access_log(n: int, staff) -> None:
    for request in make_requests(n):
        privacy.log_patron_access(staff, request=request, what="a test")


def queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("model", LARGE_TABLES, ids=lambda m: m.__name__)
def test_every_large_tables_admin_is_a_large_table_admin(model):
    assert isinstance(admin.site._registry[model], LargeTableAdmin)


@pytest.mark.parametrize("model, make", [(IllRequest, make_requests), (Event, make_events),
                                         (LendingDetail, make_lending_details)],
                         ids=["requests", "events", "lending details"])
def test_a_large_admin_list_runs_as_many_queries_for_30_rows_as_for_3(admin_client, model, make):
    make(FEW)
    few = len(queries(admin_client, changelist(model)))
    make(MANY - FEW)
    assert len(queries(admin_client, changelist(model))) == few


def test_the_access_log_list_runs_as_many_queries_for_30_rows_as_for_3(admin_client, superuser):
    make_access_log(FEW, superuser)
    few = len(queries(admin_client, changelist(PatronRecordAccess)))
    make_access_log(MANY - FEW, superuser)
    assert len(queries(admin_client, changelist(PatronRecordAccess))) == few


@pytest.mark.parametrize("model, make", [(IllRequest, make_requests), (Event, make_events)],
                         ids=["requests", "events"])
def test_a_large_admin_list_reads_no_distinct_values_and_counts_no_whole_table(admin_client, model, make):
    make(FEW)
    sql = queries(admin_client, changelist(model))
    assert not [q for q in sql if "DISTINCT" in q.upper()]
    counts = [q for q in sql if "COUNT(" in q.upper()]
    assert counts and all("LIMIT" in q.upper() for q in counts)


def test_the_request_list_is_ordered_by_the_primary_key_newest_first(admin_client):
    requests = make_requests(FEW)
    sql = queries(admin_client, changelist(IllRequest))
    listing = next(q for q in sql if 'FROM "requests_app_illrequest"' in q and "COUNT(" not in q.upper())
    assert 'ORDER BY "requests_app_illrequest"."id" DESC' in listing
    response = admin_client.get(changelist(IllRequest))
    assert [r.pk for r in response.context["cl"].result_list] == sorted((r.pk for r in requests), reverse=True)


def test_past_the_cap_the_list_says_more_than_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    make_requests(8)
    response = admin_client.get(changelist(IllRequest))
    assert response.context["cl"].result_count == 5
    assert "More than 5 ILL requests: filter or search to narrow the list." in response.content.decode()


def test_within_the_cap_the_list_gives_the_exact_count(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    make_requests(4)
    response = admin_client.get(changelist(IllRequest))
    assert response.context["cl"].result_count == 4
    assert "More than" not in response.content.decode()


def filter_choices(response, title: str) -> list[str]:
    spec = next(s for s in response.context["cl"].filter_specs if s.title == title)
    return [str(choice) for choice, _label in spec.lookup_choices]


def test_the_request_lists_library_filter_offers_member_libraries_only(admin_client):
    member = MemberLibraryFactory()
    partner = LibraryFactory()
    IllRequestFactory(library=member, partner=partner)
    choices = filter_choices(admin_client.get(changelist(IllRequest)), "member library")
    assert str(member.pk) in choices
    assert str(partner.pk) not in choices


def test_the_request_list_filters_by_a_workflow_status_without_reading_the_column(admin_client):
    sent = make_requests(2, status=BorrowingStatus.SENT)
    make_requests(2, status=BorrowingStatus.SUBMITTED)
    response = admin_client.get(changelist(IllRequest) + "?status=sent")
    assert sorted(r.pk for r in response.context["cl"].result_list) == sorted(r.pk for r in sent)
    assert "sent" in filter_choices(response, "status")
    assert "new" in filter_choices(response, "status")  # a lending status, though no request has it


def test_the_event_list_filters_by_action(admin_client):
    make_events(2)
    request = make_requests(1)[0]
    Event.objects.create(request=request, action="verify", from_status=BorrowingStatus.SUBMITTED,
                         to_status=BorrowingStatus.SOURCING,
                         actor_kind="staff", source="web")
    response = admin_client.get(changelist(Event) + "?action=verify")
    assert [e.action for e in response.context["cl"].result_list] == ["verify"]


def test_a_large_table_offers_no_counts_per_filter_choice(admin_client):
    make_requests(2)
    response = admin_client.get(changelist(IllRequest) + "?_facets=True")
    assert response.status_code == 200
    assert not response.context["cl"].add_facets


def test_a_large_table_offers_no_delete_selected_action(admin_client):
    request = admin_client.get(changelist(IllRequest)).wsgi_request
    assert "delete_selected" not in admin.site._registry[IllRequest].get_actions(request)


def test_the_charge_lists_currency_filter_offers_each_currency_once(admin_client):
    for symbol in ("AAA", "BBB", "CCC"):
        LibraryFactory(symbol=symbol, currency="EUR")
    LibraryFactory(currency="GBP")
    choices = filter_choices(admin_client.get(changelist(Charge)), "currency")
    assert choices.count("EUR") == 1
    assert "GBP" in choices


def test_the_request_list_reads_the_rows_its_columns_point_to_for_its_page_only(admin_client):
    make_requests(FEW)
    sql = queries(admin_client, changelist(IllRequest))
    listing = next(q for q in sql if q.startswith('SELECT "requests_app_illrequest"."id"'))
    assert "JOIN" not in listing.upper()
    by_id = [q for q in sql if 'FROM "requests_app_library" WHERE' in q and '"requests_app_library"."id"' in q]
    assert by_id  # the page's libraries and partners, by primary key


def test_the_request_list_reads_only_the_columns_it_shows_of_libraries_and_patrons(admin_client):
    make_requests(FEW)
    sql = queries(admin_client, changelist(IllRequest))
    # The page's libraries, partners and patrons, by id (the signed-in user is a get(): LIMIT 21).
    by_id = re.compile(r'WHERE \(?"(requests_app_library|auth_user)"\."id"\)? (=|IN) ')
    related = [q for q in sql if by_id.search(q) and "LIMIT" not in q]
    assert len(related) == 3
    for query in related:
        columns = query.split(" FROM ")[0]
        assert '"symbol"' in columns or '"username"' in columns
        assert '"email"' not in columns and '"password"' not in columns


@pytest.mark.parametrize("model, query", [
    (CopyrightRecord, "request_year=abc"), (CopyrightRecord, "request_year=99999999999999999999"),
    (IllRequest, "library=abc"), (IllRequest, "library=99999999999999999999"), (IllRequest, "status=nope"),
    (Event, "action=nope"), (Charge, "currency=XXX"),
], ids=lambda value: value if isinstance(value, str) else value.__name__)
def test_a_filter_value_it_does_not_offer_is_an_admin_error_not_a_crash(admin_client, model, query):
    make_requests(1)
    response = admin_client.get(changelist(model) + "?" + query)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


# A member library's administrator: the same lists, narrowed on the indexed library column ----------

@pytest.fixture
def member_library():
    return MemberLibraryFactory()


@pytest.fixture
def member_admin_client(client, member_library):
    from requests_app import roles
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(library=member_library, groups=[roles.ILL_ADMINISTRATOR], is_staff=True))
    return client


def make_library_events(library, n: int) -> None:
    for _ in range(n):
        request = IllRequestFactory(library=library, partner=LibraryFactory())
        Event.objects.create(request=request, action="create", to_status=request.status, actor_kind="system",
                             source="web")


@pytest.mark.parametrize("model", [IllRequest, Event], ids=["requests", "events"])
def test_a_member_librarys_admin_list_runs_as_many_queries_for_30_rows_as_for_3(member_admin_client,
                                                                                member_library, model):
    make_library_events(member_library, FEW)
    few = len(queries(member_admin_client, changelist(model)))
    make_library_events(member_library, MANY - FEW)
    make_library_events(MemberLibraryFactory(), MANY)  # another library's rows change nothing either
    response = member_admin_client.get(changelist(model))
    assert len(response.context["cl"].result_list) == MANY
    assert len(queries(member_admin_client, changelist(model))) == few


def test_a_member_librarys_request_list_filters_on_the_library_column_without_a_join(member_admin_client,
                                                                                     member_library):
    make_library_events(member_library, FEW)
    sql = queries(member_admin_client, changelist(IllRequest))
    listing = next(q for q in sql if q.startswith('SELECT "requests_app_illrequest"."id"'))
    assert '"requests_app_illrequest"."library_id" = ' in listing
    assert "JOIN" not in listing.upper()
