"""Staff save, open, rename, replace, make default and delete their own views beside both desks' queues."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import Role, SavedQueueView
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    MemberLibraryFactory,
    SavedQueueViewFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Desk:
    role: str
    url: str
    group: str
    factory: type
    #: A filter of the desk's queue and a status of its workflow.
    status: str
    #: One optional column of the desk.
    column: str

    def __str__(self) -> str:
        return self.role


BORROWING = Desk(Role.BORROWING, "borrowing_staff:queue", roles.BORROWING_STAFF, IllRequestFactory,
                 BorrowingStatus.SENT, "lender_due")
LENDING = Desk(Role.LENDING, "lending:queue", roles.LENDING_STAFF, LendingRequestFactory, LendingStatus.NEW,
               "call_number")
DESKS = [BORROWING, LENDING]


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(home):
    return StaffFactory(library=home)


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


def save_url(desk: Desk) -> str:
    return reverse("staff:saved-views", args=[desk.role])


def edit_url(view: SavedQueueView) -> str:
    return reverse("staff:saved-view", args=[view.queue, view.pk])


def delete_url(view: SavedQueueView) -> str:
    return reverse("staff:saved-view-delete", args=[view.queue, view.pk])


def view_of(desk: Desk, staff, **fields) -> SavedQueueView:
    fields = {"filters": {"status": desk.status}, "sort": "-title", "columns": [desk.column], **fields}
    return SavedQueueViewFactory(owner=staff, queue=desk.role, **fields)


# Saving -------------------------------------------------------------------------------------

@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_saving_keeps_the_queues_filters_sort_and_columns_under_the_name(signed_in, staff, desk):
    query = f"status={desk.status}&q=Kuhn&sort=-title&cols=&cols=age"
    signed_in.post(save_url(desk), {"name": "Kuhn, sent", "query": query})
    view = SavedQueueView.objects.get(owner=staff)
    assert (view.queue, view.name, view.filters, view.sort, view.columns) == (
        desk.role, "Kuhn, sent", {"status": desk.status, "q": "Kuhn"}, "-title", ["age"])


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_saving_opens_the_queue_showing_the_new_view(signed_in, desk):
    response = signed_in.post(save_url(desk), {"name": "Mine", "query": f"status={desk.status}&cols=age"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(desk.url) + "?")
    assert f"status={desk.status}" in response["Location"] and "cols=age" in response["Location"]


def test_a_view_is_kept_for_the_library_the_staff_member_works_for(signed_in, staff, home):
    signed_in.post(save_url(BORROWING), {"name": "Mine", "query": ""})
    assert SavedQueueView.objects.get().library == home


@pytest.mark.parametrize("name", ["", "   "])
def test_saving_without_a_name_is_a_form_error_and_keeps_nothing(signed_in, name):
    response = signed_in.post(save_url(BORROWING), {"name": name, "query": "q=x"})
    assert response.status_code == 400
    assert "Give the view a name." in response.content.decode()
    assert not SavedQueueView.objects.exists()


def test_saving_a_name_too_long_is_a_form_error_and_keeps_nothing(signed_in):
    response = signed_in.post(save_url(BORROWING), {"name": "x" * 81, "query": ""})
    assert response.status_code == 400
    assert "at most 80 characters" in response.content.decode()
    assert not SavedQueueView.objects.exists()


def test_saving_a_name_with_a_line_break_is_a_form_error(signed_in):
    response = signed_in.post(save_url(BORROWING), {"name": "One\nTwo", "query": ""})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()


def test_saving_an_unknown_column_is_a_form_error_and_keeps_nothing(signed_in):
    response = signed_in.post(save_url(BORROWING), {"name": "Mine", "query": "cols=age,secret"})
    assert response.status_code == 400
    assert "These filters cannot be saved: The queue has no column “secret”." in response.content.decode()
    assert not SavedQueueView.objects.exists()


@pytest.mark.parametrize("query", ["status=nowhere", "patron__password=x", "sort=patron__password", "needs=gone",
                                   "q=a&q=b"])
def test_saving_tampered_filters_is_a_form_error_and_keeps_nothing(signed_in, query):
    response = signed_in.post(save_url(BORROWING), {"name": "Mine", "query": query})
    assert response.status_code == 400
    assert "These filters cannot be saved" in response.content.decode()
    assert not SavedQueueView.objects.exists()


def test_saving_a_name_already_taken_is_a_form_error_and_keeps_the_first(signed_in, staff):
    first = view_of(BORROWING, staff, name="Mine")
    response = signed_in.post(save_url(BORROWING), {"name": "MINE", "query": "q=other"})
    assert response.status_code == 400
    assert "You already have a view named “MINE”" in response.content.decode()
    assert list(SavedQueueView.objects.all()) == [first]


def test_the_save_form_shown_again_keeps_the_name_typed(signed_in):
    response = signed_in.post(save_url(BORROWING), {"name": "Mine", "query": "cols=nothing"})
    assert 'value="Mine"' in response.content.decode()


def test_saving_needs_a_post(signed_in):
    assert signed_in.get(save_url(BORROWING)).status_code == 405


def test_saving_refuses_a_post_without_the_csrf_token(staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(save_url(BORROWING), {"name": "Mine", "query": ""}).status_code == 403
    assert not SavedQueueView.objects.exists()


def test_saving_on_a_desk_the_account_may_not_work_is_refused(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    assert client.post(save_url(BORROWING), {"name": "Mine", "query": ""}).status_code == 403
    assert not SavedQueueView.objects.exists()


def test_saving_on_an_unknown_queue_is_not_found(signed_in):
    assert signed_in.post(reverse("staff:saved-views", args=["billing"]), {"name": "x"}).status_code == 404


def test_making_a_new_view_the_default_ends_the_former_defaults_turn(signed_in, staff):
    former = view_of(BORROWING, staff, is_default=True)
    signed_in.post(save_url(BORROWING), {"name": "New", "query": "", "default": "on"})
    former.refresh_from_db()
    assert not former.is_default and SavedQueueView.objects.get(name="New").is_default


# The menu beside the queue -----------------------------------------------------------------------

@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_queue_lists_the_staff_members_views_with_their_links(signed_in, staff, desk):
    view = view_of(desk, staff, name="Sent, by title")
    html = signed_in.get(reverse(desk.url)).content.decode()
    assert "Sent, by title" in html
    assert f'href="{edit_url(view)}' in html


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_view_the_queue_shows_is_marked_current(signed_in, staff, desk):
    view = view_of(desk, staff)
    response = signed_in.get(reverse(desk.url), {"sort": "-title", "status": desk.status, "cols": desk.column})
    assert [entry.view for entry in response.context["saved_views"].entries if entry.current] == [view]


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_a_view_with_another_sort_is_not_current(signed_in, staff, desk):
    view_of(desk, staff)
    response = signed_in.get(reverse(desk.url), {"sort": "title", "status": desk.status, "cols": desk.column})
    assert not any(entry.current for entry in response.context["saved_views"].entries)


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_opening_a_view_shows_its_columns_and_sort(signed_in, staff, desk):
    view_of(desk, staff)
    url = next(entry.url for entry in signed_in.get(reverse(desk.url)).context["saved_views"].entries)
    response = signed_in.get(url)
    optional = {c.key for c in response.context["optional_columns"]}
    assert response.context["shown"] & optional == {desk.column}
    assert {h.column.key: h.aria_sort for h in response.context["headers"]}["title"] == "descending"


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_queue_does_not_list_another_staff_members_views(signed_in, home, desk):
    view_of(desk, StaffFactory(library=home), name="Not mine")
    assert "Not mine" not in signed_in.get(reverse(desk.url)).content.decode()


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_queue_does_not_list_views_kept_at_another_member_library(signed_in, staff, desk):
    other = MemberLibraryFactory()
    SavedQueueViewFactory(owner=staff, library=other, queue=desk.role, name="From the other library")
    assert "From the other library" not in signed_in.get(reverse(desk.url)).content.decode()


def test_the_borrowing_queue_does_not_list_the_lending_views(signed_in, staff):
    view_of(LENDING, staff, name="Lending only")
    assert "Lending only" not in signed_in.get(reverse(BORROWING.url)).content.decode()


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_save_form_keeps_what_the_queue_shows(signed_in, desk):
    response = signed_in.get(reverse(desk.url), {"status": desk.status, "sort": "title", "cursor": "abc"})
    assert response.context["saved_views"].query == f"status={desk.status}&sort=title"


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_queue_offers_its_optional_columns_to_choose(signed_in, desk):
    html = signed_in.get(reverse(desk.url)).content.decode()
    assert f'name="cols" value="{desk.column}"' in html and 'name="cols" value=""' in html


def test_the_borrowing_tables_htmx_answer_carries_the_menu_again_out_of_band(signed_in, staff):
    view_of(BORROWING, staff, name="Mine")
    response = signed_in.get(reverse(BORROWING.url), {"q": "x"}, HTTP_HX_REQUEST="true",
                             HTTP_HX_TARGET="queue-table")
    html = response.content.decode()
    assert '<div id="saved-views" hx-swap-oob="true">' in html and "q=x" in html


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_queue_runs_the_same_number_of_queries_with_one_saved_view_as_with_thirty(signed_in, staff, desk):
    desk.factory(library=staff.staff_profile.library)
    view_of(desk, staff, name="First")
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(reverse(desk.url), {"q": ""}).status_code == 200
    for number in range(29):
        view_of(desk, staff, name=f"View {number}")
    with CaptureQueriesContext(connection) as thirty:
        response = signed_in.get(reverse(desk.url), {"q": ""})
    assert len(response.context["saved_views"].entries) == 30
    assert len(thirty) == len(one)


# The default view ---------------------------------------------------------------------------

@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_queues_plain_address_opens_the_default_view(signed_in, staff, desk):
    view_of(desk, staff, is_default=True)
    response = signed_in.get(reverse(desk.url))
    assert response.status_code == 302
    assert f"status={desk.status}" in response["Location"] and "sort=-title" in response["Location"]


@pytest.mark.parametrize("desk", DESKS, ids=str)
def test_the_standard_view_is_the_queue_as_it_comes_despite_a_default(signed_in, staff, desk):
    view_of(desk, staff, is_default=True)
    response = signed_in.get(reverse(desk.url), {"view": "standard"})
    assert response.status_code == 200
    assert {h.column.key: h.aria_sort for h in response.context["headers"]}["updated"] == "descending"


def test_a_filtered_address_is_not_sent_to_the_default_view(signed_in, staff):
    view_of(BORROWING, staff, is_default=True)
    assert signed_in.get(reverse(BORROWING.url), {"needs": "unread"}).status_code == 200


def test_another_staff_members_default_does_not_move_my_queue(signed_in, home):
    view_of(BORROWING, StaffFactory(library=home), is_default=True)
    assert signed_in.get(reverse(BORROWING.url)).status_code == 200


# A view's page: rename, replace, default, delete ------------------------------------------------------

def test_a_views_page_says_what_it_shows(signed_in, staff):
    view = view_of(BORROWING, staff)
    html = signed_in.get(edit_url(view)).content.decode()
    assert "Sent" in html and "Title, descending" in html and "Lender due" in html


def test_renaming_a_view_keeps_what_it_shows(signed_in, staff):
    view = view_of(BORROWING, staff, name="Old")
    response = signed_in.post(edit_url(view), {"name": "New", "query": "q=ignored"})
    assert response.status_code == 302
    view.refresh_from_db()
    assert (view.name, view.filters, view.sort) == ("New", {"status": BORROWING.status}, "-title")


def test_the_views_page_offers_to_replace_it_with_what_the_queue_showed(signed_in, staff):
    view = view_of(BORROWING, staff)
    html = signed_in.get(edit_url(view), {"current": "q=Kuhn&cols="}).content.decode()
    assert 'name="replace"' in html and "Kuhn" in html


def test_the_views_page_offers_no_replacement_when_the_queue_showed_the_view_itself(signed_in, staff):
    view = view_of(BORROWING, staff)
    html = signed_in.get(edit_url(view), {"current": f"status={BORROWING.status}&sort=-title&cols=lender_due"})
    assert 'name="replace"' not in html.content.decode()


def test_replacing_a_view_keeps_the_queue_as_shown(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine")
    signed_in.post(edit_url(view), {"name": "Mine", "replace": "on", "query": "q=Kuhn&sort=need_by&cols=age,due"})
    view.refresh_from_db()
    assert (view.filters, view.sort, view.columns) == ({"q": "Kuhn"}, "need_by", ["age", "due"])


def test_replacing_a_view_with_tampered_filters_is_a_form_error_and_changes_nothing(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine")
    response = signed_in.post(edit_url(view), {"name": "Renamed", "replace": "on", "query": "cols=password"})
    assert response.status_code == 400
    assert "The queue has no column “password”." in response.content.decode()
    view.refresh_from_db()
    assert (view.name, view.columns) == ("Mine", [BORROWING.column])


def test_renaming_a_view_to_an_empty_name_is_a_form_error_and_changes_nothing(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine")
    response = signed_in.post(edit_url(view), {"name": " "})
    assert response.status_code == 400
    view.refresh_from_db()
    assert view.name == "Mine"


def test_renaming_a_view_to_another_of_my_views_names_is_a_form_error(signed_in, staff):
    view = view_of(BORROWING, staff, name="One")
    view_of(BORROWING, staff, name="Two")
    response = signed_in.post(edit_url(view), {"name": "Two"})
    assert response.status_code == 400
    assert "You already have a view named “Two”" in response.content.decode()


def test_making_a_view_the_default_from_its_page(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine")
    signed_in.post(edit_url(view), {"name": "Mine", "default": "on"})
    view.refresh_from_db()
    assert view.is_default


def test_unticking_default_ends_it(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine", is_default=True)
    signed_in.post(edit_url(view), {"name": "Mine"})
    view.refresh_from_db()
    assert not view.is_default


def test_deleting_a_view_asks_first_and_keeps_it_until_confirmed(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine")
    response = signed_in.post(delete_url(view))
    assert response.status_code == 200
    assert "The saved view “Mine” will be deleted." in response.content.decode()
    assert SavedQueueView.objects.filter(pk=view.pk).exists()


def test_a_confirmed_delete_deletes_the_view_and_returns_to_the_queue(signed_in, staff):
    view = view_of(BORROWING, staff, name="Mine")
    response = signed_in.post(delete_url(view), {"confirmed": "1"})
    assert response["Location"] == reverse(BORROWING.url)
    assert not SavedQueueView.objects.filter(pk=view.pk).exists()


# Only the owner ---------------------------------------------------------------------------------

@pytest.fixture
def colleagues_view(home):
    return view_of(BORROWING, StaffFactory(library=home), name="Theirs")


def test_another_staff_members_view_page_is_not_found(signed_in, colleagues_view):
    assert signed_in.get(edit_url(colleagues_view)).status_code == 404


def test_another_staff_members_view_cannot_be_renamed(signed_in, colleagues_view):
    assert signed_in.post(edit_url(colleagues_view), {"name": "Mine now"}).status_code == 404
    colleagues_view.refresh_from_db()
    assert colleagues_view.name == "Theirs"


def test_another_staff_members_view_cannot_be_deleted(signed_in, colleagues_view):
    assert signed_in.post(delete_url(colleagues_view), {"confirmed": "1"}).status_code == 404
    assert SavedQueueView.objects.filter(pk=colleagues_view.pk).exists()


def test_my_view_kept_at_another_library_is_not_found_at_this_one(signed_in, staff):
    view = SavedQueueViewFactory(owner=staff, library=MemberLibraryFactory())
    assert signed_in.get(edit_url(view)).status_code == 404


def test_a_view_asked_for_under_the_other_queue_is_not_found(signed_in, staff):
    view = view_of(BORROWING, staff)
    assert signed_in.get(reverse("staff:saved-view", args=[Role.LENDING, view.pk])).status_code == 404
