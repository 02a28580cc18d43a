"""Staff review of a borrowing request: correcting and verifying the citation."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from requests_app.citation_lookup import complete_citation
from requests_app.models import Event, EventSource, IllRequest, NoteVisibility, Role
from requests_app.services import add_note, check_actor, perform
from requests_app.workflow import Actor, WorkflowError

from ..states import EDITABLE_STATES

CITATION_FIELDS = (
    "format", "title", "author", "container_title", "volume", "issue", "pages", "publication_date", "edition",
    "publisher", "place_of_publication", "isbn", "issn", "oclc_number", "doi", "pmid", "need_by", "max_cost",
)


def _field_names(request: IllRequest, names) -> str:
    """The changed fields' names as the history keeps them, in the stored language of events (English)."""
    with override(None):
        return ", ".join(str(request._meta.get_field(name).verbose_name) for name in names)


def update_citation(*, request: IllRequest, actor: Actor, changes: dict[str, Any], verify: bool = False,
                    source: str = EventSource.WEB) -> IllRequest:
    """Save corrected citation fields of ``request`` and, with ``verify``, verify it.

    Validates the whole row (``full_clean``: identifiers normalised, each bad one on its
    field) and writes an ``edit_citation`` event listing what changed (the status stays).
    Raises ``ValidationError`` for bad values and ``WorkflowError`` when the request is not
    in review any more (``not_allowed``) or the actor may not work it (``forbidden``).
    """
    unknown = set(changes) - set(CITATION_FIELDS)
    if unknown:
        raise WorkflowError("invalid", f"Not citation fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = IllRequest.objects.select_for_update(of=("self",)).select_related("library").get(pk=request.pk)
        if locked.role != Role.BORROWING or locked.status not in EDITABLE_STATES:
            raise WorkflowError("not_allowed", gettext("The citation can be corrected only while the request is in "
                                                       "review or sourcing."), status=locked.status)
        check_actor(request=locked, actor=actor, transition=locked.workflow.transition("verify"))
        before = {name: getattr(locked, name) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean()
        changed = {name: (before[name], getattr(locked, name)) for name in changes
                   if before[name] != getattr(locked, name)}
        if changed:
            now = timezone.now()
            locked.updated_at = now
            locked.save(update_fields=[*changed, "updated_at"])
            Event.objects.create(
                request=locked, action="edit_citation", from_status=locked.status, to_status=locked.status,
                actor_kind=actor.kind, actor_user=actor.user, actor_library=actor.library, actor_name=actor.name,
                source=source, created_at=now,
                note="Citation corrected: " + _field_names(locked, changed),
                data={name: [str(old or ""), str(new or "")] for name, (old, new) in changed.items()},
            )
        if verify:
            perform(request=locked, action="verify", actor=actor, source=source)
    for name in changes:
        setattr(request, name, getattr(locked, name))
    request.status = locked.status
    return request


def cancel_owned_locally(*, request: IllRequest, actor: Actor, reason: str, expected_status: str | None = None,
                         source: str = EventSource.WEB) -> IllRequest:
    """Cancel because the library owns the item; ``reason`` (where to find it) becomes a note the patron sees.

    The patron is e-mailed after commit (the transition's hook). Raises ``WorkflowError``
    as ``perform`` does (``invalid`` without a reason).
    """
    with transaction.atomic():
        perform(request=request, action="cancel_owned_locally", actor=actor, source=source, note=reason,
                expected_status=expected_status)
        add_note(request=request, text=reason, visibility=NoteVisibility.PATRON, author=actor.user)
    return request


def cancel_free_online(*, request: IllRequest, actor: Actor, reason: str, expected_status: str | None = None,
                       source: str = EventSource.WEB) -> IllRequest:
    """Cancel because a free, legal copy is online (open access); ``reason`` (where to read it) becomes a note the
    patron sees. Kept apart from the other cancellations (its own action in the history), as owned locally is.

    The patron is e-mailed after commit. Raises ``WorkflowError`` as ``perform`` does (``invalid`` without a reason).
    """
    with transaction.atomic():
        perform(request=request, action="cancel_free_online", actor=actor, source=source, note=reason,
                expected_status=expected_status)
        add_note(request=request, text=reason, visibility=NoteVisibility.PATRON, author=actor.user)
    return request


LOOKED_UP_FIELDS = ("title", "author", "container_title", "volume", "issue", "pages", "publication_date",
                    "publisher", "place_of_publication", "isbn", "issn", "oclc_number", "doi", "pmid")


def complete_from_identifiers(*, request: IllRequest, actor: Actor, source: str = EventSource.WEB
                              ) -> tuple[IllRequest, dict[str, tuple[str, str]], list[str]]:
    """Fill ``request``'s empty citation fields from its DOI, PMID or ISBN (``citation_lookup``), as a citation edit.

    Asks the services before any row is locked (each within its time limit), then saves what they fill in
    through ``update_citation`` (an ``edit_citation`` event lists each field's old and new value; what
    staff or the patron typed is never overwritten). Returns the request, the changes and the services'
    warnings. Raises as ``update_citation`` does.
    """
    current = {name: str(getattr(request, name) or "") for name in LOOKED_UP_FIELDS}
    done = complete_citation({"format": request.format, "referrer": "", "warnings": [], "notices": [],
                              **{name: value for name, value in current.items() if value}})
    changes: dict[str, Any] = {name: done[name] for name in LOOKED_UP_FIELDS if done.get(name) and not current[name]}
    if done.get("format") and done["format"] != request.format:
        changes["format"] = done["format"]
    warnings = [w for w in done["warnings"] if not w.startswith("Filled in from the identifier")]
    if not changes:
        return request, {}, warnings
    shown = {name: (str(getattr(request, name) or ""), str(value)) for name, value in changes.items()}
    return update_citation(request=request, actor=actor, changes=changes, source=source), shown, warnings
