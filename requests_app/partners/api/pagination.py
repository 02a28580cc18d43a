"""Keyset (cursor) pagination: stable under inserts, no COUNT, cheap at any depth (DESIGN.md "Scale")."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class CheckedCursorPagination(CursorPagination):
    """A cursor whose position is not a value of the ordering field answers 404, like any bad cursor."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except ValidationError:
            raise NotFound(self.invalid_cursor_message) from None


class RequestCursorPagination(CheckedCursorPagination):
    """Most recently changed first; ``?page_size=`` up to 200 (larger values are clamped)."""

    ordering = ("-updated_at", "-pk")


class LibraryCursorPagination(CheckedCursorPagination):
    ordering = ("symbol",)
