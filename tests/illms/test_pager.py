"""The shared pager of offset-paged lists keeps the list's other query parameters."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def render_pager(query: str, **labels) -> str:
    request = RequestFactory().get(f"/list/?{query}")
    page = Paginator(range(30), 10).get_page(request.GET.get("page"))
    return render_to_string("includes/pager.html", {"page": page, **labels}, request=request)


def test_the_next_page_keeps_the_filters_and_drops_the_old_page_number():
    html = render_pager("status=sent&q=moby dick&page=2")
    assert 'href="?status=sent&amp;q=moby%20dick&amp;page=3"' in html
    assert 'href="?status=sent&amp;q=moby%20dick&amp;page=1"' in html
    assert "Page 2 of 3" in html


def test_the_links_can_say_newer_and_older():
    html = render_pager("page=2", previous_label="Newer", next_label="Older")
    assert ">Newer</a>" in html and ">Older</a>" in html


def test_a_single_page_has_no_pager():
    request = RequestFactory().get("/list/")
    page = Paginator(range(3), 10).get_page(1)
    assert render_to_string("includes/pager.html", {"page": page}, request=request).strip() == ""
