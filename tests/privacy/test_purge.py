"""The scheduled purge of patron identity: nothing of the patron left, statistics unchanged."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from billing.models import Charge
from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import privacy, roles
from requests_app.actors import ActorKind
from requests_app.models import Event, IllRequest, Note, PatronRecordAccess
from requests_app.tasks import purge_patron_data
from tests.factories import LendingRequestFactory, MemberLibraryFactory, PatronFactory, StaffFactory

from .conftest import BARCODE, EMAIL, NAME, PATRON_NOTE, USERNAME, identity_everywhere

TRACES = [NAME[0], NAME[1], EMAIL, USERNAME, BARCODE, "555-0199", "Diophantus"]


def rows_about(request_id: int) -> list[models.Model]:
    """The request and every row of any app that points to it, or to a row that does (one level)."""
    request_fk_models = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is IllRequest:
                request_fk_models.append((model, field.name))
    rows: list[models.Model] = [IllRequest.objects.get(pk=request_id)]
    for model, name in request_fk_models:
        found = list(model.objects.filter(**{name: request_id}))
        rows += found
        for child in apps.get_models():
            for field in child._meta.concrete_fields:
                if field.is_relation and field.related_model is model and found:
                    rows += list(child.objects.filter(**{f"{field.name}__in": found}))
    return rows


def traces_in(rows: list[models.Model], patron_id: int) -> list[str]:
    found = []
    for row in rows:
        for field in row._meta.concrete_fields:
            value = getattr(row, field.attname)
            if field.is_relation and field.related_model is not None and \
                    field.related_model._meta.label == "auth.User" and value == patron_id:
                found.append(f"{row._meta.label}.{field.name} → patron")
            elif isinstance(field, models.CharField | models.TextField | models.JSONField) and value:
                text = str(value).lower()
                found += [f"{row._meta.label}.{field.name}: {t}" for t in TRACES if t.lower() in text]
    return found


def purge(**kwargs) -> dict[str, int]:
    return privacy.purge_patron_identity(**kwargs)


def test_before_the_purge_the_identity_is_found_everywhere(privacy_world):
    # The check below is only worth something if it sees the identity where the fixture put it.
    found = traces_in(rows_about(privacy_world.old_request.pk), privacy_world.patron.pk)
    assert any(f.startswith("requests_app.IllRequest.patron ") for f in found)
    for where in ("Note.text", "Event.note", "Event.data", "OutboxMessage.payload", "CopyrightRecord.exception_note",
                  "RotaEntry.reason", "Charge.note", "ChargeAdjustment.reason", "Charge.patron", "Event.actor_user",
                  "OutgoingEmail.recipient", "OutgoingEmail.body_text"):
        assert any(where in f for f in found), where


def test_the_purge_leaves_no_patron_identity_in_the_database(privacy_world):
    purge()

    assert traces_in(rows_about(privacy_world.old_request.pk), privacy_world.patron.pk) == []


def test_the_purge_marks_the_request_purged_and_clears_the_patron_note(privacy_world):
    purge()

    request = IllRequest.objects.get(pk=privacy_world.old_request.pk)
    assert request.patron_id is None
    assert request.patron_note == ""
    assert request.patron_purged_at is not None


def test_notes_shown_to_or_written_by_the_patron_are_deleted_and_staff_notes_redacted(privacy_world):
    purge()

    texts = list(Note.objects.filter(request=privacy_world.old_request).values_list("text", flat=True))
    assert texts == [f"{privacy.REDACTED} phoned; card {privacy.REDACTED}, write to {privacy.REDACTED}."]


def test_a_patron_who_is_also_staff_keeps_the_notes_they_wrote_on_others_requests(privacy_world):
    colleague = privacy_world.make_request(days_ago=100, patron=PatronFactory(profile__library=privacy_world.library))
    Note.objects.create(request=colleague, author=privacy_world.patron, text="Checked the shelf: not there.")

    purge()

    assert Note.objects.filter(request=colleague, author=None).count() == 0
    assert Note.objects.get(request=colleague).text == "Checked the shelf: not there."


def test_the_access_log_keeps_who_saw_the_patron_but_not_which_request(privacy_world):
    purge()

    row = PatronRecordAccess.objects.get()
    assert (row.patron_id, row.staff_id, row.request_id, row.path) == (
        privacy_world.patron.pk, privacy_world.staff.pk, None, "")


def test_the_purge_leaves_statistics_unchanged(privacy_world):
    world = privacy_world
    for days in (95, 200, 10):
        world.make_request(days_ago=days)
    world.make_request(days_ago=300, status=BorrowingStatus.CANCELLED, patron_category="faculty",
                       patron_department="Physics")

    def statistics():
        by_category = list(IllRequest.objects.values("patron_category", "patron_department")
                           .annotate(n=Count("pk")).order_by("patron_category", "patron_department"))
        by_event = list(Event.objects.values("action", "actor_kind", "to_status").annotate(n=Count("pk"))
                        .order_by("action", "actor_kind", "to_status"))
        by_status = list(IllRequest.objects.values("status").annotate(n=Count("pk")).order_by("status"))
        return by_category, by_event, by_status, Charge.objects.values_list("amount", "currency", "fund")

    before = statistics()
    assert purge()["requests"] == 4
    after = statistics()

    assert after[:3] == before[:3]
    assert list(after[3]) == list(before[3])


def test_requests_younger_than_the_retention_keep_their_patron(privacy_world):
    young = privacy_world.make_request(days_ago=30, patron_note="young note")

    purge()

    young.refresh_from_db()
    assert (young.patron_id, young.patron_note, young.patron_purged_at) == (privacy_world.patron.pk, "young note",
                                                                            None)


def test_requests_not_final_keep_their_patron_however_old(privacy_world):
    open_request = privacy_world.make_request(days_ago=400, status=BorrowingStatus.CHECKED_OUT)
    identity_everywhere(open_request, privacy_world.patron, privacy_world.staff)
    before = traces_in(rows_about(open_request.pk), privacy_world.patron.pk)

    purge()

    assert traces_in(rows_about(open_request.pk), privacy_world.patron.pk) == before


def test_lending_requests_are_not_touched(privacy_world):
    lending = LendingRequestFactory(library=privacy_world.library, status=LendingStatus.COMPLETED,
                                    patron_note="Their patron's note",
                                    status_changed_at=timezone.now() - dt.timedelta(days=400))

    purge()

    lending.refresh_from_db()
    assert (lending.patron_note, lending.patron_purged_at) == ("Their patron's note", None)


def test_the_retention_comes_from_the_setting(privacy_world, settings):
    settings.ILLMS_PATRON_DATA_RETENTION_DAYS = 150

    assert purge()["requests"] == 0

    settings.ILLMS_PATRON_DATA_RETENTION_DAYS = 100
    assert purge()["requests"] == 1


def test_each_library_keeps_patron_identity_as_long_as_its_policy_says(privacy_world):
    from requests_app.models import LibraryPolicy

    strict = MemberLibraryFactory()
    LibraryPolicy.objects.create(library=strict, patron_data_retention_days=30)
    LibraryPolicy.objects.create(library=privacy_world.library, patron_data_retention_days=365)
    patron = PatronFactory(profile__library=strict)
    strict_old = privacy_world.make_request(days_ago=45, library=strict, patron=patron)
    strict_young = privacy_world.make_request(days_ago=20, library=strict, patron=patron)

    assert purge()["requests"] == 1

    purged = set(IllRequest.objects.filter(patron_purged_at__isnull=False).values_list("pk", flat=True))
    assert purged == {strict_old.pk}
    assert strict_young.pk not in purged and privacy_world.old_request.pk not in purged


def test_a_second_run_changes_nothing(privacy_world):
    purge()
    snapshot = [(r._meta.label, r.pk, [getattr(r, f.attname) for f in r._meta.concrete_fields])
                for r in rows_about(privacy_world.old_request.pk)]

    counts = purge()

    assert counts["requests"] == 0
    assert [(r._meta.label, r.pk, [getattr(r, f.attname) for f in r._meta.concrete_fields])
            for r in rows_about(privacy_world.old_request.pk)] == snapshot


def test_a_dry_run_counts_and_changes_nothing(privacy_world):
    counts = purge(dry_run=True)

    assert counts["requests"] == 1
    assert IllRequest.objects.get(pk=privacy_world.old_request.pk).patron_id == privacy_world.patron.pk


def test_the_purge_works_through_every_batch(privacy_world):
    for _ in range(4):
        privacy_world.make_request(days_ago=100, patron_note=PATRON_NOTE)

    counts = purge(batch_size=2)

    assert counts["requests"] == 5
    assert not IllRequest.objects.filter(patron__isnull=False, status=BorrowingStatus.COMPLETED).exists()


def test_the_purge_queries_do_not_grow_with_the_requests_of_a_batch(privacy_world, django_assert_max_num_queries):
    # Measure one purge of 2 requests, then require the same bound for 12.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    privacy_world.make_request(days_ago=100)
    with CaptureQueriesContext(connection) as small:
        purge()
    for _ in range(12):
        request = privacy_world.make_request(days_ago=100, patron_note=PATRON_NOTE)
        identity_everywhere(request, privacy_world.patron, privacy_world.staff)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert purge()["requests"] == 12


def test_the_daily_task_purges(privacy_world):
    purge_patron_data.delay()

    assert IllRequest.objects.get(pk=privacy_world.old_request.pk).patron_purged_at is not None


def test_the_purge_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["requests-purge-patron-data"]

    assert entry["task"] == "requests_app.tasks.purge_patron_data"
    assert entry["schedule"].hour == {2}


def test_the_command_dry_run_says_what_it_would_purge(privacy_world):
    out = io.StringIO()

    call_command("purge_patron_data", "--dry-run", stdout=out)

    assert "1 request(s)" in out.getvalue() and "nothing changed" in out.getvalue()
    assert IllRequest.objects.get(pk=privacy_world.old_request.pk).patron_id is not None


def test_the_command_purges(privacy_world):
    out = io.StringIO()

    call_command("purge_patron_data", stdout=out)

    assert "Purged the patron identity of 1 request(s)" in out.getvalue()
    assert IllRequest.objects.get(pk=privacy_world.old_request.pk).patron_id is None


def test_the_command_refuses_a_batch_size_below_one(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("purge_patron_data", "--batch-size", "0")


# What staff see of a purged request ----------------------------------------------------------

def _no_trace(html: str) -> list[str]:
    return [t for t in TRACES if t.lower() in html.lower()]


def test_the_admin_change_page_of_a_purged_request_shows_no_identity(privacy_world, admin_client):
    purge()

    response = admin_client.get(reverse("admin:requests_app_illrequest_change", args=[privacy_world.old_request.pk]))

    assert response.status_code == 200
    assert _no_trace(response.content.decode()) == []


def test_the_admin_list_of_requests_shows_no_identity_after_the_purge(privacy_world, admin_client):
    purge()

    response = admin_client.get(reverse("admin:requests_app_illrequest_changelist"))

    assert response.status_code == 200
    assert privacy_world.old_request.title in response.content.decode()
    assert _no_trace(response.content.decode()) == []


def test_the_borrowing_desk_page_of_a_purged_request_shows_no_identity(privacy_world, client):
    purge()
    client.force_login(privacy_world.staff)

    response = client.get(reverse("borrowing_staff:request", args=[privacy_world.old_request.pk]))

    assert response.status_code == 200
    assert _no_trace(response.content.decode()) == []


def test_the_staff_api_detail_of_a_purged_request_shows_no_identity(privacy_world, client):
    purge()
    client.force_login(privacy_world.staff)

    response = client.get(f"/api/v1/requests/{privacy_world.old_request.pk}/")

    assert response.status_code == 200
    assert response.json()["patron_name"] is None
    assert _no_trace(response.content.decode()) == []


def test_the_billing_charge_page_and_csv_exports_show_no_identity_after_the_purge(privacy_world, client):
    purge()
    billing = StaffFactory(library=privacy_world.library, groups=[roles.BILLING_STAFF])
    client.force_login(billing)
    charge = Charge.objects.get(request=privacy_world.old_request)

    pages = [reverse("billing:charge", args=[charge.pk]), reverse("billing:charges")]
    pages += [reverse("billing:report-csv", args=[r]) for r in ("receivables", "payables", "aging", "budgets")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_trace(response.getvalue().decode()) == [], url


def test_every_statistics_csv_is_the_same_after_the_purge_and_names_nobody(privacy_world, client):
    from requests_app.statistics.tables import TABLES

    for days in (95, 200, 300):
        privacy_world.make_request(days_ago=days, patron_category="faculty", patron_department="Physics")
    client.force_login(StaffFactory(library=privacy_world.library, groups=[roles.REPORTING]))
    period = {"start": (timezone.localdate() - dt.timedelta(days=3 * 365)).isoformat(),
              "end": timezone.localdate().isoformat()}

    def csvs() -> dict[str, str]:
        result = {}
        for name in TABLES:
            response = client.get(reverse("statistics:csv", args=[name]), period)
            assert response.status_code == 200, name
            result[name] = b"".join(response.streaming_content).decode()
        return result

    before = csvs()
    assert "Physics" in before["department"]
    assert purge()["requests"] == 4
    after = csvs()

    assert after == before
    assert [name for name, text in after.items() if _no_trace(text)] == []


def test_the_staff_api_list_shows_no_identity_for_a_purged_request(privacy_world, client):
    purge()
    client.force_login(privacy_world.staff)

    response = client.get("/api/v1/requests/")

    [row] = [r for r in response.json()["results"] if r["id"] == privacy_world.old_request.pk]
    assert row["patron_name"] is None
    assert _no_trace(response.content.decode()) == []


def test_a_purged_request_no_longer_appears_in_the_patrons_own_pages(privacy_world, client):
    purge()
    client.force_login(privacy_world.patron)

    assert client.get(reverse("patron-request", args=[privacy_world.old_request.pk])).status_code == 404


def test_events_keep_the_patron_as_the_kind_of_actor(privacy_world):
    purge()

    event = Event.objects.get(request=privacy_world.old_request, action="create")
    assert (event.actor_kind, event.actor_user_id, event.note) == (ActorKind.PATRON, None, "")


@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_purge_each_request_once(postgres):
    import threading

    from django.db import connection

    from .conftest import make_world

    world = make_world()
    for _ in range(9):
        world.make_request(days_ago=100, patron_note=PATRON_NOTE)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(purge(batch_size=2)["requests"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 10
    assert IllRequest.objects.filter(patron_purged_at__isnull=False).count() == 10


def test_redaction_takes_whole_words_in_any_case_and_json_keys_too():
    identity = privacy.PatronIdentity(first_name="Ada", last_name="Byron", username="abyron", email="ada@x.org",
                                      card_barcode="2100")

    assert identity.scrub("ADA BYRON met Adams; mail ada@x.org, card 2100, 21001") == (
        "[patron] met Adams; mail [patron], card [patron], 21001")
    assert privacy.scrub_value({"ada@x.org": ["Byron", 3]}, identity) == {"[patron]": ["[patron]", 3]}
