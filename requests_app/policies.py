"""The policies in force for a member library: ``policy_for(library)``.

Every rule that used to read an ``ILLMS_*`` setting asks here instead. A library without a
policy row gets the settings (so an installation that never opens ``/policies/`` behaves as
before); a row, once an administrator saves one, wins for that library.

``policy_for`` costs one small query (by the library's unique key) each time it is asked, so a
change is seen at once and a long-lived ``Library`` instance never carries a stale policy.
Jobs and pages that walk many requests call ``prefetch_policies`` once for their libraries:
it reads them all in one query and pins each on its ``Library`` instance for that walk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from django.db import transaction

from .models import Library, LibraryPolicy, PolicyChange
from .policy_declarations import POLICIES

_CACHE_ATTR = "_illms_policy"


class _PolicyReading:
    def max_active_requests_for(self, category: str | None) -> int:
        """The most open requests a patron of ``category`` may have."""
        limit = self.max_active_requests_by_category.get(category or "")
        return self.max_active_requests if limit is None else int(limit)

    @classmethod
    def from_row(cls, row: LibraryPolicy) -> Policy:
        values = {policy.name: getattr(row, policy.name) for policy in POLICIES}
        values["max_active_requests_by_category"] = dict(row.max_active_requests_by_category or {})
        return cls(**values)


# One attribute per declared policy, so a new policy needs no second spelling here.
Policy = dataclasses.make_dataclass("Policy", [(policy.name, policy.type) for policy in POLICIES],
                                    bases=(_PolicyReading,), frozen=True)
Policy.__module__ = __name__
Policy.__doc__ = "The policies of one library (or the installation's defaults), read-only."


def default_policy() -> Policy:
    """The installation's settings (``ILLMS_*``): the policy of a library that has none of its own."""
    return Policy(**{policy.name: policy.installation_value() for policy in POLICIES})


def policy_for(library: Library | None) -> Policy:
    """The policies of ``library``; the settings for ``None`` or a library without a row."""
    if library is None:
        return default_policy()
    pinned = getattr(library, _CACHE_ATTR, None)
    if pinned is not None:
        return pinned
    row = LibraryPolicy.objects.filter(library_id=library.pk).first()
    return Policy.from_row(row) if row is not None else default_policy()


def prefetch_policies(libraries: Iterable[Library]) -> None:
    """Read the policies of all ``libraries`` in one query and pin each on its instance (for a batch walk)."""
    pending = [lib for lib in libraries if lib is not None and getattr(lib, _CACHE_ATTR, None) is None]
    if not pending:
        return
    rows = {row.library_id: row for row in LibraryPolicy.objects.filter(library_id__in={lib.pk for lib in pending})}
    defaults = default_policy()
    for lib in pending:
        row = rows.get(lib.pk)
        setattr(lib, _CACHE_ATTR, Policy.from_row(row) if row is not None else defaults)


def policies_by_library_id(library_ids: Iterable[int]) -> dict[int, Policy]:
    """``{library id: Policy}`` for ``library_ids`` in one query (for jobs that hold ids, not rows)."""
    ids = set(library_ids)
    rows = {row.library_id: row for row in LibraryPolicy.objects.filter(library_id__in=ids)}
    defaults = default_policy()
    return {pk: Policy.from_row(rows[pk]) if pk in rows else defaults for pk in ids}


def forget_cached_policy(library: Library) -> None:
    """Drop the policy cached on ``library`` (after a change made some other way than ``save_policy``)."""
    library.__dict__.pop(_CACHE_ATTR, None)


def policy_row(library: Library) -> LibraryPolicy:
    """``library``'s editable policy row, unsaved with the settings' values when it has none yet."""
    row = LibraryPolicy.objects.filter(library=library).first()
    return row if row is not None else LibraryPolicy(library=library)


def record_change(*, library: Library, area: str, changes: dict, actor) -> PolicyChange | None:
    """Write the audit row for a change of ``area`` (nothing when ``changes`` is empty)."""
    if not changes:
        return None
    return PolicyChange.objects.create(library=library, area=area, changes=changes,
                                       changed_by=actor if getattr(actor, "pk", None) else None)


def _plain(value) -> object:
    """A value as the change log keeps it (JSON): lists stay, everything else is text or empty."""
    if value is None or isinstance(value, (bool, int, list)):
        return value
    return str(value)


def save_policy_form(form, *, library: Library, actor, area: str, fields: Iterable[str] | None = None):
    """Save a valid model form's row of ``library`` (a rule, a vendor…) and record what changed in ``fields``
    (the form's own by default) under ``area``; one transaction, the row locked while it is read."""
    fields = list(form._meta.fields if fields is None else fields)
    model = form._meta.model
    with transaction.atomic():
        before = ({name: getattr(model.objects.select_for_update().get(pk=form.instance.pk), name)
                   for name in fields} if form.instance.pk else {})
        row = form.save(commit=False)
        row.library = library
        if hasattr(row, "updated_by"):
            row.updated_by = actor
        row.save()
        changes = {name: [_plain(before.get(name)), _plain(getattr(row, name))] for name in fields
                   if not before or before.get(name) != getattr(row, name)}
        record_change(library=library, area=area, changes=changes, actor=actor)
    return row


def save_policy(*, library: Library, values: dict, actor, area: str) -> LibraryPolicy:
    """Save ``values`` (field → value) into ``library``'s policy row (created on first save) and
    record who changed what. Values are validated by the caller's form; the row is re-checked
    with ``full_clean``."""
    with transaction.atomic():
        # get_or_create: two administrators saving a library's first policies at once both end on one row.
        row, _created = LibraryPolicy.objects.select_for_update().get_or_create(library=library)
        changes = {}
        for name, value in values.items():
            old = getattr(row, name)
            if old != value:
                changes[name] = [old, value]
            setattr(row, name, value)
        row.updated_by = actor if getattr(actor, "pk", None) else None
        row.full_clean()
        row.save()
        record_change(library=library, area=area, changes=changes, actor=actor)
    forget_cached_policy(library)
    return row


#: The lending rules that live on the library's directory entry (partners see them in the directory).
DIRECTORY_LENDING_FIELDS = ("lends_loans", "lends_copies", "loan_period_days", "max_loans_outstanding")


def save_lending_policy(*, library: Library, values: dict, actor) -> None:
    """Save ``library``'s lending policy: the directory fields (``DIRECTORY_LENDING_FIELDS``) on the
    library, the rest on its policy row; one audit row for the change."""
    directory = {k: v for k, v in values.items() if k in DIRECTORY_LENDING_FIELDS}
    policy_values = {k: v for k, v in values.items() if k not in DIRECTORY_LENDING_FIELDS}
    with transaction.atomic():
        locked = Library.objects.select_for_update().get(pk=library.pk)
        changes = {name: [getattr(locked, name), value] for name, value in directory.items()
                   if getattr(locked, name) != value}
        for name, value in directory.items():
            setattr(locked, name, value)
            setattr(library, name, value)
        if changes:
            locked.save(update_fields=[*directory, "updated_at"])
        record_change(library=library, area="lending (directory)", changes=changes, actor=actor)
        save_policy(library=library, values=policy_values, actor=actor, area="lending")


def recent_changes(*, library: Library, limit: int = 100):
    """The latest policy changes of ``library``, newest first, with who made them (one query)."""
    return PolicyChange.objects.filter(library=library).select_related("changed_by")[:limit]
