"""The staff queues' columns: which a desk shows, which of them sort and how, and their header links.

Each desk declares its columns as data (``borrowing/views/staff.py``, ``lending/views/queues.py``). A
sortable column names the ``sort`` value that lists it ascending (``"title"``; the Age column's is
``"-created"``, the youngest first); the same value with a ``-`` lists it descending. A header links to
the queue with the same filters and action list (``needs``), the next direction and no page cursor, so
sorting always starts again on the first keyset page. Optional columns can be hidden through the ``cols``
parameter (present, even empty: exactly the optional columns it names are shown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.http import QueryDict

SORT = "sort"
COLUMNS = "cols"
CURSOR = "cursor"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: The ``sort`` value listing this column ascending; empty when the column does not sort.
    sort: str = ""
    #: Optional columns may be hidden by the ``cols`` parameter.
    optional: bool = False


@dataclass(frozen=True)
class Header:
    column: Column
    #: The link the header's click follows (``?...``), empty when the column does not sort.
    url: str = ""
    #: ``ascending`` or ``descending`` when the queue is sorted by this column (the th's ``aria-sort``).
    aria_sort: str = ""

    @property
    def arrow(self) -> str:
        return {"ascending": "▲", "descending": "▼"}.get(self.aria_sort, "")


def reverse_sort(value: str) -> str:
    return value[1:] if value.startswith("-") else f"-{value}"


@dataclass(frozen=True)
class QueueColumns:
    """One desk's columns and the ``sort`` values it accepts (value → model field)."""

    columns: tuple[Column, ...]
    sorts: Mapping[str, str]

    @property
    def optional(self) -> list[Column]:
        return [c for c in self.columns if c.optional]

    def chosen_sort(self, value: str | None) -> str:
        """``value`` if it is one of this desk's sorts (either direction), else ``""``: the default order."""
        value = (value or "").strip()
        return value if value.lstrip("-") in self.sorts and value.count("-") <= 1 else ""

    def ordering(self, value: str | None, default: str) -> str:
        """The model ordering (``-due_date``) for a ``sort`` value; ``default`` for an unknown or empty one."""
        chosen = self.chosen_sort(value)
        if not chosen:
            return default
        return ("-" if chosen.startswith("-") else "") + self.sorts[chosen.lstrip("-")]

    def sort_for(self, ordering: str) -> str:
        """The ``sort`` value of a model ordering, or ``""`` if no header sorts that way."""
        for name, field in self.sorts.items():
            if ordering.lstrip("-") == field:
                return ("-" if ordering.startswith("-") else "") + name
        return ""

    def shown(self, query: QueryDict) -> list[Column]:
        """The columns to show: every one, unless ``cols`` is in the query and leaves optional ones out."""
        if COLUMNS not in query:
            return list(self.columns)
        wanted = set(self.column_choice(query))
        return [c for c in self.columns if not c.optional or c.key in wanted]

    def column_choice(self, query: QueryDict) -> list[str]:
        """The optional columns ``cols`` names, in the desk's order (unknown names ignored)."""
        named = {part.strip() for value in query.getlist(COLUMNS) for part in value.split(",")}
        return [c.key for c in self.optional if c.key in named]

    def headers(self, query: QueryDict, *, current: str, shown: list[Column]) -> list[Header]:
        """The header of each shown column; ``current`` is the ``sort`` value the rows are in."""
        headers = []
        for column in shown:
            if not column.sort:
                headers.append(Header(column))
                continue
            if current == column.sort:
                aria, following = "ascending", reverse_sort(column.sort)
            elif current == reverse_sort(column.sort):
                aria, following = "descending", column.sort
            else:
                aria, following = "", column.sort
            link = query.copy()
            link.pop(CURSOR, None)
            link[SORT] = following
            headers.append(Header(column, url="?" + link.urlencode(), aria_sort=aria))
        return headers
