"""GET /api/v1/requests/: the requests between the caller and us, filtered and cursor-paginated."""

import base64
import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest
from requests_app.partners.api.pagination import RequestCursorPagination
from tests.factories import IllRequestFactory, LendingRequestFactory

from .contracts import AuthenticationContract, ConstantQueriesContract, ListIsolationContract, assert_json_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/requests/"


def listed(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [row["id"] for row in response.json()["results"]]


class TestRequestList(AuthenticationContract, ListIsolationContract, ConstantQueriesContract):
    def url(self, world):
        return URL

    def add_rows(self, world, n):
        LendingRequestFactory.create_batch(n - n // 2, library=world.ours, partner=world.partner_a)
        IllRequestFactory.create_batch(n // 2, library=world.ours, partner=world.partner_a)

    def test_a_partner_lists_both_sides_of_its_dealings_with_us(self, world):
        ids = listed(world.partner_a_client().get(URL))
        assert set(ids) == {world.lending_a.pk, world.borrowing_a.pk}

    def test_the_most_recently_changed_request_comes_first(self, world):
        world.lending_a.save()  # touches updated_at
        assert listed(world.partner_a_client().get(URL)) == [world.lending_a.pk, world.borrowing_a.pk]

    def test_a_partner_never_reads_patron_data_in_the_list(self, world):
        row = next(r for r in world.partner_a_client().get(URL).json()["results"] if r["id"] == world.borrowing_a.pk)
        assert "patron_name" not in row
        assert "patron" not in row
        assert world.borrowing_a.patron.last_name not in str(row)

    def test_role_filters_by_our_side(self, world):
        assert listed(world.partner_a_client().get(URL, {"role": "lending"})) == [world.lending_a.pk]
        assert listed(world.partner_a_client().get(URL, {"role": "borrowing"})) == [world.borrowing_a.pk]

    def test_status_filters_by_status(self, world):
        assert listed(world.partner_a_client().get(URL, {"status": BorrowingStatus.SENT})) == [world.borrowing_a.pk]

    def test_format_filters_by_citation_format_not_by_renderer(self, world):
        article = LendingRequestFactory(library=world.ours, partner=world.partner_a, format="article")
        assert listed(world.partner_a_client().get(URL, {"format": "article"})) == [article.pk]

    def test_an_unknown_filter_value_answers_400_with_the_fields_error(self, world):
        body = assert_json_error(world.partner_a_client().get(URL, {"role": "both"}), 400, "invalid")
        assert "role" in body["errors"]

    def test_updated_since_lists_only_requests_changed_since_then(self, world):
        old = timezone.now() - dt.timedelta(days=10)
        IllRequest.objects.filter(pk=world.borrowing_a.pk).update(updated_at=old)
        since = (timezone.now() - dt.timedelta(days=1)).isoformat()
        assert listed(world.partner_a_client().get(URL, {"updated_since": since})) == [world.lending_a.pk]

    def test_updated_since_with_an_offset_beyond_postgresqls_range_is_read_in_utc(self, world):
        old = timezone.now() - dt.timedelta(days=10)
        IllRequest.objects.filter(pk=world.borrowing_a.pk).update(updated_at=old)
        since = (timezone.now() - dt.timedelta(days=1)).astimezone(
            dt.timezone(dt.timedelta(hours=20, minutes=13))).isoformat()
        assert listed(world.partner_a_client().get(URL, {"updated_since": since})) == [world.lending_a.pk]

    def test_updated_since_that_falls_before_year_one_in_utc_answers_400_json(self, world):
        body = assert_json_error(world.partner_a_client().get(URL, {"updated_since": "0001-01-01T00:00:00+05:00"}),
                                 400, "invalid")
        assert "updated_since" in body["errors"]

    def test_a_bad_updated_since_answers_400_json(self, world):
        body = assert_json_error(world.partner_a_client().get(URL, {"updated_since": "last tuesday"}), 400, "invalid")
        assert "updated_since" in body["errors"]

    def test_the_cursor_walks_every_row_once_even_when_changes_share_a_timestamp(self, world):
        LendingRequestFactory.create_batch(9, library=world.ours, partner=world.partner_a)
        same = timezone.now() - dt.timedelta(hours=1)
        IllRequest.objects.filter(partner=world.partner_a).exclude(pk=world.lending_a.pk).update(updated_at=same)
        client, url, seen = world.partner_a_client(), f"{URL}?page_size=3", []
        while url:
            response = client.get(url)
            seen += listed(response)
            url = response.json()["next"]
        expected = IllRequest.objects.filter(partner=world.partner_a).order_by("-updated_at", "-pk")
        assert seen == list(expected.values_list("pk", flat=True))
        assert len(seen) == len(set(seen)) == 11

    def test_a_page_size_of_200_is_the_largest_accepted(self):
        request = APIRequestFactory().get(URL, {"page_size": "200"})
        assert RequestCursorPagination().get_page_size(Request(request)) == 200

    @pytest.mark.parametrize("page_size", ["201", "100000", "0", "-5", "lots", "2.5", "１０"])
    def test_a_page_size_outside_1_to_200_answers_400_on_the_parameter(self, world, page_size):
        body = assert_json_error(world.partner_a_client().get(URL, {"page_size": page_size}), 400, "invalid")
        assert body["errors"] == {"page_size": ["Give one whole number from 1 to 200."]}

    def test_two_page_sizes_answer_400(self, world):
        response = world.partner_a_client().get(f"{URL}?page_size=1&page_size=2")
        assert assert_json_error(response, 400, "invalid")["errors"] == {"page_size": [
            "Give one whole number from 1 to 200."]}

    def test_an_empty_page_size_is_the_default(self, world):
        assert len(listed(world.partner_a_client().get(URL, {"page_size": ""}))) == 2

    def test_a_bad_cursor_answers_404_json(self, world):
        assert_json_error(world.partner_a_client().get(URL, {"cursor": "not-a-cursor"}), 404, "not_found")

    def test_a_forged_cursor_position_answers_404_json_not_a_crash(self, world):
        forged = base64.b64encode(urlencode({"p": "not a date"}).encode()).decode()
        assert_json_error(world.partner_a_client().get(URL, {"cursor": forged}), 404, "not_found")
