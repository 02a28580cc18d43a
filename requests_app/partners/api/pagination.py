"""Keyset (cursor) pagination: stable under inserts, no COUNT, cheap at any depth (DESIGN.md "Scale").

``page_size`` is a whole number from 1 to 200 (``MAX_PAGE_SIZE``); anything else answers 400 with the
parameter's error, as the OpenAPI document says. An empty ``page_size`` counts as not given. A cursor
that is not one of ours (or whose position is not a value of the ordering) answers 404: the page it
names does not exist.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as InvalidParameter
from rest_framework.pagination import CursorPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class CheckedCursorPagination(CursorPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"How many results a page holds: 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."
    cursor_query_description = ("Where the page starts: the `cursor` of a `next` or `previous` link, as given. "
                                "A cursor that is not one of ours answers 404.")

    def get_page_size(self, request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values or values == [""]:
            return self.page_size
        text = values[0].strip()
        if len(values) > 1 or not text.isascii() or not text.isdigit() or not 1 <= int(text) <= self.max_page_size:
            raise InvalidParameter({self.page_size_query_param: [
                gettext("Give one whole number from 1 to %(most)s.") % {"most": self.max_page_size}]})
        return int(text)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except ValidationError:
            raise NotFound(self.invalid_cursor_message) from None

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size,
                                       "default": self.page_size}
        return parameters


class RequestCursorPagination(CheckedCursorPagination):
    """Most recently changed first."""

    ordering = ("-updated_at", "-pk")


class LibraryCursorPagination(CheckedCursorPagination):
    ordering = ("symbol",)
