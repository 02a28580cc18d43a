"""Staff's saved views of the desk queues: a name for the columns, filters and sort they work with.

A view belongs to one staff member and the member library they work for, on one desk's queue
(``Role``). Each side registers its queue here at start-up (:class:`SavedQueue`: its columns and the
form that checks its filters), so the core checks a view against the queue it names without importing
the side. What a view keeps is read from the queue's query string by :func:`read_query`, which refuses
anything the queue does not know (an unknown parameter, column, sort or “needs action” list, a filter
value its form refuses) rather than storing it; opening a view is following its link
(:func:`view_url`), the queue's own address with those parameters.

A view marked default is opened when its owner opens the queue's plain address (no query string at all);
``?view=standard`` is the queue as it comes, whatever the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext

from . import action_lists, queue_columns
from .models import Library, SavedQueueView
from .queue_columns import QueueColumns
from .workflow import registry

#: ``?view=standard`` opens the queue as it comes, even for a staff member with a default view.
PARAMETER, STANDARD = "view", "standard"
MAX_NAME = 80
#: How many views one staff member may keep on one queue.
MAX_VIEWS = 50
#: The longest query string a view may keep.
MAX_QUERY = 2000
#: Parameters of a queue's address that are not part of what it shows: the keyset page, the view marker.
NOT_KEPT = frozenset({queue_columns.CURSOR, PARAMETER})


@dataclass(frozen=True)
class SavedQueue:
    """One desk's queue, as saved views need it."""

    role: str
    columns: QueueColumns
    #: The queue's filter parameters, in the order its filter form shows them.
    filters: tuple[str, ...]
    #: Makes the form that checks the filter parameters (bound to a dict of them).
    filter_form: Callable[[dict[str, str]], forms.Form]
    #: Parameters the queue's address may carry that say nothing about what it shows (lending's ``printed``).
    transient: frozenset[str] = field(default_factory=frozenset)

    @property
    def column_keys(self) -> set[str]:
        return {c.key for c in self.columns.columns}


class SavedQueueRegistry:
    def __init__(self) -> None:
        self._queues: dict[str, SavedQueue] = {}

    def register(self, queue: SavedQueue) -> None:
        self._queues[queue.role] = queue

    def get(self, role: str) -> SavedQueue | None:
        return self._queues.get(role)


queues = SavedQueueRegistry()


@dataclass(frozen=True)
class SavedQuery:
    """What a view shows: the filter parameters (``needs`` included, by name), the sort, the optional columns."""

    filters: tuple[tuple[str, str], ...]
    sort: str
    columns: tuple[str, ...]

    @classmethod
    def of(cls, view: SavedQueueView) -> SavedQuery:
        # Sorted: a jsonb column keeps its keys in an order of its own.
        return cls(filters=tuple(sorted((str(k), str(v)) for k, v in (view.filters or {}).items())), sort=view.sort,
                   columns=tuple(view.columns or ()))

    def urlencode(self) -> str:
        """The queue's query string showing this: the columns always named, so exactly they are shown."""
        pairs = [*self.filters, *([(queue_columns.SORT, self.sort)] if self.sort else []),
                 (queue_columns.COLUMNS, ",".join(self.columns))]
        return urlencode(pairs)


def read_query(queue: SavedQueue, query: QueryDict) -> SavedQuery:
    """What ``query`` (a queue's query string) shows, checked against ``queue``; ``ValidationError`` with
    every problem otherwise. Without ``cols`` every column is shown, so every optional column is kept."""
    errors: list[str] = []
    names = [name for name in query if name not in NOT_KEPT and name not in queue.transient]
    known = {*queue.filters, queue_columns.SORT, queue_columns.COLUMNS, action_lists.PARAMETER}
    errors += [gettext("The queue has no filter “%(name)s”.") % {"name": name[:40]} for name in names
               if name not in known]
    errors += [gettext("“%(name)s” is given more than once.") % {"name": name} for name in names
               if name in known and name != queue_columns.COLUMNS and len(query.getlist(name)) > 1]

    data = {name: query.get(name, "") for name in queue.filters if name in query}
    form = queue.filter_form(data)
    filters: list[tuple[str, str]] = []
    if form.is_valid():
        filters = [(name, value.strip()) for name in queue.filters if (value := data.get(name) or "").strip()]
    else:
        for name, problems in form.errors.items():
            label = form.fields[name].label if name in form.fields else name
            errors.append(f"{label}: {' '.join(problems)}")

    needs = (query.get(action_lists.PARAMETER) or "").strip()
    if needs:
        if action_lists.action_lists.get(queue.role, needs) is None:
            errors.append(gettext("The queue has no “needs action” list “%(name)s”.") % {"name": needs[:40]})
        else:
            filters.append((action_lists.PARAMETER, needs))

    sort = (query.get(queue_columns.SORT) or "").strip()
    if sort and not queue.columns.chosen_sort(sort):
        errors.append(gettext("The queue cannot be sorted by “%(name)s”.") % {"name": sort[:40]})

    optional = [c.key for c in queue.columns.optional]
    if queue_columns.COLUMNS in query:
        named = [part.strip() for value in query.getlist(queue_columns.COLUMNS) for part in value.split(",")]
        errors += [gettext("The queue has no column “%(name)s”.") % {"name": key[:40]} for key in dict.fromkeys(named)
                   if key and key not in queue.column_keys]
        columns = tuple(key for key in optional if key in named)
    else:
        columns = tuple(optional)

    if errors:
        raise ValidationError(errors)
    return SavedQuery(filters=tuple(sorted(filters)), sort=sort, columns=columns)


def parse(queue: SavedQueue, text: str) -> SavedQuery:
    """:func:`read_query` of a query string (as a form posts it)."""
    if len(text) > MAX_QUERY:
        raise ValidationError(gettext("These filters are too long to keep (at most %(count)s characters).")
                              % {"count": MAX_QUERY})
    return read_query(queue, QueryDict(text.lstrip("?")))


def view_url(view: SavedQueueView) -> str:
    """The queue showing ``view``."""
    return f"{registry.get(view.queue).desk_queue_url()}?{SavedQuery.of(view).urlencode()}"


# Reading ------------------------------------------------------------------------------------

def views_of(*, owner, library: Library, role: str) -> list[SavedQueueView]:
    """``owner``'s views of ``library``'s ``role`` queue, by name (one query)."""
    return list(SavedQueueView.objects.filter(owner=owner, library=library, queue=role)
                .order_by(Lower("name"), "pk"))


def own_view(*, owner, library: Library, role: str, pk: int) -> SavedQueueView:
    """``owner``'s view ``pk`` of that queue; ``SavedQueueView.DoesNotExist`` for anyone else's."""
    return SavedQueueView.objects.get(pk=pk, owner=owner, library=library, queue=role)


# Changing -----------------------------------------------------------------------------------

def _name_taken(name: str) -> ValidationError:
    return ValidationError({"name": gettext("You already have a view named “%(name)s” on this queue: choose another "
                                            "name, or open that view and replace it.") % {"name": name}})


def _clear_default(*, owner, library: Library, role: str, keep: int | None = None) -> None:
    SavedQueueView.objects.filter(owner=owner, library=library, queue=role, is_default=True) \
        .exclude(pk=keep).update(is_default=False)


@transaction.atomic
def save_view(*, owner, library: Library, role: str, name: str, query: SavedQuery,
              make_default: bool = False) -> SavedQueueView:
    """Keep ``query`` as ``owner``'s view ``name`` of the ``role`` queue (the default one if ``make_default``,
    replacing the former default). Raises ``ValidationError`` on ``name`` when the owner has a view of that
    name (in any case) on this queue, or already :data:`MAX_VIEWS` views; nothing is changed then."""
    mine = list(SavedQueueView.objects.select_for_update().filter(owner=owner, library=library, queue=role))
    if any(view.name.casefold() == name.casefold() for view in mine):
        raise _name_taken(name)
    if len(mine) >= MAX_VIEWS:
        raise ValidationError({"name": gettext("You have %(count)s views of this queue, the most one may keep: "
                                               "delete one first.") % {"count": MAX_VIEWS}})
    if make_default:
        _clear_default(owner=owner, library=library, role=role)
    try:
        with transaction.atomic():
            return SavedQueueView.objects.create(
                owner=owner, library=library, queue=role, name=name, filters=dict(query.filters), sort=query.sort,
                columns=list(query.columns), is_default=make_default)
    except IntegrityError:  # the same name saved at the same moment in another tab
        raise _name_taken(name) from None


@transaction.atomic
def update_view(*, view: SavedQueueView, name: str, make_default: bool,
                query: SavedQuery | None = None) -> SavedQueueView:
    """Rename ``view``, make it the default or not, and replace what it shows with ``query`` when given.
    Raises ``ValidationError`` on ``name`` when another view of the owner on this queue has that name."""
    view = SavedQueueView.objects.select_for_update().get(pk=view.pk)
    others = SavedQueueView.objects.filter(owner=view.owner_id, library=view.library_id, queue=view.queue) \
        .exclude(pk=view.pk).values_list("name", flat=True)
    if any(other.casefold() == name.casefold() for other in others):
        raise _name_taken(name)
    if make_default:
        _clear_default(owner=view.owner_id, library=view.library_id, role=view.queue, keep=view.pk)
    view.name, view.is_default = name, make_default
    fields = ["name", "is_default", "updated_at"]
    if query is not None:
        view.filters, view.sort, view.columns = dict(query.filters), query.sort, list(query.columns)
        fields += ["filters", "sort", "columns"]
    try:
        with transaction.atomic():
            view.save(update_fields=fields)
    except IntegrityError:
        raise _name_taken(name) from None
    return view


def delete_view(*, view: SavedQueueView) -> None:
    view.delete()


# The menu beside a queue -----------------------------------------------------------------------

@dataclass(frozen=True)
class MenuEntry:
    view: SavedQueueView
    #: The queue showing the view.
    url: str
    #: The page that renames, replaces or deletes it (knowing what the queue shows now, to replace it with).
    edit_url: str
    #: The queue shows exactly this view now.
    current: bool


@dataclass(frozen=True)
class Menu:
    entries: list[MenuEntry]
    #: Where the save form posts, and the query string it keeps (what the queue shows now).
    save_url: str
    query: str
    max_name: int = MAX_NAME

    @property
    def default(self) -> MenuEntry | None:
        return next((entry for entry in self.entries if entry.view.is_default), None)


def menu(*, owner, library: Library, role: str, query: QueryDict) -> Menu:
    """The saved views of ``owner`` on ``library``'s ``role`` queue, beside the queue showing ``query`` (one
    query, however many views)."""
    from django.urls import reverse

    queue = queues.get(role)
    try:
        shown = read_query(queue, query) if queue else None
    except ValidationError:
        shown = None
    text = query.urlencode()
    following = f"?{urlencode({'current': text})}" if text else ""
    entries = [MenuEntry(view=view, url=view_url(view),
                         edit_url=reverse("staff:saved-view", args=[role, view.pk]) + following,
                         current=shown is not None and SavedQuery.of(view) == shown)
               for view in views_of(owner=owner, library=library, role=role)]
    return Menu(entries=entries, save_url=reverse("staff:saved-views", args=[role]), query=text)


def describe(queue: SavedQueue, query: SavedQuery, *, library: Library) -> list[tuple[str, str]]:
    """What ``query`` shows, in words: (label, value) for each filter, the sort and the columns."""
    form = queue.filter_form({})
    rows = []
    for name, value in query.filters:
        if name == action_lists.PARAMETER:
            item = action_lists.action_lists.get(queue.role, value)
            rows.append((gettext("Needs action"),
                         item.label_for(action_lists.today_for(library).policy) if item else value))
            continue
        field_ = form.fields.get(name)
        choices = dict(getattr(field_, "choices", None) or ())
        rows.append((str(field_.label) if field_ else name, str(choices.get(value, value))))
    by_sort = {c.sort.lstrip("-"): c for c in queue.columns.columns if c.sort}
    if query.sort:
        column = by_sort.get(query.sort.lstrip("-"))
        natural = column is not None and column.sort.startswith("-") == query.sort.startswith("-")
        rows.append((gettext("Sorted by"), (gettext("%(column)s, ascending") if natural
                                            else gettext("%(column)s, descending"))
                     % {"column": column.label if column else query.sort}))
    else:
        rows.append((gettext("Sorted by"), gettext("The queue’s usual order")))
    labels = {c.key: str(c.label) for c in queue.columns.columns}
    rows.append((gettext("Extra columns"), ", ".join(labels.get(key, key) for key in query.columns)
                 or gettext("None")))
    return rows
