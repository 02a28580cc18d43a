"""The availability check on a new lending request: holdings matched, policy warnings, auto-unfill."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lending.models import LendingDetail
from lending.services.availability import check_availability
from lending.states import LendingStatus
from requests_app.models import Event, IllRequest, OutboxMessage
from requests_app.services import receive_partner_request
from tests.factories import LendingRequestFactory, partner_key
from tests.lending.factories import HoldingFactory, IncomingRequestFactory, IsoPartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_checks(monkeypatch) -> list[int]:
    """The ids of the requests whose availability check was queued for a worker (the broker left out)."""
    from lending import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.check_new_request_availability, "apply_async",
                        lambda args, **options: queued.append(*args))
    return queued


def test_a_request_is_matched_by_isbn_first(library):
    holding = HoldingFactory(library=library, isbn="9780226458083", title="Something else entirely")
    HoldingFactory(library=library, title="The Structure of Scientific Revolutions")
    request = LendingRequestFactory(library=library, isbn="9780226458083",
                                    title="The Structure of Scientific Revolutions")
    detail = check_availability(request=request)
    assert (detail.holding, detail.match_kind) == (holding, "isbn")


def test_a_request_without_a_known_identifier_is_matched_by_normalised_title_and_author(library):
    holding = HoldingFactory(library=library, title="The Structure of Scientific Revolutions.",
                             author="Kuhn, Thomas S.")
    request = LendingRequestFactory(library=library, title="Structure of scientific revolutions",
                                    author="Thomas Kuhn", isbn="9780000000002")
    detail = check_availability(request=request)
    assert (detail.holding, detail.match_kind) == (holding, "title")


def test_a_title_by_another_author_does_not_match(library):
    HoldingFactory(library=library, title="Collected Poems", author="Frost, Robert")
    request = LendingRequestFactory(library=library, title="Collected Poems", author="Sylvia Plath")
    assert check_availability(request=request).match_kind == "none"


def test_another_librarys_holdings_are_not_ours(library):
    HoldingFactory(isbn="9780226458083")
    request = LendingRequestFactory(library=library, isbn="9780226458083")
    assert check_availability(request=request).holding is None


def test_a_lendable_copy_is_preferred_and_a_non_lendable_match_carries_a_warning(library):
    HoldingFactory(library=library, isbn="9780226458083", lendable=False)
    request = LendingRequestFactory(library=library, isbn="9780226458083")
    detail = check_availability(request=request)
    assert detail.match_kind == "isbn"
    assert "The holding is marked not lendable." in detail.warnings
    lendable = HoldingFactory(library=library, isbn="9780226458083")
    assert check_availability(request=request).holding == lendable


def test_a_non_circulating_holding_warns_for_a_loan(library):
    HoldingFactory(library=library, isbn="9780226458083", circulates=False, location="Reference")
    detail = check_availability(request=LendingRequestFactory(library=library, isbn="9780226458083"))
    assert any("does not circulate" in w and "Reference" in w for w in detail.warnings)


def test_a_partner_at_our_loan_limit_is_warned_about(library):
    library.max_loans_outstanding = 2
    library.save()
    partner = IsoPartnerFactory()
    LendingRequestFactory.create_batch(2, library=library, partner=partner, status=LendingStatus.SHIPPED)
    detail = check_availability(request=LendingRequestFactory(library=library, partner=partner))
    assert any("already has 2 of our items" in w for w in detail.warnings)


def test_an_inactive_partner_is_warned_about(library):
    partner = IsoPartnerFactory(active=False)
    detail = check_availability(request=LendingRequestFactory(library=library, partner=partner))
    assert any("inactive partner" in w for w in detail.warnings)


def test_a_new_request_from_a_partner_is_checked_when_it_arrives(library, django_capture_on_commit_callbacks):
    holding = HoldingFactory(library=library, isbn="9780226458083")
    with django_capture_on_commit_callbacks(execute=True):
        request, _ = receive_partner_request(library=library, partner=IsoPartnerFactory(),
                                             requesting_agency_request_id="R-1", title="Kuhn",
                                             isbn="9780226458083")
    assert LendingDetail.objects.get(request=request).holding == holding


def test_nothing_held_is_answered_not_held_when_the_library_allows_it(
        library, settings, django_capture_on_commit_callbacks):
    settings.ILLMS_AUTO_UNFILL_NOT_HELD = True
    with django_capture_on_commit_callbacks(execute=True):
        request, _ = receive_partner_request(library=library, partner=IsoPartnerFactory(),
                                             requesting_agency_request_id="R-2", title="Nothing we own")
    request.refresh_from_db()
    assert request.status == LendingStatus.UNFILLED
    event = Event.objects.get(request=request, action="unfill")
    assert (event.actor_kind, event.data["reason_unfilled"]) == ("system", "NotHeld")
    message = OutboxMessage.objects.get(request=request)
    assert message.payload["message_info"]["reason_unfilled"]["value"] == "NotHeld"


def test_nothing_held_waits_for_staff_by_default(library):
    request = IncomingRequestFactory(library=library)
    check_availability(request=request)
    request.refresh_from_db()
    assert request.status == LendingStatus.NEW


@pytest.mark.parametrize("field,value,kind", [("issn", "0028-0836", "issn"), ("oclc_number", "12345", "oclc")])
def test_a_request_is_matched_by_issn_or_oclc_number(library, field, value, kind):
    holding = HoldingFactory(library=library, title="Nature", **{field: value})
    request = LendingRequestFactory(library=library, title="Molecular structure of nucleic acids", **{field: value})
    detail = check_availability(request=request)
    assert (detail.holding, detail.match_kind) == (holding, kind)


def test_an_article_from_a_holding_that_may_not_be_copied_carries_a_warning(library):
    HoldingFactory(library=library, issn="0028-0836", copyable=False)
    request = LendingRequestFactory(library=library, format="article", service_type="Copy", issn="0028-0836")
    assert "The holding may not be copied." in check_availability(request=request).warnings


def test_running_the_check_again_updates_the_result_without_a_second_row(library):
    request = LendingRequestFactory(library=library, isbn="9780226458083")
    assert check_availability(request=request).match_kind == "none"
    HoldingFactory(library=library, isbn="9780226458083")
    assert check_availability(request=request).match_kind == "isbn"
    assert LendingDetail.objects.filter(request=request).count() == 1


# The check runs in a Celery worker, queued when the new request commits ---------------------------

def test_the_check_is_queued_once_on_commit_and_done_by_the_task(library, django_capture_on_commit_callbacks,
                                                                  settings, queued_checks):
    from lending import tasks

    settings.ILLMS_AUTO_UNFILL_NOT_HELD = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request, _ = receive_partner_request(library=library, partner=IsoPartnerFactory(),
                                             requesting_agency_request_id="R-Q", title="Nothing we own")
        assert queued_checks == []  # not before the request is committed
    assert callbacks and queued_checks == [request.pk]
    assert not LendingDetail.objects.filter(request=request).exists()  # the partner's answer did not wait for it

    # The worker runs it; a second delivery of the same task (acks_late, a worker died) changes nothing.
    tasks.check_new_request_availability(request.pk)
    tasks.check_new_request_availability(request.pk)
    assert LendingDetail.objects.get(request=request).match_kind == "none"
    request.refresh_from_db()
    assert request.status == LendingStatus.UNFILLED
    assert Event.objects.filter(request=request, action="unfill").count() == 1
    assert OutboxMessage.objects.filter(request=request).count() == 1


def test_the_same_request_received_again_is_not_checked_again(library, django_capture_on_commit_callbacks,
                                                               queued_checks):
    partner = IsoPartnerFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            receive_partner_request(library=library, partner=partner, requesting_agency_request_id="R-T",
                                    title="Kuhn")
    assert len(queued_checks) == 1


def test_an_iso18626_request_is_checked_by_the_worker_after_it_is_confirmed(
        library, client, django_capture_on_commit_callbacks):
    """End to end, Celery eager as in the tests: the posted request ends up with its availability result."""
    from django.utils import timezone

    from requests_app.iso18626 import messages as m
    from requests_app.iso18626 import xml

    def agency(lib):
        return m.AgencyId(type=m.TypedValue(value=lib.agency_id_type), value=lib.agency_id_value)

    holding = HoldingFactory(library=library, isbn="9780306406157")
    partner = IsoPartnerFactory()
    body = xml.encode(m.Request(
        header=m.RequestHeader(supplying_agency_id=agency(library), requesting_agency_id=agency(partner),
                               timestamp=timezone.now(), requesting_agency_request_id="R-ISO"),
        bibliographic_info=m.BibliographicInfo(title="On lending", bibliographic_item_ids=(
            m.BibliographicItemId(code=m.TypedValue(value="ISBN"), value="9780306406157"),)),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW),
    ))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/iso18626", data=body, content_type="application/xml",
                               HTTP_AUTHORIZATION=f"Bearer {partner_key(partner)}")
    assert b"messageStatus>OK<" in response.content
    detail = LendingDetail.objects.get(request__partner=partner)
    assert detail.holding == holding and detail.checked_at is not None


def test_the_check_runs_at_once_when_the_queue_is_down(library, django_capture_on_commit_callbacks, monkeypatch):
    from lending import tasks

    def broker_down(args, **options):
        raise ConnectionError("no broker")

    monkeypatch.setattr(tasks.check_new_request_availability, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        request, _ = receive_partner_request(library=library, partner=IsoPartnerFactory(),
                                             requesting_agency_request_id="R-D", title="Kuhn")
    assert LendingDetail.objects.filter(request=request).exists()


def test_the_task_for_a_request_gone_meanwhile_does_nothing(library):
    from lending.tasks import check_new_request_availability

    request = IncomingRequestFactory(library=library)
    pk = request.pk
    request.delete()
    check_new_request_availability(pk)
    assert not LendingDetail.objects.filter(request_id=pk).exists()


def test_running_the_check_again_keeps_what_shipping_wrote(library):
    request = LendingRequestFactory(library=library, isbn="9780226458083")
    check_availability(request=request)
    LendingDetail.objects.filter(request=request).update(carrier="UPS", tracking_number="1Z999", shipping_method="mail")
    HoldingFactory(library=library, isbn="9780226458083")
    check_availability(request=request)
    detail = LendingDetail.objects.get(request=request)
    assert (detail.match_kind, detail.carrier, detail.tracking_number, detail.shipping_method) == (
        "isbn", "UPS", "1Z999", "mail")


def test_the_staff_desk_shows_the_result_once_the_queued_check_has_run(library, django_capture_on_commit_callbacks,
                                                                       queued_checks, client):
    from lending import tasks
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(library=library))
    HoldingFactory(library=library, isbn="9780226458083", call_number="Q175 .K95")
    with django_capture_on_commit_callbacks(execute=True):
        request, _ = receive_partner_request(library=library, partner=IsoPartnerFactory(),
                                             requesting_agency_request_id="R-S", title="Kuhn", isbn="9780226458083")
    assert "Not checked" in client.get("/lending/").content.decode()
    assert "has not run" in client.get(f"/lending/requests/{request.pk}/").content.decode()
    tasks.check_new_request_availability(*queued_checks)
    assert "Held (ISBN)" in client.get("/lending/").content.decode()
    assert "Q175 .K95" in client.get(f"/lending/requests/{request.pk}/").content.decode()


def test_the_sweep_checks_a_new_request_whose_queued_check_was_lost(library):
    from lending.tasks import check_missed_availability

    lost = LendingRequestFactory(library=library, created_at=timezone.now() - dt.timedelta(minutes=6))

    assert check_missed_availability() == 1
    assert LendingDetail.objects.filter(request=lost).exists()


def test_the_sweep_leaves_a_request_whose_queued_check_may_still_run(library):
    from lending.tasks import check_missed_availability

    LendingRequestFactory(library=library, created_at=timezone.now() - dt.timedelta(minutes=1))

    assert check_missed_availability() == 0
    assert not LendingDetail.objects.exists()


def test_the_sweep_does_not_check_a_request_again_or_one_already_answered(library):
    from lending.tasks import check_missed_availability

    long_ago = timezone.now() - dt.timedelta(hours=1)
    checked = LendingRequestFactory(library=library, created_at=long_ago)
    check_availability(request=checked)
    LendingRequestFactory(library=library, created_at=long_ago, status=LendingStatus.AWAITING_SHIPPING)

    assert check_missed_availability() == 0


# Requests a process commits close together share one queued check ---------------------------------

class Clock:
    """``time.monotonic`` in the test's hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Queued(list):
    """The options of each shared check queued, and the clock the process reads."""

    clock: Clock


@pytest.fixture
def shared_checks(monkeypatch) -> Queued:
    """Tasks sent to a broker (not eager), this process's clock in hand; the shared checks queued, recorded."""
    from illms.celery import app
    from lending import tasks
    from lending.services import availability

    app.conf.task_always_eager = False
    clock = Clock()
    monkeypatch.setattr(availability.time, "monotonic", clock)
    monkeypatch.setattr(availability, "_covered_until", 0.0)
    queued = Queued()
    monkeypatch.setattr(tasks.check_new_requests_availability, "apply_async",
                        lambda *args, **options: queued.append(options))
    monkeypatch.setattr(tasks.check_new_request_availability, "apply_async",
                        lambda *args, **options: pytest.fail("a request's own check was queued"))
    queued.clock = clock
    return queued


def _receive(library, partner, rid: str, **citation):
    request, _ = receive_partner_request(library=library, partner=partner, requesting_agency_request_id=rid,
                                         title=citation.pop("title", "Kuhn"), **citation)
    return request


def test_requests_committed_together_share_one_queued_check_that_checks_them_all(
        library, django_capture_on_commit_callbacks, shared_checks):
    from lending import tasks

    partner = IsoPartnerFactory()
    HoldingFactory(library=library, isbn="9780226458083")
    requests = []
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            requests.append(_receive(library, partner, f"R-{n}", isbn="9780226458083"))
        shared_checks.clock.now += 0.3

    assert len(shared_checks) == 1 and shared_checks[0]["countdown"] == 2.0
    assert tasks.check_new_requests_availability(**shared_checks[0]["kwargs"]) == 3
    assert {d.request_id: d.match_kind for d in LendingDetail.objects.all()} == {r.pk: "isbn" for r in requests}


def test_a_request_committed_when_the_queued_check_may_have_started_queues_the_next(
        library, django_capture_on_commit_callbacks, shared_checks):
    from lending import tasks

    partner = IsoPartnerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = _receive(library, partner, "R-1")
    shared_checks.clock.now += 1.0  # the check starts 2 s after it was queued; 1 s is kept as a margin
    with django_capture_on_commit_callbacks(execute=True):
        second = _receive(library, partner, "R-2")

    assert len(shared_checks) == 2
    assert tasks.check_new_requests_availability() == 2  # the first check to run reads both
    assert tasks.check_new_requests_availability() == 0
    assert LendingDetail.objects.filter(request__in=[first, second]).count() == 2


def test_the_shared_check_leaves_older_requests_to_the_sweep_and_checked_ones_alone(library):
    from lending import tasks

    old = LendingRequestFactory(library=library, created_at=timezone.now() - dt.timedelta(minutes=20))
    checked = LendingRequestFactory(library=library)
    check_availability(request=checked)
    answered = LendingRequestFactory(library=library, status="will_supply")
    fresh = LendingRequestFactory(library=library)

    assert tasks.check_new_requests_availability() == 1
    assert set(LendingDetail.objects.values_list("request_id", flat=True)) == {checked.pk, fresh.pk}
    assert not LendingDetail.objects.filter(request__in=[old, answered]).exists()


def test_a_shared_check_a_busy_worker_starts_late_still_reads_the_requests_it_was_queued_for(
        library, django_capture_on_commit_callbacks, shared_checks):
    from lending import tasks

    with django_capture_on_commit_callbacks(execute=True):
        request = _receive(library, IsoPartnerFactory(), "R-LATE")
    IllRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - dt.timedelta(minutes=20))
    queued_since = dt.datetime.fromisoformat(shared_checks[0]["kwargs"]["since"])
    later = {"since": (queued_since - dt.timedelta(minutes=20)).isoformat()}  # as if the worker ran 20 min late

    assert tasks.check_new_requests_availability(**later) == 1
    assert LendingDetail.objects.filter(request=request).exists()


def test_the_shared_check_reads_the_requests_in_batches_until_none_are_left(library, monkeypatch):
    from lending.services import availability

    monkeypatch.setattr(availability, "BATCH", 2)
    requests = [LendingRequestFactory(library=library) for _ in range(5)]

    assert availability.check_recent_requests() == 5
    assert LendingDetail.objects.filter(request__in=requests).count() == 5


def test_the_shared_check_runs_at_once_when_the_queue_is_down(library, django_capture_on_commit_callbacks,
                                                              shared_checks, monkeypatch):
    from lending import tasks

    partner = IsoPartnerFactory()
    waiting = LendingRequestFactory(library=library)  # committed, its queued check lost

    def broker_down(*args, **options):
        raise ConnectionError("no broker")

    monkeypatch.setattr(tasks.check_new_requests_availability, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        request = _receive(library, partner, "R-2")

    assert LendingDetail.objects.filter(request__in=[waiting, request]).count() == 2


def test_after_the_queue_was_down_the_next_request_queues_a_check_again(
        library, django_capture_on_commit_callbacks, shared_checks, monkeypatch):
    from lending import tasks

    partner = IsoPartnerFactory()
    publish = tasks.check_new_requests_availability.apply_async

    def broker_down(*args, **options):
        raise ConnectionError("no broker")

    monkeypatch.setattr(tasks.check_new_requests_availability, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        _receive(library, partner, "R-1")
    monkeypatch.setattr(tasks.check_new_requests_availability, "apply_async", publish)
    with django_capture_on_commit_callbacks(execute=True):
        _receive(library, partner, "R-2")

    assert len(shared_checks) == 1


def test_checks_are_shared_only_when_tasks_go_to_a_broker():
    from illms.celery import app
    from lending.services.availability import shares_checks

    assert not shares_checks()  # eager, as in the tests: each request's check runs when it commits
    app.conf.task_always_eager = False
    assert shares_checks()
