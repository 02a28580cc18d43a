"""An action's input: partners' yes/no and dates read in one place, whichever door they came through."""

from __future__ import annotations

import datetime as dt

import pytest

from requests_app.action_input import ActionData, as_date, yes_no
from requests_app.models import Role
from requests_app.workflow import WorkflowError, registry


@pytest.mark.parametrize("value", ["Y", "y", "YES", "yes", "TRUE", "true", True])
def test_each_way_of_saying_yes_is_a_yes(value):
    assert yes_no(value) is True


@pytest.mark.parametrize("value", ["N", "no", "false", False, None, "", "maybe"])
def test_anything_else_is_a_no(value):
    assert yes_no(value) is False


@pytest.mark.parametrize("value", ["2027-01-15", "2027-01-15T10:00:00Z", dt.date(2027, 1, 15),
                                   dt.datetime(2027, 1, 15, 23, 59)])
def test_a_date_is_read_from_text_a_date_or_the_day_of_a_date_time(value):
    assert as_date(value) == dt.date(2027, 1, 15)


def test_an_empty_date_is_none():
    assert as_date("") is None and as_date(None) is None


def test_data_is_read_into_typed_values_and_keys_it_does_not_name_pass_as_sent():
    workflow = registry.get(Role.LENDING)
    typed = workflow.read_data({"answer": "Y", "due_date": "2027-01-15", "tracking_number": "T-1"})
    assert typed == {"answer": True, "due_date": dt.date(2027, 1, 15), "tracking_number": "T-1"}


def test_a_value_left_out_stays_left_out():
    assert registry.get(Role.BORROWING).read_data({"url": "https://x.example/"}) == {"url": "https://x.example/"}


def test_a_date_that_is_no_date_is_refused_as_invalid():
    with pytest.raises(WorkflowError) as refused:
        registry.get(Role.BORROWING).read_data({"due_date": "soon"})
    assert refused.value.code == "invalid"
    assert "due_date" in refused.value.message


def test_each_side_reads_at_least_the_values_partners_send():
    for role in (Role.BORROWING, Role.LENDING):
        assert issubclass(registry.get(role).data_form, ActionData)


def test_each_transition_that_names_a_service_names_the_form_that_feeds_it():
    for role in (Role.BORROWING, Role.LENDING):
        for transition in registry.get(role).transitions.values():
            assert transition.service is None or transition.form is not None, transition.action
