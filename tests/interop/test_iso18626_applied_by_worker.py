"""Acknowledge, then apply (``ILLMS_ISO18626_APPLY=by_worker``): ``/iso18626`` stores and confirms, a worker applies.

Tasks are not run eagerly here, so a message waits until the test runs the worker's code
(``intake.apply_pending``, what the Celery task ``apply_inbound_messages`` runs). The tests of workers side by side
and of a worker killed mid-batch need PostgreSQL's row locks and really commit.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.iso18626 import messages as m
from requests_app.iso18626 import xml
from requests_app.models import IllRequest, InboundMessage, InboundState, Note, Role
from requests_app.partners import intake
from requests_app.partners.outgoing import agency_id
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    StaffFactory,
    sender_credentials,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def by_worker(settings):
    """Messages are stored and confirmed; nothing applies them until the test runs the worker."""
    from illms.celery import app

    settings.ILLMS_ISO18626_APPLY = intake.BY_WORKER
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """What the web process would queue after a commit is counted, not sent: the test is the worker."""
    kicks = []
    monkeypatch.setattr(intake, "kick", lambda: kicks.append(1))
    return kicks


def post(client, message) -> m.Confirmation:
    response = client.post("/iso18626", data=xml.encode(message), content_type="application/xml",
                           **sender_credentials(message))
    assert response.status_code == 200
    return xml.decode(response.content)


def iso_request(library, partner, rid="NFC-100", isbn="9780226458083", timestamp=T0):
    return m.Request(
        header=m.RequestHeader(supplying_agency_id=agency_id(library), requesting_agency_id=agency_id(partner),
                               timestamp=timestamp, requesting_agency_request_id=rid),
        bibliographic_info=m.BibliographicInfo(
            title="The Structure of Scientific Revolutions", author="Kuhn, Thomas S.",
            bibliographic_item_ids=(m.BibliographicItemId(code=m.TypedValue(value="ISBN"), value=isbn),)),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW),
    )


def borrower_message(library, partner, rid, action, *, note=None, timestamp=T0):
    return m.RequestingAgencyMessage(
        header=m.RequestingAgencyMessageHeader(
            supplying_agency_id=agency_id(library), requesting_agency_id=agency_id(partner), timestamp=timestamp,
            requesting_agency_request_id=rid, supplying_agency_request_id=None),
        action=action, note=note)


def lender_message(request, status, *, reason=m.ReasonForMessage.STATUS_CHANGE, timestamp=T0):
    return m.SupplyingAgencyMessage(
        header=m.SupplyingAgencyMessageHeader(
            supplying_agency_id=agency_id(request.partner), requesting_agency_id=agency_id(request.library),
            timestamp=timestamp, requesting_agency_request_id=request.requesting_agency_request_id,
            supplying_agency_request_id="LENDER-9"),
        message_info=m.MessageInfo(reason_for_message=reason),
        status_info=m.StatusInfo(status=status, last_change=timestamp))


def assert_ok(confirmation):
    assert confirmation.header.message_status == m.MessageStatus.OK, confirmation.error_data


def assert_error(confirmation, error_type=m.ErrorType.UNRECOGNISED_DATA_VALUE):
    assert confirmation.header.message_status == m.MessageStatus.ERROR
    assert [e.error_type for e in confirmation.error_data] == [error_type]


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


# What is confirmed at once, and what the worker does -------------------------------------------

@pytest.mark.django_db
def test_a_partners_request_is_confirmed_and_stored_before_the_worker_creates_it(client, no_broker,
                                                                                   django_capture_on_commit_callbacks):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert_ok(post(client, iso_request(library, partner)))
    stored = InboundMessage.objects.get()
    assert (stored.state, stored.request, stored.member, stored.kind) == (InboundState.PENDING, None, library,
                                                                          m.MessageKind.REQUEST)
    assert not IllRequest.objects.exists()
    assert no_broker == [1]

    assert intake.apply_pending() == 1
    request = IllRequest.objects.get()
    assert (request.role, request.library, request.partner, request.status) == (Role.LENDING, library, partner,
                                                                                LendingStatus.NEW)
    stored.refresh_from_db()
    assert (stored.state, stored.request, stored.payload) == (InboundState.APPLIED, request, None)
    assert stored.applied_at >= stored.received_at


@pytest.mark.django_db
def test_a_request_to_a_library_not_served_here_is_answered_error_and_not_stored(client):
    stranger, partner = LibraryFactory(), LibraryFactory()
    assert_error(post(client, iso_request(stranger, partner)))
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_request_whose_citation_does_not_validate_is_answered_error_and_not_stored(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    confirmation = post(client, iso_request(library, partner, isbn="9780226458084"))
    assert_error(confirmation)
    assert "isbn" in confirmation.error_data[0].error_value
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_lenders_message_about_a_request_we_do_not_have_is_answered_error(client):
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    message = lender_message(request, m.Status.WILL_SUPPLY)
    request.delete()
    assert_error(post(client, message))
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_message_the_requests_state_refuses_is_answered_error_when_nothing_waits_before_it(client):
    request = LendingRequestFactory(status=LendingStatus.NEW)
    message = borrower_message(request.library, request.partner, request.requesting_agency_request_id,
                               m.Action.SHIPPED_RETURN)
    assert_error(post(client, message))
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_a_borrowers_message_about_a_request_still_waiting_to_be_applied_is_confirmed_and_applied_after_it(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    assert_ok(post(client, iso_request(library, partner, rid="NFC-7")))
    assert_ok(post(client, borrower_message(library, partner, "NFC-7", m.Action.NOTIFICATION, note="Any news?",
                                            timestamp=at(1))))
    assert list(intake.claimable().values_list("kind", flat=True)) == [m.MessageKind.REQUEST]

    assert intake.apply_pending() == 2
    request = IllRequest.objects.get()
    assert list(Note.objects.filter(request=request).values_list("text", flat=True)) == ["Any news?"]
    assert set(InboundMessage.objects.values_list("state", "request")) == {(InboundState.APPLIED, request.pk)}


@pytest.mark.django_db
def test_a_message_sent_twice_before_it_is_applied_is_stored_once_answered_alike_and_applied_once(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    first = post(client, iso_request(library, partner))
    again = post(client, iso_request(library, partner))
    assert again == first
    assert InboundMessage.objects.count() == 1
    intake.apply_pending()
    intake.apply_pending()
    assert IllRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_request_resent_under_a_new_timestamp_is_confirmed_and_creates_nothing_more(client):
    library, partner = MemberLibraryFactory(), LibraryFactory()
    assert_ok(post(client, iso_request(library, partner)))
    intake.apply_pending()
    assert_ok(post(client, iso_request(library, partner, timestamp=at(5))))
    intake.apply_pending()
    assert IllRequest.objects.count() == 1
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {InboundState.APPLIED}


@pytest.mark.django_db
def test_a_message_whose_apply_fails_is_marked_with_its_error_and_another_requests_message_still_applies(client):
    request = LendingRequestFactory(status=LendingStatus.NEW)
    library, partner, rid = request.library, request.partner, request.requesting_agency_request_id
    # The first waits, so the second is checked only when it is applied: then the state refuses it.
    assert_ok(post(client, borrower_message(library, partner, rid, m.Action.NOTIFICATION, note="Hello")))
    assert_ok(post(client, borrower_message(library, partner, rid, m.Action.SHIPPED_RETURN, timestamp=at(1))))
    other_partner = LibraryFactory()
    assert_ok(post(client, iso_request(library, other_partner, rid="OTHER-1", timestamp=at(2))))

    assert intake.apply_pending() == 3
    failed = InboundMessage.objects.get(state=InboundState.FAILED)
    assert (failed.summary, failed.request) == (str(m.Action.SHIPPED_RETURN), request)
    assert failed.apply_error
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW
    assert IllRequest.objects.filter(partner=other_partner, requesting_agency_request_id="OTHER-1").exists()


def _failed_message(client) -> tuple[IllRequest, InboundMessage]:
    """A lending request and a borrower's message about it that was confirmed, then failed when applied: the
    request was still *new* for its shipped-return (the note stored before it kept it from being checked at once)."""
    request = LendingRequestFactory(status=LendingStatus.NEW)
    library, partner, rid = request.library, request.partner, request.requesting_agency_request_id
    assert_ok(post(client, borrower_message(library, partner, rid, m.Action.NOTIFICATION, note="Hello")))
    assert_ok(post(client, borrower_message(library, partner, rid, m.Action.SHIPPED_RETURN, timestamp=at(1))))
    intake.apply_pending()
    return request, InboundMessage.objects.get(state=InboundState.FAILED)


@pytest.mark.django_db
def test_staff_see_a_partner_message_that_could_not_be_applied_in_their_inbox(client):
    request, failed = _failed_message(client)
    error = failed.apply_error

    client.force_login(StaffFactory(library=request.library, groups=[roles.LENDING_STAFF]))
    page = client.get("/inbox/").content.decode()
    assert "Partner messages that could not be applied" in page
    assert error in page
    assert request.number in page


@pytest.mark.django_db
def test_staff_of_another_library_do_not_see_its_failed_partner_messages(client):
    _failed_message(client)

    client.force_login(StaffFactory(library=MemberLibraryFactory(), groups=[roles.LENDING_STAFF]))
    assert "Partner messages that could not be applied" not in client.get("/inbox/").content.decode()


@pytest.mark.django_db
def test_a_failed_message_applied_again_by_staff_waits_for_the_worker_once_more(client):
    _request, failed = _failed_message(client)

    assert intake.apply_again(InboundMessage.objects.all()) == 1
    failed.refresh_from_db()
    assert (failed.state, failed.apply_error) == (InboundState.PENDING, "")


# Workers side by side, and a worker that dies (PostgreSQL) ------------------------------------

THREADS, MESSAGES = 12, 5


def _store_notification_threads(client) -> list[IllRequest]:
    requests = [LendingRequestFactory(status=LendingStatus.NEW) for _ in range(THREADS)]
    for k in range(MESSAGES):
        for request in requests:
            assert_ok(post(client, borrower_message(request.library, request.partner,
                                                    request.requesting_agency_request_id, m.Action.NOTIFICATION,
                                                    note=f"{k}", timestamp=at(k))))
    return requests


def _notes_in_order(requests) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {request.pk: [] for request in requests}
    for request_id, text in Note.objects.filter(request__in=requests).order_by("pk").values_list("request_id", "text"):
        found[request_id].append(text)
    return found


@pytest.mark.django_db(transaction=True)
def test_two_workers_side_by_side_apply_every_message_once_and_each_requests_in_order(postgres, client, monkeypatch):
    requests = _store_notification_threads(client)
    monkeypatch.setattr(intake, "BATCH", 3)
    done: list[int] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            done.append(intake.apply_pending())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(done) == THREADS * MESSAGES
    assert _notes_in_order(requests) == {request.pk: [str(k) for k in range(MESSAGES)] for request in requests}
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {InboundState.APPLIED}


CLAIM_AND_HANG = """
import sys, time
from django.db import transaction
from requests_app.partners import intake
with transaction.atomic():
    claim = intake.claimable().select_for_update(skip_locked=True, of=("self",)).select_related("sender", "member")
    batch = list(claim[:4])
    for row in batch:
        intake.apply_one(row)
    print("claimed", *[row.pk for row in batch], flush=True)
    time.sleep(600)
"""


@pytest.mark.django_db(transaction=True)
def test_a_batch_claimed_by_a_worker_that_dies_is_applied_by_the_next_once(postgres, client, tmp_path):
    requests = _store_notification_threads(client)
    db = connection.settings_dict
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "DJANGO_DEBUG": "1",
           "ILLMS_VAR_DIR": str(tmp_path), "DJANGO_LOG_LEVEL": "WARNING",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    dying = subprocess.Popen([sys.executable, "manage.py", "shell", "-c", CLAIM_AND_HANG], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while not line.startswith("claimed") and dying.poll() is None:
            line = dying.stdout.readline()  # the shell says what it imported first
        assert line.startswith("claimed"), dying.stderr.read()
        claimed = [int(pk) for pk in line.split()[1:]]
        assert len(claimed) == 4
        # Its rows are locked: another worker applies the rest it may, not those (nor what follows them).
        intake.apply_pending()
        assert set(InboundMessage.objects.filter(pk__in=claimed).values_list("state", flat=True)) == {
            InboundState.PENDING}
    finally:
        dying.kill()
        dying.wait(timeout=30)
    assert intake.apply_pending() > 0
    assert _notes_in_order(requests) == {request.pk: [str(k) for k in range(MESSAGES)] for request in requests}
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {InboundState.APPLIED}
