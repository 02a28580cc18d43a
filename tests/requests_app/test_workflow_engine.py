"""The workflow engine: each side's table, performed through ``requests_app.services.perform``."""

from __future__ import annotations

import pytest
from django.utils import timezone

from borrowing.models import PurchaseVendor
from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.actors import ActorKind
from requests_app.models import Event, IllRequest, RequestFormat, Role
from requests_app.workflow import Actor, WorkflowError, registry
from tests.factories import IllRequestFactory, LendingRequestFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _all_transitions():
    for role in (Role.BORROWING, Role.LENDING):
        workflow = registry.get(role)
        for transition in workflow.transitions.values():
            yield role, workflow, transition


#: Transitions whose effects need what only their own service and form give (a supplier's order, its PDF): they
#: are tested end to end in tests/borrowing/test_document_suppliers.py.
OWN_SERVICE_ONLY = {"order_from_supplier", "supplier_delivered"}
ALLOWED = [
    pytest.param(role, t.action, source, id=f"{role}-{t.action}-from-{source}")
    for role, workflow, t in _all_transitions() for source in sorted(t.sources) if t.action not in OWN_SERVICE_ONLY
]
REFUSED = [
    pytest.param(role, t.action, state, id=f"{role}-{t.action}-from-{state}")
    for role, workflow, t in _all_transitions() for state in workflow.states if state not in t.sources
]


def make_request(role: str, status: str, action: str) -> IllRequest:
    """A request in ``status`` that satisfies the guards of ``action``."""
    fmt = RequestFormat.ARTICLE if action in {"send_to_copyright", "deliver_copy"} else RequestFormat.BOOK
    factory = IllRequestFactory if role == Role.BORROWING else LendingRequestFactory
    # The lender answers a renewal only once one was asked.
    asked = {"renewal_requested_at": timezone.now()} if action == "answer_renewal" else {}
    request = factory(status=status, format=fmt, **asked)
    if action in {"order_purchase", "dismiss_purchase"}:  # buying needs a vendor to buy from
        PurchaseVendor.objects.create(library=request.library, name="Books Ltd", order_email="orders@books.example",
                                      currency="USD")
    return request


def actor_for(request: IllRequest, kind: ActorKind) -> Actor:
    if kind == ActorKind.STAFF:
        return Actor.staff(StaffFactory(library=request.library))
    if kind == ActorKind.PATRON:
        return Actor.patron(request.patron)
    if kind == ActorKind.PARTNER:
        return Actor.partner(request.partner)
    return Actor.system("test")


def first_performer(role: str, action: str) -> ActorKind:
    transition = registry.get(role).transition(action)
    for kind in (ActorKind.STAFF, ActorKind.PARTNER, ActorKind.PATRON, ActorKind.SYSTEM):
        if kind in transition.performers:
            return kind
    raise AssertionError("transition without performers")


@pytest.mark.parametrize(("role", "action", "source"), ALLOWED)
def test_every_allowed_transition_moves_the_request_and_logs_one_event(role, action, source):
    request = make_request(role, source, action)
    transition = registry.get(role).transition(action)
    actor = actor_for(request, first_performer(role, action))

    services.perform(request=request, action=action, actor=actor, note="because", data={"answer": "Y"})

    request.refresh_from_db()
    assert request.status == (transition.target or source)
    event = Event.objects.get(request=request)
    assert (event.action, event.from_status, event.to_status) == (action, source, request.status)
    assert event.actor_kind == actor.kind


@pytest.mark.parametrize(("role", "action", "state"), REFUSED)
def test_every_transition_from_a_state_it_does_not_leave_is_refused_and_changes_nothing(role, action, state):
    request = make_request(role, state, action)
    before = IllRequest.objects.values().get(pk=request.pk)
    actor = actor_for(request, first_performer(role, action))

    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action=action, actor=actor, note="because")

    assert excinfo.value.code == "not_allowed"
    assert IllRequest.objects.values().get(pk=request.pk) == before
    assert not Event.objects.filter(request=request).exists()


def test_an_unknown_action_is_refused_with_unknown_action():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="teleport", actor=Actor.system("test"))
    assert excinfo.value.code == "unknown_action"


def test_a_patron_cannot_perform_a_staff_action():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="verify", actor=Actor.patron(request.patron))
    assert excinfo.value.code == "forbidden"
    request.refresh_from_db()
    assert request.status == BorrowingStatus.SUBMITTED


def test_a_patron_cannot_cancel_another_patrons_request():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    stranger = PatronFactory()
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="cancel", actor=Actor.patron(stranger))
    assert excinfo.value.code == "forbidden"


def test_staff_of_another_library_cannot_act_on_a_request():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    outsider = StaffFactory()
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="verify", actor=Actor.staff(outsider))
    assert excinfo.value.code == "forbidden"


def test_staff_without_the_borrowing_role_cannot_work_the_borrowing_queue():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    lender_only = StaffFactory(library=request.library, groups=["ILL staff (lending)"])
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="verify", actor=Actor.staff(lender_only))
    assert excinfo.value.code == "forbidden"


def test_a_partner_cannot_answer_for_a_request_sent_to_another_library():
    request = IllRequestFactory(status=BorrowingStatus.SENT)
    other = LendingRequestFactory().partner
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="lender_shipped", actor=Actor.partner(other))
    assert excinfo.value.code == "forbidden"


def test_an_action_on_a_request_that_changed_since_it_was_read_is_a_conflict():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    stale = IllRequest.objects.get(pk=request.pk)
    staff = StaffFactory(library=request.library)
    services.perform(request=request, action="verify", actor=Actor.staff(staff))

    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=stale, action="cancel", actor=Actor.staff(staff))

    assert excinfo.value.code == "conflict"
    assert Event.objects.filter(request=request).count() == 1


def test_a_guard_refuses_copyright_review_for_a_book():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED, format=RequestFormat.BOOK)
    staff = StaffFactory(library=request.library)
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="send_to_copyright", actor=Actor.staff(staff))
    assert excinfo.value.code == "guard_failed"


def test_an_action_that_needs_a_reason_is_refused_without_one():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
    staff = StaffFactory(library=request.library)
    with pytest.raises(WorkflowError) as excinfo:
        services.perform(request=request, action="cancel_owned_locally", actor=Actor.staff(staff), note="  ")
    assert excinfo.value.code == "invalid"


def test_side_effects_run_only_after_the_transaction_commits(django_capture_on_commit_callbacks):
    from requests_app.services import request_transitioned

    received = []
    request_transitioned.connect(lambda **kw: received.append(kw["event"].action), weak=False, dispatch_uid="t1")
    try:
        request = IllRequestFactory(status=BorrowingStatus.SUBMITTED)
        staff = StaffFactory(library=request.library)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.perform(request=request, action="verify", actor=Actor.staff(staff))
        assert received == []
        for callback in callbacks:
            callback()
        assert received == ["verify"]
    finally:
        request_transitioned.disconnect(dispatch_uid="t1")


def test_checking_out_gives_the_patron_a_due_date_before_the_lenders(settings):
    import datetime as dt

    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 4
    request = IllRequestFactory(status=BorrowingStatus.READY_FOR_PICKUP, due_date=dt.date(2026, 12, 20))
    staff = StaffFactory(library=request.library)
    services.perform(request=request, action="check_out", actor=Actor.staff(staff))
    request.refresh_from_db()
    assert request.patron_due_date == dt.date(2026, 12, 16)


def test_available_actions_are_exactly_those_the_actor_may_perform_now():
    request = IllRequestFactory(status=BorrowingStatus.SUBMITTED, format=RequestFormat.BOOK)
    staff = StaffFactory(library=request.library)
    actions = {t.action for t in services.available_actions(request=request, actor=Actor.staff(staff))}
    # Copyright review is a guard away for a book; the patron-side and partner actions are not staff's.
    assert actions == {"verify", "cancel_owned_locally", "cancel_free_online", "cancel"}


def test_workflow_tables_name_only_their_own_states():
    for workflow in registry:
        for transition in workflow.transitions.values():
            assert transition.sources <= set(workflow.states)
            assert transition.target is None or transition.target in workflow.states
            assert transition.performers, transition.action


def test_every_state_but_the_first_can_be_reached_and_every_open_state_can_be_left():
    for workflow in registry:
        reachable = {workflow.initial} | {t.target for t in workflow.transitions.values() if t.target}
        assert reachable == set(workflow.states), workflow.role
        leavable = {s for t in workflow.transitions.values() for s in t.sources if t.target and t.target != s}
        assert set(workflow.open_states) <= leavable, workflow.role
