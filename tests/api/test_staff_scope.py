"""Staff use the API with a session: their member library's requests of the sides they work."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from borrowing.states import BorrowingStatus
from tests.factories import IllRequestFactory, LendingRequestFactory, MemberLibraryFactory, UserFactory

from .contracts import assert_json_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def listed(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


def test_staff_list_only_their_own_librarys_requests(world):
    other = MemberLibraryFactory(symbol="OTHER")
    IllRequestFactory(library=other, partner=world.partner_a)
    LendingRequestFactory(library=other, partner=world.partner_a)
    ids = listed(world.staff_client().get(URL))
    assert ids == {world.lending_a.pk, world.borrowing_a.pk, world.lending_b.pk, world.borrowing_b.pk}


def test_staff_of_another_library_get_404_for_our_request(world):
    client = world.staff_client(library=MemberLibraryFactory(symbol="OTHER"))
    assert_json_error(client.get(f"{URL}{world.lending_a.pk}/"), 404, "not_found")


def test_lending_staff_see_no_borrowing_requests(world, staff_groups):
    client = world.staff_client(groups=staff_groups["lending"])
    assert listed(client.get(URL)) == {world.lending_a.pk, world.lending_b.pk}
    assert_json_error(client.get(f"{URL}{world.borrowing_a.pk}/"), 404, "not_found")


def test_lending_staff_cannot_act_on_a_borrowing_request(world, staff_groups):
    client = world.staff_client(groups=staff_groups["lending"])
    response = client.post(f"{URL}{world.borrowing_a.pk}/actions/receive/", {}, format="json")
    assert_json_error(response, 404, "not_found")
    world.borrowing_a.refresh_from_db()
    assert world.borrowing_a.status == BorrowingStatus.SENT


def test_staff_without_a_queue_permission_get_403(world):
    assert_json_error(world.staff_client(groups=[]).get(URL), 403, "permission_denied")


def test_a_user_without_a_staff_library_gets_403(world):
    assert_json_error(world.client(user=UserFactory()).get(URL), 403, "permission_denied")


def test_the_staff_list_runs_as_many_queries_for_twenty_rows_as_for_three(world):
    client = world.staff_client()
    IllRequestFactory.create_batch(3, library=world.ours)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL).json()["results"]) == 7
    IllRequestFactory.create_batch(17, library=world.ours)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 24
    assert len(many) == len(few)
