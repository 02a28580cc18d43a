"""With DATABASE_REPLICA_URL, statistics pages and CSV exports read from the replica and nothing else does.

The replica here is a second, read-only connection to the test database (as a streaming replica is read-only),
so a write sent there would fail and every query counted on it really went over that connection.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from illms.replica import REPLICA, ReplicaRouter, replica_reads
from requests_app import roles
from requests_app.models import Library
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory
from tests.illms.test_settings import manage

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replica(settings):
    """Reads of the qualifying pages switched on to the suite's read-only replica connection (tests/conftest.py)."""
    settings.ILLMS_REPLICA_READS = True
    return connections[REPLICA]


@pytest.fixture
def reporter(client):
    library = MemberLibraryFactory()
    IllRequestFactory.create_batch(3, library=library)
    user = StaffFactory(library=library, groups=[roles.REPORTING, roles.BORROWING_STAFF])
    client.force_login(user)
    return user


def test_the_statistics_page_reads_its_figures_from_the_replica(client, replica, reporter):
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("statistics:index"))
    assert response.status_code == 200
    assert len(on_replica) > 0


def test_a_statistics_csv_export_reads_its_rows_from_the_replica(client, replica, reporter):
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("statistics:csv", args=["requests-by-format"]),
                              {"start": "2026-01-01", "end": "2026-12-31"})
        b"".join(response.streaming_content)
    assert response.status_code == 200
    assert len(on_replica) > 0


def test_a_billing_csv_export_reads_from_the_replica(client, replica, reporter):
    reporter.groups.add(Group.objects.get(name=roles.BILLING_STAFF))
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("billing:report-csv", args=["receivables"]),
                              {"start": "2026-01-01", "end": "2026-12-31"})
        b"".join(response.streaming_content)
    assert response.status_code == 200
    assert len(on_replica) > 0


def test_rows_queried_while_a_csv_is_streamed_out_are_read_from_the_replica(replica):
    from django.http import StreamingHttpResponse

    from illms.replica import ReplicaReadsMiddleware

    library = MemberLibraryFactory()

    def lazy_rows():
        yield Library.objects.get(pk=library.pk).name.encode()

    class Request:
        method = "GET"
        user = None
        resolver_match = type("Match", (), {"namespaces": ["statistics"], "url_name": "csv"})()

    request = Request()
    middleware = ReplicaReadsMiddleware(lambda req: StreamingHttpResponse(lazy_rows()))
    middleware.process_view(request, None, (), {})
    response = middleware(request)
    with CaptureQueriesContext(replica) as on_replica:
        assert b"".join(response.streaming_content) == library.name.encode()
    assert len(on_replica) == 1


def test_the_desk_reads_from_the_primary_even_with_a_replica(client, replica, reporter):
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("borrowing_staff:queue"))
    assert response.status_code == 200
    assert len(on_replica) == 0


def test_the_signed_in_user_is_read_from_the_primary_on_a_replica_page(client, replica, reporter):
    with CaptureQueriesContext(replica) as on_replica:
        client.get(reverse("statistics:index"))
    assert not [q for q in on_replica if "django_session" in q["sql"] or '"auth_user"' in q["sql"]]


def test_an_object_read_from_the_replica_is_saved_on_the_primary(replica):
    library = MemberLibraryFactory(name="Before")
    with replica_reads():
        read = Library.objects.get(pk=library.pk)
        assert read._state.db == REPLICA
        read.name = "After"
        read.save()  # the replica connection is read-only: this would fail there
    assert Library.objects.get(pk=library.pk).name == "After"


def test_without_a_replica_reads_stay_on_the_primary(settings):
    settings.ILLMS_REPLICA_READS = False
    with replica_reads():
        assert ReplicaRouter().db_for_read(Library) is None


def test_nothing_is_ever_migrated_on_the_replica():
    assert ReplicaRouter().allow_migrate(REPLICA, "requests_app") is False
    assert ReplicaRouter().allow_migrate("default", "requests_app") is None


@pytest.mark.django_db(transaction=False)
def test_database_replica_url_adds_the_replica_with_the_primarys_connection_settings(tmp_path):
    show = ("from django.conf import settings; r = settings.DATABASES['replica']; "
            "print(r['NAME'], r['CONN_MAX_AGE'], r['TEST']['MIRROR'], settings.ILLMS_REPLICA_READS)")
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
           "DATABASE_REPLICA_URL": f"sqlite:///{tmp_path}/b.sqlite3", "DJANGO_CONN_MAX_AGE": "30"}
    shown = manage("shell", "-c", show, env=env).stdout.split()[-4:]
    assert shown == [f"{tmp_path}/b.sqlite3", "30", "default", "True"]


@pytest.mark.django_db(transaction=False)
def test_a_replica_on_another_kind_of_server_is_refused_at_start(tmp_path):
    env = {"ILLMS_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3",
           "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5432/x"}
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must name a replica" in result.stderr
