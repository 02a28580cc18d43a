"""Every change of state of a request goes through here.

``perform`` is the one function that carries out a workflow action, whoever asks: a
staff view, a patron page, the REST API, the ISO 18626 handler or a Celery job.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from .actors import ActorKind
from .models import Event, EventSource, IllRequest, Library, Note, NoteVisibility, Role
from .transition_listeners import notify_transition_listeners
from .workflow import Actor, Transition, WorkflowError, registry

#: Sent after the transaction of a transition commits. Decoupled listeners (billing,
#: statistics) subscribe to it; the workflow itself never depends on a receiver.
#: Arguments: ``request`` (IllRequest), ``event`` (Event), ``transition`` (Transition).
request_transitioned = Signal()

#: A partner sent a link to an electronic copy outside a change of state (a re-issued link,
#: say). Sent inside the handler's transaction. Arguments: ``request``, ``url``, ``partner``.
copy_link_received = Signal()


def _not_an_action_for(kind: ActorKind) -> str:
    """The refusal of an action to an actor of ``kind``: a whole sentence for each, so each language words it."""
    return {
        ActorKind.PATRON: gettext("“%(action)s” is not an action for a patron."),
        ActorKind.STAFF: gettext("“%(action)s” is not an action for staff."),
        ActorKind.PARTNER: gettext("“%(action)s” is not an action for a partner library."),
        ActorKind.SYSTEM: gettext("“%(action)s” is not an action for the system."),
    }[kind]


def check_actor(*, request: IllRequest, actor: Actor, transition: Transition) -> None:
    """Raise ``WorkflowError('forbidden')`` unless ``actor`` may perform ``transition`` on ``request``."""
    if not transition.allows(actor.kind):
        raise WorkflowError("forbidden", _not_an_action_for(actor.kind) % {"action": transition.label})
    if actor.kind == ActorKind.STAFF:
        permission = request.workflow.staff_permission
        user = actor.user
        if user is None or not user.is_active or (permission and not user.has_perm(permission)):
            raise WorkflowError("forbidden", gettext("Your account may not work this queue."))
        profile = getattr(user, "staff_profile", None)
        if not user.is_superuser and (profile is None or profile.library_id != request.library_id):
            raise WorkflowError("forbidden", gettext("This request belongs to another library."))
    elif actor.kind == ActorKind.PATRON:
        if actor.user is None or request.role != Role.BORROWING or request.patron_id != actor.user.pk:
            raise WorkflowError("forbidden", gettext("This is not your request."))
    elif actor.kind == ActorKind.PARTNER:
        if actor.library is None or request.partner_id != actor.library.pk:
            raise WorkflowError("forbidden", gettext("This request is not between your library and ours."))


def changed_meanwhile(request: IllRequest) -> WorkflowError:
    """The refusal of an action asked by someone who saw ``request`` in another status than it is in now."""
    return WorkflowError("conflict", gettext("Request %(number)s changed meanwhile: it is now “%(status)s”. Reload "
                                             "it and try again.") % {"number": request.number,
                                                                     "status": request.status_label},
                         status=request.status)


def available_actions(*, request: IllRequest, actor: Actor) -> list[Transition]:
    """The transitions ``actor`` may perform now: what the UI shows as buttons, in the page's order (the
    expected next action first, those to confirm last: ``Workflow.in_page_order``)."""
    result = []
    for transition in request.workflow.available(request.status, actor.kind):
        try:
            check_actor(request=request, actor=actor, transition=transition)
        except WorkflowError:
            continue
        if any(guard(request, actor, {}) for guard in transition.guards):
            continue
        result.append(transition)
    return request.workflow.in_page_order(request.status, result)


def perform(
    *,
    request: IllRequest,
    action: str,
    actor: Actor,
    source: str = EventSource.WEB,
    note: str = "",
    data: dict[str, Any] | None = None,
    expected_status: str | None = None,
) -> IllRequest:
    """Carry out ``action`` on ``request`` as ``actor`` and return the updated request.

    Locks the row (``select_for_update``) for the whole change, so two people acting on
    one request are serialised. ``expected_status`` is the status the caller saw
    (defaults to ``request.status`` as passed in): if the row has moved on meanwhile, the
    action is refused with ``conflict`` rather than applied to a state nobody looked at.

    ``data`` is read once through the side's ``Workflow.read_data`` (dates as dates, the yes/no
    answer as a bool) for the guards, effects and the partner's message; the event keeps it as sent.

    Raises ``WorkflowError`` (``unknown_action``, ``not_allowed``, ``forbidden``, ``invalid``,
    ``guard_failed``, ``conflict``); nothing is changed then. On success writes one
    ``Event``, calls the transition listeners (``transition_listeners``: the partner's message), runs the
    transition's ``with_event`` hooks in the same transaction (the rows they
    write commit with the event or not at all) and, after commit, its ``after_commit`` hooks and
    ``request_transitioned``.
    """
    workflow = registry.get(request.role)
    transition = workflow.transition(action)
    payload = dict(data or {})
    seen = expected_status if expected_status is not None else request.status

    with transaction.atomic():
        locked = (IllRequest.objects.select_for_update(of=("self",))
                  .select_related("library", "partner").get(pk=request.pk))
        if locked.status != seen:
            raise changed_meanwhile(locked)
        if locked.status not in transition.sources:
            raise WorkflowError(
                "not_allowed",
                gettext("“%(action)s” is not possible while the request is “%(status)s”.") % {
                    "action": transition.label, "status": locked.status_label},
                status=locked.status,
            )
        check_actor(request=locked, actor=actor, transition=transition)
        # Read once, whoever sent it: guards, effects and the partner's message get typed values.
        typed = workflow.read_data(payload)
        for guard in transition.guards:
            reason = guard(locked, actor, typed)
            if reason:
                raise WorkflowError("guard_failed", reason)
        if transition.needs_note and not note.strip():
            raise WorkflowError("invalid", gettext("“%(action)s” needs a note saying why.")
                                % {"action": transition.label})

        changed: set[str] = set()
        for effect in transition.effects:
            changed.update(effect(locked, actor, typed))
        from_status = locked.status
        now = timezone.now()
        if transition.target and transition.target != from_status:
            locked.status = transition.target
            locked.status_changed_at = now
            changed.update({"status", "status_changed_at"})
        locked.updated_at = now
        changed.add("updated_at")
        locked.save(update_fields=sorted(changed))

        event = Event.objects.create(
            request=locked,
            action=transition.action,
            from_status=from_status,
            to_status=locked.status,
            actor_kind=actor.kind,
            actor_user=actor.user if actor.user and actor.user.is_authenticated else None,
            actor_library=actor.library,
            actor_name=actor.name,
            source=source,
            note=note.strip(),
            data=_json_safe(payload),
            created_at=now,
        )
        # The partner hears of it: the partner side's listener writes its message in this same transaction.
        notify_transition_listeners(request=locked, transition=transition, event=event, actor=actor, payload=typed)
        for hook in transition.with_event:
            hook(locked, event)
        for hook in transition.after_commit:
            transaction.on_commit(functools.partial(hook, locked, event))
        transaction.on_commit(functools.partial(
            request_transitioned.send, sender=IllRequest, request=locked, event=event, transition=transition,
        ))

    # Hand the caller the fresh state without another query.
    for name in changed:
        setattr(request, name, getattr(locked, name))
    return request


def perform_transition(*, transition: Transition, request: IllRequest, actor: Actor, arguments: dict[str, Any],
                       source: str = EventSource.WEB, expected_status: str | None = None) -> Any:
    """Carry out ``transition`` with the input its form validated, as every door that asks with a form does.

    ``arguments`` are the form's ``arguments()``: the transition's ``service`` gets them (shipping details, a
    clearance, an upload...); a transition without one is performed by :func:`perform`, ``arguments["note"]``
    its note and the rest its data. ``expected_status`` is the status the caller saw: a request in another
    is refused with ``conflict`` before anything runs. Returns what the service returns (``perform``: the
    request). Raises ``WorkflowError`` as the service or ``perform`` does; nothing is changed then.
    """
    if expected_status and expected_status != request.status:
        raise changed_meanwhile(request)
    given = dict(arguments)
    if transition.service is not None:
        return transition.service(request=request, actor=actor, source=source, **given)
    return perform(request=request, action=transition.action, actor=actor, source=source,
                   note=given.pop("note", "") or "", data=given, expected_status=expected_status)


def claim(*, request_id: int, from_status: str, action: str, actor: Actor, source: str = EventSource.JOB,
          note: str = "", data: dict[str, Any] | None = None) -> IllRequest | None:
    """Perform ``action`` for a job only if the request is still in ``from_status``.

    Returns ``None`` (and does nothing) when another worker or a person got there first, so
    a job run twice, or two workers racing, act once.
    """
    try:
        request = IllRequest.objects.get(pk=request_id, status=from_status)
        return perform(request=request, action=action, actor=actor, source=source, note=note, data=data,
                       expected_status=from_status)
    except IllRequest.DoesNotExist:
        return None
    except WorkflowError as exc:
        if exc.code in {"conflict", "not_allowed"}:
            return None
        raise


def add_note(*, request: IllRequest, text: str, visibility: str = NoteVisibility.INTERNAL,
             author=None, author_library: Library | None = None) -> Note:
    text = (text or "").strip()
    if not text:
        raise WorkflowError("invalid", gettext("A note cannot be empty."))
    if visibility == NoteVisibility.PATRON and request.role != Role.BORROWING:
        raise WorkflowError("invalid", gettext("Only borrowing requests have a patron to write to."))
    return Note.objects.create(request=request, text=text, visibility=visibility, author=author,
                               author_library=author_library)


def _json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    """Events store their payload as JSON: dates and decimals as strings, lists and mappings as such."""
    return {key: _json_value(value) for key, value in payload.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return _json_safe(value)
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return str(value)


def create_request(*, role: str, library: Library, actor: Actor, source: str = EventSource.WEB,
                   note: str = "", event_data: dict[str, Any] | None = None, **fields: Any) -> IllRequest:
    """Create a request of ``role`` for member ``library`` in its workflow's initial state.

    Validates the model (identifiers normalised, bad ones reported per field) and writes
    the first ``Event`` (with ``event_data``, e.g. what a partner sent that has no field). Raises
    ``django.core.exceptions.ValidationError`` on bad input; nothing is saved then. Callers (the
    borrowing and lending services) check their own side's rules first.
    """
    workflow = registry.get(role)
    if not library.is_member:
        raise WorkflowError("invalid", gettext("%(symbol)s is not a member library of this installation.") % {
            "symbol": library.symbol})
    request = IllRequest(role=role, library=library, status=workflow.initial, **fields)
    profile = getattr(request.patron, "patron_profile", None) if request.patron_id else None
    if profile is not None:
        request.patron_category = request.patron_category or profile.category
        request.patron_department = request.patron_department or profile.department
    # Fields are checked here (identifiers, lengths, choices), each error on its own field. The table's
    # constraints are left to the database: their only input from outside, a partner's request id,
    # is caught as an IntegrityError by the caller; validating them here cost one
    # query each on every new request (a quarter of an ISO 18626 request's intake time). The library and
    # the partner arrive as rows already read (the library checked as a member just above): asking the
    # database again whether they exist cost two more queries per request; the foreign keys still hold.
    loaded = ["library", *(["partner"] if isinstance(fields.get("partner"), Library) else [])]
    # An id given (``IllRequest.objects.reserve_id()``) is new by construction: not looked up either.
    request.full_clean(exclude=[*loaded, *(["id"] if request.pk is not None else [])], validate_constraints=False)
    with transaction.atomic(savepoint=False):  # a caller's transaction is ours: no savepoint to write
        request.save(force_insert=True)
        event = Event.objects.create(
            request=request, action="create", from_status="", to_status=request.status,
            actor_kind=actor.kind, actor_user=actor.user if actor.user and actor.user.is_authenticated else None,
            actor_library=actor.library, actor_name=actor.name, source=source, note=note.strip(),
            data=event_data or {}, created_at=request.created_at,
        )
        transaction.on_commit(functools.partial(
            request_transitioned.send, sender=IllRequest, request=request, event=event, transition=None,
        ))
    # Its history as written, for an answer given at once (the partner API's 201) without reading it back.
    request.created_event = event
    return request


def receive_partner_request(*, library: Library, partner: Library, requesting_agency_request_id: str,
                            source: str = EventSource.API, savepoint: bool = True,
                            event_data: dict[str, Any] | None = None, **citation: Any) -> tuple[IllRequest, bool]:
    """A partner's request to borrow from member ``library``; returns ``(request, created)``.

    ``event_data`` is kept in the data of its first event (what the partner sent that has no field of its own).

    The partner's id names the transaction: the same request received again (a retry
    after a lost answer, or the same request by ISO 18626 and REST) returns the existing
    one and creates nothing. Raises ``WorkflowError`` for an inactive partner or a missing
    id, ``ValidationError`` for a bad citation.

    ``savepoint=False``, for a caller inside its own transaction: the request is written in that
    transaction without a savepoint of its own (two round trips fewer). A request received before is
    then not answered here: the ``IntegrityError`` of its id reaches the caller, whose transaction
    cannot go on; the caller rolls it back and calls again with a savepoint. Only the ISO 18626
    handler does, through ``requests_app.partners.savepoint_retry`` (why: that module's docstring).
    """
    if not partner.active:
        raise WorkflowError("forbidden", gettext("%(symbol)s is not an active partner.") % {"symbol": partner.symbol})
    if partner.pk == library.pk:
        raise WorkflowError("invalid", gettext("A library cannot borrow from itself."))
    rid = (requesting_agency_request_id or "").strip()
    if not rid:
        raise WorkflowError("invalid", gettext("The requesting library's request id is required."))
    if len(rid) > 64:
        raise WorkflowError("invalid", gettext("The requesting library's request id is longer than 64 characters."))

    def existing() -> IllRequest | None:
        return IllRequest.objects.filter(role=Role.LENDING, library=library, partner=partner,
                                         requesting_agency_request_id=rid).first()

    # A request received before (a retry after a lost answer, the same request by ISO 18626 and REST, two
    # deliveries racing) is told by the unique constraint on the partner's id when the new row is written,
    # not by a look-up before every new request: a resend costs a failed INSERT, a new request one query less.
    try:
        with transaction.atomic(savepoint=savepoint):
            # Our id for the partner is "<symbol>-<id>": with the id reserved first, the row is written once.
            pk = IllRequest.objects.reserve_id()
            ours = {"pk": pk, "supplying_agency_request_id": f"{library.symbol}-{pk}"} if pk is not None else {}
            request = create_request(role=Role.LENDING, library=library, partner=partner,
                                     actor=Actor.partner(partner), source=source, requesting_agency_request_id=rid,
                                     event_data=event_data, **ours, **citation)
            if pk is None:  # no sequence to take the id from (SQLite): the supplier id is written second
                request.supplying_agency_request_id = f"{library.symbol}-{request.pk}"
                request.save(update_fields=["supplying_agency_request_id"])
    except (IntegrityError, ValidationError):
        if not savepoint:  # the caller's transaction is spoilt (or marked to roll back): the caller retries
            raise
        # A resend is answered with the request received first, even when its citation would not validate.
        found = existing()
        if found is None:
            raise
        return found, False
    return request, True


def partner_request_differences(*, request: IllRequest, fields: dict[str, Any]) -> list[str]:
    """The fields of a partner's repeated request (``fields``, as sent) whose values differ from ``request``'s.

    A retry of the same request (an answer lost) differs in nothing and gets the request back; a new request
    under an id already used is a conflict. Only the fields sent are compared (a field left out is no
    difference), ``note`` with the note the request was received with.
    """
    differences = []
    for name, value in fields.items():
        if name == "note":
            received_with = request.events.filter(action="create").values_list("note", flat=True).first() or ""
            if (value or "").strip() != received_with:
                differences.append(name)
            continue
        stored = getattr(request, name)
        if isinstance(value, str) and isinstance(stored, str):
            value, stored = value.strip(), stored.strip()
        if (value if value not in (None, "") else None) != (stored if stored not in (None, "") else None):
            differences.append(name)
    return differences
