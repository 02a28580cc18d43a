"""A small declarative workflow engine.

Each side declares its states and transitions as data (``borrowing/workflow.py``,
``lending/workflow.py``) and registers the ``Workflow`` in its ``AppConfig.ready``. The
same table drives the single service that performs actions
(``requests_app.services.perform``), the action buttons, the REST actions, the ISO 18626
mapping, the staff help pages and the state diagrams in docs/.

django-fsm-2 was considered: its transitions are methods decorated on the model, which
would put both sides' rules on the shared model and make borrowing and lending import
each other's states; a table per side keeps them apart and is easy to render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .action_input import ActionData
from .actors import ActorKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .action_input import ActionForm
    from .models import Event, IllRequest, Library


class WorkflowError(Exception):
    """A refused action. ``code`` is stable and maps to an HTTP status, a form error and an
    ISO 18626 error type in one place each.

    Codes: ``unknown_action``, ``not_allowed`` (not from the current state),
    ``forbidden`` (not for this actor), ``guard_failed`` (a rule refused it),
    ``conflict`` (the request changed since the caller read it), ``invalid`` (bad input).
    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a patron, a staff member, a partner library, or the system."""

    kind: ActorKind
    user: AbstractBaseUser | None = None
    library: Library | None = None
    name: str = ""

    @classmethod
    def patron(cls, user: AbstractBaseUser) -> Actor:
        return cls(ActorKind.PATRON, user=user)

    @classmethod
    def staff(cls, user: AbstractBaseUser) -> Actor:
        return cls(ActorKind.STAFF, user=user)

    @classmethod
    def partner(cls, library: Library) -> Actor:
        return cls(ActorKind.PARTNER, library=library)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(ActorKind.SYSTEM, name=name)


@dataclass(frozen=True)
class State:
    value: str
    label: str
    description: str = ""
    final: bool = False
    #: Bootstrap colour name for badges.
    colour: str = "secondary"
    #: The ISO 18626 status a partner is told for this state (lending side), if any.
    iso18626: str = ""


#: A guard returns ``None`` when the action may go ahead, or the reason it may not.
Guard = Callable[["IllRequest", Actor, dict], "str | None"]
#: An effect changes fields of the locked request before it is saved; it returns the
#: names of the fields it changed.
Effect = Callable[["IllRequest", Actor, dict], Iterable[str]]
#: Runs inside the transaction, after the event is written: rows that must exist if and only if the
#: change commits (the patron's e-mail, as the partner's message in the outbox).
WithEvent = Callable[["IllRequest", "Event"], None]
#: Runs after the transaction commits (queue a task): never inside it.
AfterCommit = Callable[["IllRequest", "Event"], None]


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    #: ``None``: the status stays (a renewal, a note-like action); the event is still written.
    target: str | None
    performers: frozenset[ActorKind]
    description: str = ""
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    with_event: tuple[WithEvent, ...] = ()
    after_commit: tuple[AfterCommit, ...] = ()
    #: ISO 18626 status or action this transition maps to (``status:Loaned``, ``action:Received``).
    iso18626: str = ""
    #: Bootstrap colour of its button.
    colour: str = "primary"
    #: The button asks for a note (a reason the patron or partner sees).
    needs_note: bool = False
    #: The form a desk asks this action with (``None``: the desk's note form); its ``arguments()`` go to
    #: ``service``, or, without one, to ``perform`` as the note and the data.
    form: type[ActionForm] | None = None
    #: The side's service that performs this action from a desk, where the action writes more than the
    #: request (shipping details, a clearance, an upload): called as ``service(request=, actor=, **arguments)``.
    service: Callable[..., Any] | None = None
    #: The desk offers it as a button of its own among the actions; ``False``: in a section of the page that
    #: is about it (the rota's send, the copyright clearance).
    button: bool = True

    @classmethod
    def of(cls, action: str, label: str, sources: Iterable[str], target: str | None,
           performers: Iterable[ActorKind], description: str = "", **kwargs: Any) -> Transition:
        """One row of a workflow table: the action, its button label, the states it leaves, the state it
        reaches (``None``: stays) and who may perform it, with any other field by name."""
        return cls(action=action, label=label, sources=frozenset(sources), target=target,
                   performers=frozenset(performers), description=description, **kwargs)

    def allows(self, actor: ActorKind) -> bool:
        return actor in self.performers


@dataclass
class Workflow:
    role: str
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition] = field(default_factory=dict)
    #: The permission a staff actor needs for any transition of this workflow.
    staff_permission: str = ""
    #: The URL namespace of this side's staff desk, which names its pages ``queue`` (``?status=``) and
    #: ``request`` (the request's pk). The core links to the desks by it without importing their apps.
    desk: str = ""
    #: Reads the ``data`` an action carries, whoever sends it (:meth:`read_data`).
    data_form: type[ActionData] = ActionData

    def read_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` as the effects read it: the values ``data_form`` names typed (dates, the yes/no answer),
        the others as sent. Raises ``WorkflowError('invalid')`` for a value that cannot be read."""
        form = self.data_form(data=data)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise WorkflowError("invalid", f"{field}: {' '.join(errors)}", field=field)
        return {**data, **form.typed()}

    def desk_queue_url(self, status: str | None = None) -> str:
        """This side's desk queue, in ``status`` when given."""
        from django.urls import reverse
        from django.utils.http import urlencode

        url = reverse(f"{self.desk}:queue")
        return f"{url}?{urlencode({'status': status})}" if status else url

    def desk_request_url(self, pk: int) -> str:
        from django.urls import reverse

        return reverse(f"{self.desk}:request", args=[pk])

    def __post_init__(self) -> None:
        for t in self.transitions.values():
            unknown = (set(t.sources) | ({t.target} if t.target else set())) - set(self.states)
            if unknown:
                raise ValueError(f"{self.role}.{t.action} names unknown states {sorted(unknown)}")
        if self.initial not in self.states:
            raise ValueError(f"{self.role}: unknown initial state {self.initial}")

    def state(self, value: str) -> State:
        try:
            return self.states[value]
        except KeyError:
            return State(value, value.replace("_", " ").capitalize())

    def transition(self, action: str) -> Transition:
        try:
            return self.transitions[action]
        except KeyError:
            raise WorkflowError("unknown_action", f"There is no action “{action}” for {self.role} requests.",
                                action=action) from None

    def available(self, status: str, actor: ActorKind | None = None) -> list[Transition]:
        """The transitions possible from ``status`` (for ``actor``, if given), in table order."""
        return [t for t in self.transitions.values()
                if status in t.sources and (actor is None or t.allows(actor))]

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.value for s in self.states.values() if s.final)

    @property
    def open_states(self) -> list[str]:
        return [s.value for s in self.states.values() if not s.final]

    def for_iso18626(self, code: str) -> list[Transition]:
        return [t for t in self.transitions.values() if t.iso18626 == code]


class WorkflowRegistry:
    def __init__(self) -> None:
        self._workflows: dict[str, Workflow] = {}

    def register(self, workflow: Workflow) -> None:
        self._workflows[workflow.role] = workflow

    def get(self, role: str) -> Workflow:
        try:
            return self._workflows[role]
        except KeyError:
            raise LookupError(f"No workflow registered for role {role!r}") from None

    def __iter__(self):
        return iter(self._workflows.values())


registry = WorkflowRegistry()


def mermaid(workflow: Workflow) -> str:
    """The workflow as a Mermaid state diagram (rendered by GitHub and most doc tools)."""
    lines = ["stateDiagram-v2"]
    lines.append(f"    [*] --> {workflow.initial}")
    for t in workflow.transitions.values():
        for source in sorted(t.sources, key=list(workflow.states).index):
            target = t.target or source
            who = "/".join(sorted(k.value for k in t.performers))
            lines.append(f"    {source} --> {target}: {t.action} ({who})")
    for s in workflow.states.values():
        if s.final:
            lines.append(f"    {s.value} --> [*]")
    return "\n".join(lines) + "\n"
