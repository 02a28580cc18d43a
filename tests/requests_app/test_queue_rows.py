"""The staff queues' rows, built in Python (``requests_app.queue_rows``): a cell per shown column, every value
escaped."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from borrowing import filters as borrowing_filters
from borrowing import queue_rows as borrowing_rows
from lending import filters as lending_filters
from lending import queue_rows as lending_rows
from lending.models import LendingDetail
from requests_app import roles
from tests.factories import IllRequestFactory, MemberLibraryFactory, StaffFactory
from tests.lending.factories import IncomingRequestFactory

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


def body_rows(html: str) -> list[str]:
    tbody = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", tbody, flags=re.S)


@pytest.mark.parametrize("columns", [borrowing_filters.COLUMNS, lending_filters.COLUMNS], ids=["borrowing", "lending"])
def test_every_column_a_desk_offers_has_a_cell(columns):
    cells = borrowing_rows.CELLS if columns is borrowing_filters.COLUMNS else lending_rows.CELLS
    assert {c.key for c in columns.columns} == set(cells)


def test_a_title_with_markup_is_shown_as_text_in_the_borrowing_queue(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    IllRequestFactory(library=home, title=SCRIPT, container_title="")
    IllRequestFactory(library=home, title=SCRIPT, container_title=SCRIPT)
    html = client.get(reverse("borrowing_staff:queue")).content.decode()
    assert SCRIPT not in html and html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 3


def test_a_title_and_author_with_markup_are_shown_as_text_in_the_lending_queue(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    request = IncomingRequestFactory(library=home, title=SCRIPT, author=SCRIPT)
    LendingDetail.objects.create(request=request, match_kind="none", warnings=[SCRIPT])
    html = client.get(reverse("lending:queue")).content.decode()
    assert SCRIPT not in html and html.count("&lt;script&gt;") >= 3


def test_a_borrowing_row_has_the_tick_box_then_one_cell_per_shown_column(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    IllRequestFactory(library=home)
    shown = [c for c in borrowing_filters.COLUMNS.columns if not c.optional]
    html = client.get(reverse("borrowing_staff:queue"), {"cols": ""}).content.decode()
    (row,) = body_rows(html)
    cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
    assert len(cells) == 1 + len(shown) and 'type="checkbox"' in cells[0]


def test_a_lending_row_links_its_number_to_the_request_page(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.LENDING_STAFF]))
    request = IncomingRequestFactory(library=home)
    html = client.get(reverse("lending:queue")).content.decode()
    (row,) = body_rows(html)
    assert f'<a href="{reverse("lending:request", args=[request.pk])}">{request.number}</a>' in row
