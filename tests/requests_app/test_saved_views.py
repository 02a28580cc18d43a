"""Saved queue views keep only what a desk's queue knows, one name per staff member and queue, one default."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import QueryDict

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import saved_views
from requests_app.models import Role, SavedQueueView
from requests_app.saved_views import SavedQuery, parse
from tests.factories import SavedQueueViewFactory, StaffFactory

pytestmark = pytest.mark.django_db

BORROWING = saved_views.queues.get(Role.BORROWING)
LENDING = saved_views.queues.get(Role.LENDING)


def problems(queue, text: str) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        parse(queue, text)
    return raised.value.messages


def test_a_borrowing_query_keeps_its_filters_sort_and_columns():
    query = parse(BORROWING, f"q=+Kuhn+&status={BorrowingStatus.SENT}&sort=-need_by&cols=age&cols=due&needs=unread")
    assert query == SavedQuery(filters=(("needs", "unread"), ("q", "Kuhn"), ("status", BorrowingStatus.SENT)),
                               sort="-need_by",
                               columns=("age", "due"))


def test_a_lending_query_keeps_its_filters():
    query = parse(LENDING, f"partner=EYM&match=held&renewals=1&status={LendingStatus.NEW}&cols=call_number")
    assert dict(query.filters) == {"partner": "EYM", "match": "held", "renewals": "1",
                                   "status": LendingStatus.NEW}
    assert query.columns == ("call_number",)


def test_a_query_without_cols_keeps_every_optional_column():
    assert parse(BORROWING, "").columns == ("format", "age", "need_by", "due", "lender_due")


def test_empty_cols_keeps_no_optional_column():
    assert parse(BORROWING, "cols=").columns == ()


def test_empty_filters_are_not_kept():
    assert parse(BORROWING, "q=&status=&format=&sort=").filters == ()


def test_the_page_cursor_and_the_view_marker_are_not_kept():
    assert parse(BORROWING, "cursor=abc&view=standard&q=x").filters == (("q", "x"),)


def test_lendings_printed_slips_are_not_kept():
    assert parse(LENDING, "printed=1,2&q=x").filters == (("q", "x"),)


def test_an_unknown_parameter_is_refused():
    assert problems(BORROWING, "q=x&patron__password=a") == ["The queue has no filter “patron__password”."]


def test_an_unknown_column_is_refused():
    assert problems(BORROWING, "cols=age,password") == ["The queue has no column “password”."]


def test_a_column_of_the_other_desk_is_refused():
    assert problems(LENDING, "cols=lender_due") == ["The queue has no column “lender_due”."]


def test_an_unknown_status_is_refused_with_the_filters_label():
    assert problems(BORROWING, "status=lost_in_space") == [
        "Status: Select a valid choice. lost_in_space is not one of the available choices."]


def test_a_status_of_the_other_desk_is_refused():
    assert problems(LENDING, f"status={BorrowingStatus.END_OF_ROTA}")[0].startswith("Status: Select a valid choice.")


def test_an_unknown_sort_is_refused():
    assert problems(BORROWING, "sort=patron__password") == ["The queue cannot be sorted by “patron__password”."]


def test_an_unknown_needs_action_list_is_refused():
    assert problems(LENDING, "needs=nothing") == ["The queue has no “needs action” list “nothing”."]


def test_a_filter_given_twice_is_refused():
    assert problems(BORROWING, "q=a&q=b") == ["“q” is given more than once."]


def test_a_search_longer_than_the_lending_queue_reads_is_refused():
    assert problems(LENDING, "q=" + "x" * 101)[0].startswith("Search: Ensure this value has at most 100 characters")


def test_a_query_string_too_long_to_keep_is_refused():
    assert "too long" in problems(BORROWING, "q=" + "x" * saved_views.MAX_QUERY)[0]


def test_a_views_address_is_the_queue_with_its_parameters():
    view = SavedQueueViewFactory(filters={"status": BorrowingStatus.SENT, "q": "Kuhn"}, sort="-title",
                                 columns=["age", "due"])
    url = saved_views.view_url(view)
    assert url.startswith("/borrowing/queue/?")
    assert QueryDict(url.split("?", 1)[1]).dict() == {"q": "Kuhn", "status": BorrowingStatus.SENT, "sort": "-title",
                                                     "cols": "age,due"}


def test_a_saved_view_read_back_is_the_query_it_was_saved_from():
    staff = StaffFactory()
    query = parse(BORROWING, f"status={BorrowingStatus.SENT}&q=Kuhn&needs=unread&sort=title&cols=age")
    view = saved_views.save_view(owner=staff, library=staff.staff_profile.library, role=Role.BORROWING,
                                 name="Mine", query=query)
    assert SavedQuery.of(SavedQueueView.objects.get(pk=view.pk)) == query


def test_saving_a_second_view_with_the_same_name_in_another_case_is_refused():
    view = SavedQueueViewFactory(name="Overdue books")
    with pytest.raises(ValidationError) as raised:
        saved_views.save_view(owner=view.owner, library=view.library, role=Role.BORROWING, name="overdue BOOKS",
                              query=parse(BORROWING, ""))
    assert "already have a view named" in raised.value.message_dict["name"][0]
    assert SavedQueueView.objects.count() == 1


def test_the_same_name_may_be_used_on_the_other_queue():
    view = SavedQueueViewFactory(name="Mine")
    saved_views.save_view(owner=view.owner, library=view.library, role=Role.LENDING, name="Mine",
                          query=parse(LENDING, ""))
    assert SavedQueueView.objects.filter(name="Mine").count() == 2


def test_the_same_name_may_be_used_by_another_staff_member():
    view = SavedQueueViewFactory(name="Mine")
    other = StaffFactory(library=view.library)
    saved_views.save_view(owner=other, library=view.library, role=Role.BORROWING, name="Mine",
                          query=parse(BORROWING, ""))
    assert SavedQueueView.objects.filter(name="Mine").count() == 2


def test_the_database_refuses_a_second_view_of_the_same_name():
    view = SavedQueueViewFactory(name="Mine")
    with pytest.raises(IntegrityError):
        SavedQueueViewFactory(owner=view.owner, name="MINE")


def test_the_database_refuses_a_second_default_view_of_one_queue():
    view = SavedQueueViewFactory(is_default=True)
    with pytest.raises(IntegrityError):
        SavedQueueViewFactory(owner=view.owner, is_default=True)


def test_making_a_view_the_default_ends_the_former_defaults_turn():
    former = SavedQueueViewFactory(is_default=True)
    new = saved_views.save_view(owner=former.owner, library=former.library, role=Role.BORROWING, name="New one",
                                query=parse(BORROWING, ""), make_default=True)
    former.refresh_from_db()
    assert (former.is_default, new.is_default) == (False, True)


def test_a_default_on_the_lending_queue_leaves_the_borrowing_default_alone():
    borrowing = SavedQueueViewFactory(is_default=True)
    saved_views.save_view(owner=borrowing.owner, library=borrowing.library, role=Role.LENDING, name="L",
                          query=parse(LENDING, ""), make_default=True)
    borrowing.refresh_from_db()
    assert borrowing.is_default


def test_a_staff_member_may_keep_at_most_the_limit_of_views_on_one_queue(monkeypatch):
    monkeypatch.setattr(saved_views, "MAX_VIEWS", 2)
    view = SavedQueueViewFactory()
    SavedQueueViewFactory(owner=view.owner)
    with pytest.raises(ValidationError) as raised:
        saved_views.save_view(owner=view.owner, library=view.library, role=Role.BORROWING, name="Third",
                              query=parse(BORROWING, ""))
    assert "delete one first" in raised.value.message_dict["name"][0]


def test_renaming_a_view_to_another_views_name_is_refused_and_changes_nothing():
    view = SavedQueueViewFactory(name="One")
    SavedQueueViewFactory(owner=view.owner, name="Two")
    with pytest.raises(ValidationError):
        saved_views.update_view(view=view, name="two", make_default=True)
    view.refresh_from_db()
    assert (view.name, view.is_default) == ("One", False)


def test_renaming_a_view_to_its_own_name_in_another_case_is_allowed():
    view = SavedQueueViewFactory(name="overdue")
    saved_views.update_view(view=view, name="Overdue", make_default=False)
    view.refresh_from_db()
    assert view.name == "Overdue"


def test_replacing_a_views_query_keeps_its_name():
    view = SavedQueueViewFactory(name="Mine", filters={"status": BorrowingStatus.SENT}, sort="title", columns=["age"])
    saved_views.update_view(view=view, name="Mine", make_default=False, query=parse(BORROWING, "q=Kuhn&cols="))
    view.refresh_from_db()
    assert (view.name, view.filters, view.sort, view.columns) == ("Mine", {"q": "Kuhn"}, "", [])


def test_a_staff_members_views_are_read_in_one_query(django_assert_num_queries):
    view = SavedQueueViewFactory()
    SavedQueueViewFactory.create_batch(5, owner=view.owner)
    with django_assert_num_queries(1):
        assert len(saved_views.views_of(owner=view.owner, library=view.library, role=Role.BORROWING)) == 6


def test_views_kept_for_another_library_are_not_read_at_this_one():
    view = SavedQueueViewFactory()
    other_library = StaffFactory().staff_profile.library
    assert saved_views.views_of(owner=view.owner, library=other_library, role=Role.BORROWING) == []
