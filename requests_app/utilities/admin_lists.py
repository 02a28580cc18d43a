"""Admin lists that stay fast on tables of millions of rows: requests, their events, messages and logs.

Django's admin list, as it comes, asks the database questions whose cost grows with the table: it
counts every matching row for its paginator, sorts by the model's ordering (``-created_at`` for
requests, which no index serves across libraries), builds the date-hierarchy links from a
``SELECT DISTINCT`` of the years, fills a filter on a plain column from a ``SELECT DISTINCT`` of its
values, and lists the whole directory (10,500 libraries) in a library filter; ten years of the
network's traffic is a hundred times the million requests the benchmark lists (its figures are in
docs/performance.md). ``LargeTableAdmin`` and ``values_filter`` ask only questions an index answers in
the same time at any size (``tests/perf/test_admin_lists.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` rows: ``SELECT COUNT(*) FROM (… LIMIT cap + 1)``, never the whole table.

    Past the cap the list says "more than …" and offers the first ``cap`` rows' pages; narrowing the
    list with a filter or a search brings the rest within reach.
    """

    cap = 10_000
    #: Whether there are more rows than ``count`` says (set when ``count`` is read).
    capped = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        # Unordered, so that PostgreSQL may count from whichever index the filter has (the list's own
        # ``ORDER BY id DESC`` would have it walk the primary key until it met cap + 1 matching rows).
        if hasattr(rows, "order_by"):
            rows = rows.order_by()
        counted = rows[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class PageChangeList(ChangeList):
    """Reads the rows the list's columns point to for the page's rows only, by primary key, after the page.

    Django joins them (``select_related``) into the query that filters and sorts; with a filter the
    planner may then join every matching row (to the users, to the 10,500 libraries) before it sorts and
    keeps a page, reading the patrons' table whole.
    ``prefetch_related`` asks one ``WHERE id IN (…)`` per relation for the page's rows instead.

    A model admin's ``list_related_fields`` names, per relation, the columns its list shows of the related rows
    (what their ``__str__`` reads): only those are read, not a library's 35 columns for its symbol and name.
    """

    def apply_select_related(self, qs):
        related = self.list_select_related
        if related is True or related is False:
            related = [name for name in self.list_display if self._is_foreign_key(name)]
        shown = getattr(self.model_admin, "list_related_fields", {})
        lookups = []
        for name in related:
            if name in shown:
                model = self.lookup_opts.get_field(name).related_model
                lookups.append(Prefetch(name, queryset=model._default_manager.only(*shown[name])))
            else:
                lookups.append(name)
        return qs.prefetch_related(*lookups)

    def _is_foreign_key(self, name) -> bool:
        try:
            field = self.lookup_opts.get_field(name)
        except (FieldDoesNotExist, TypeError):
            return False
        return (field.many_to_one or field.one_to_one) and field.concrete and name != field.attname


class LargeTableAdmin(admin.ModelAdmin):
    """The admin list of a table that grows with the requests.

    Newest first by primary key (the key's own index, instead of a sort of the table by a date), the
    columns' related rows read for the page only (``PageChangeList``), a capped count, no second count
    of the unfiltered table, no counts per filter choice ("facets"), and no "delete selected" action:
    "select all" over millions of rows is neither countable nor something to delete in one click (a single
    row can still be deleted from its own page where the model allows it).
    """

    paginator = CappedCountPaginator
    # Django's list, its rows written with the work per column done once per page (``admin_rows``).
    change_list_template = "admin/large_table_change_list.html"
    show_full_result_count = False
    ordering = ("-pk",)
    # "Show counts" would count the table once per choice of every filter.
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return PageChangeList

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def values_filter(field: str, title: str, choices: Callable[[], Iterable[tuple[str, str]]]) -> type:
    """A list filter on ``field`` offering ``choices()``, where Django would read the column's distinct
    values (a scan of the whole table) because the field declares no choices of its own. A value it
    does not offer is the admin's "invalid lookup", never a query (a year that is no number)."""

    def lookups(self, request, model_admin):
        return list(choices())

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in {str(choice) for choice, _label in self.lookup_choices}:
            # The admin answers with its "invalid lookup" page instead of a query it cannot run.
            raise IncorrectLookupParameters(f"{value!r} is not one of the {title} values offered.")
        return queryset.filter(**{field: value})

    return type(f"{field.title().replace('_', '')}Filter", (admin.SimpleListFilter,),
                {"title": title, "parameter_name": field, "lookups": lookups, "queryset": queryset})


def recent_years(years: int = 10) -> Callable[[], list[tuple[str, str]]]:
    """This year and the ``years - 1`` before it, newest first."""

    def choices() -> list[tuple[str, str]]:
        this_year = timezone.localdate().year
        return [(str(year), str(year)) for year in range(this_year, this_year - years, -1)]

    return choices
