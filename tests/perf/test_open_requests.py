"""The dashboards count open requests from a partial index: its list of final states must match the workflows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from lending.workflow import WORKFLOW as LENDING
from requests_app.states import CLOSED_STATUSES, LENDING_NEW
from requests_app.workflow import registry
from tests.factories import IllRequestFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_the_closed_statuses_are_exactly_the_final_states_of_both_workflows():
    final = {state.value for workflow in registry for state in workflow.states.values() if state.final}
    assert set(CLOSED_STATUSES) == final


def test_no_open_state_of_either_workflow_is_closed():
    open_states = {state.value for workflow in registry for state in workflow.states.values() if not state.final}
    assert open_states.isdisjoint(CLOSED_STATUSES)


def test_the_new_requests_index_names_the_initial_state_of_lending():
    assert LENDING_NEW == LendingStatus.NEW == LENDING.initial


def test_the_queue_shows_counts_for_open_states_and_none_for_final_ones(client):
    staff = StaffFactory()
    client.force_login(staff)
    library = staff.staff_profile.library
    IllRequestFactory(library=library, status=BorrowingStatus.SENT)
    IllRequestFactory.create_batch(2, library=library, status=BorrowingStatus.COMPLETED)
    response = client.get(reverse("borrowing_staff:queue"))
    counts = {row["state"].value: row["count"] for row in response.context["counts"]}
    assert (counts["sent"], counts["completed"], counts["cancelled"]) == (1, None, None)
