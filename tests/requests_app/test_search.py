"""Staff search of requests: words through one indexed column, ids and barcodes exactly."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending import selectors
from lending.states import LendingStatus
from requests_app import roles, search
from requests_app.models import IllRequest, PatronProfile
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    MemberLibraryFactory,
    PatronProfileFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_LIST = reverse("admin:requests_app_illrequest_changelist")


def found(text: str, **options) -> set[int]:
    return set(search.requests_matching(IllRequest.objects.all(), text, **options).values_list("pk", flat=True))


@pytest.fixture
def algorithms():
    return IllRequestFactory(title="Introduction to Algorithms", author="Cormen, Thomas", isbn="9780262033848",
                             requesting_agency_request_id="OWN-77")


@pytest.fixture
def other():
    return IllRequestFactory(title="Cataloguing basics", author="Lee, Ann")


def test_a_word_of_the_title_finds_the_request_whatever_its_case(algorithms, other):
    assert found("ALGORITHM") == {algorithms.pk}


def test_every_word_must_be_found(algorithms, other):
    assert found("algorithms cormen") == {algorithms.pk}
    assert found("algorithms lee") == set()


def test_an_isbn_10_finds_the_isbn_13_stored(algorithms, other):
    assert found("0-262-03384-4") == {algorithms.pk}


def test_a_request_number_on_a_slip_finds_the_request(algorithms, other):
    assert found(f"B{algorithms.pk}") == {algorithms.pk}
    assert found(f"l{other.pk}") == {other.pk}


def test_a_partners_request_id_finds_its_request(algorithms, other):
    assert found("OWN-77") == {algorithms.pk}


def test_the_search_text_follows_an_edited_title(algorithms):
    IllRequest.objects.filter(pk=algorithms.pk).update(title="Concrete Mathematics")
    assert found("concrete") == {algorithms.pk}
    assert found("algorithms") == set()


def test_a_patrons_card_barcode_finds_their_requests_when_patrons_are_searched(algorithms, other):
    PatronProfile.objects.filter(user=algorithms.patron).update(card_barcode="2100077")
    assert found("2100077", patrons=True) == {algorithms.pk}
    assert found("2100077") == set()


def test_a_partners_symbol_finds_its_requests_when_partners_are_searched(algorithms, other):
    assert found(other.partner.symbol, partners=True) == {other.pk}


def test_the_admin_search_finds_words_and_stays_in_the_staff_members_library(client, algorithms):
    elsewhere = IllRequestFactory(title="Algorithms elsewhere")
    client.force_login(StaffFactory(library=algorithms.library, is_staff=True, groups=[roles.ILL_ADMINISTRATOR]))
    response = client.get(ADMIN_LIST, {"q": "algorithms"})
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {algorithms.pk} and elsewhere.pk not in shown


def test_the_admin_search_runs_as_many_queries_for_many_matches_as_for_one(admin_client):
    library = MemberLibraryFactory()
    IllRequestFactory(library=library, title="Algorithms 1")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(ADMIN_LIST, {"q": "algorithms smith"}).status_code == 200
        return len(captured)

    before = count()
    IllRequestFactory.create_batch(20, library=library, title="Algorithms again")
    assert count() == before


def test_the_lending_queue_search_finds_a_word_of_the_author(client):
    library = MemberLibraryFactory()
    wanted = LendingRequestFactory(library=library, author="Knuth, Donald", status=LendingStatus.NEW)
    LendingRequestFactory(library=library, author="Lee, Ann", status=LendingStatus.NEW)
    assert [r.pk for r in selectors.lending_queue(library=library, q="knuth")] == [wanted.pk]


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("The trigram index is PostgreSQL's (pg_trgm); SQLite searches the column without one.")


def test_on_postgresql_the_search_column_has_a_trigram_index(postgresql):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'request_search_trgm_idx'")
        (definition,) = cursor.fetchone()
    assert "gin (search_text gin_trgm_ops)" in definition


def test_on_postgresql_a_word_is_looked_up_in_the_trigram_index(postgresql, algorithms, other):
    queryset = search.requests_matching(IllRequest.objects.all(), "algorithm")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "request_search_trgm_idx" in plan


def test_on_postgresql_a_word_is_a_plain_like_on_the_lower_cased_column(postgresql):
    sql = str(search.requests_matching(IllRequest.objects.all(), "Algorithm").query)
    assert "LIKE %algorithm%" in sql and "UPPER(" not in sql


def test_a_patron_look_up_by_user_name_finds_their_requests(algorithms):
    user = UserFactory(username="jdoe")
    PatronProfileFactory(user=user, library=algorithms.library)
    mine = IllRequestFactory(library=algorithms.library, patron=user, title="Something else")
    assert found("jdoe", patrons=True) == {mine.pk}


def test_a_part_of_a_patrons_last_name_finds_their_requests(algorithms):
    user = UserFactory(first_name="Zofia", last_name="Kowalczyk")
    PatronProfileFactory(user=user, library=algorithms.library)
    mine = IllRequestFactory(library=algorithms.library, patron=user, title="Something else")
    assert found("kowal", patrons=True) == {mine.pk}


@pytest.mark.parametrize("word", ["kowal", "CARD-7"])
def test_on_postgresql_a_patron_is_looked_up_by_index_not_by_reading_every_user(postgresql, word):
    with CaptureQueriesContext(connection) as queries:
        search.patrons_named(word)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "auth_user_last_name_trgm_idx" in plan and "patron_card_barcode_upper_idx" in plan
    assert "Seq Scan" not in plan
