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
from .iso18626.messages import Action, ReasonForMessage

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
    #: The ISO 18626 status this state reports to the partner (the lending side's answers), if any.
    iso18626: str = ""
    #: The item is out past its due date: pages say by how many days (``IllRequest.days_overdue``).
    overdue: bool = False


# ISO 18626 --------------------------------------------------------------------------------

#: ``Iso18626.answer`` of a message we send: the yes or no the action was given (``data["answer"]``).
GIVEN = "given"


@dataclass(frozen=True)
class Reply:
    """A supplying agency message we answer a borrower's message with, besides what its transition does.

    It reports the status of the request's state after the message (``State.iso18626``).
    """

    #: reasonForMessage (``CancelResponse``, ``StatusRequestResponse``).
    reason: str
    #: answerYesNo, if any.
    answer: str = ""
    #: A note said only while the request is open (a cancel too late for a loan on its way).
    note_while_open: str = ""
    #: The borrower's note reaches our staff (a status request's does not).
    keeps_note: bool = True


@dataclass(frozen=True)
class Iso18626:
    """Where a transition meets ISO 18626 (``Transition.iso18626``): one entry of the mapping.

    ``message`` names what it is about: ``request``, ``action`` (a requesting agency message),
    ``status`` or ``reason`` (a supplying agency message's status or reason for message); ``values``
    are the codes it takes, the first being the one we send. A borrowing request sends the request and
    actions and is moved by the lender's statuses and reasons; a lending request sends statuses and
    reasons and is moved by the borrower's actions. The other fields narrow which of the partner's
    messages match (:meth:`Workflow.lookup` evaluates them) or say what goes into the one we send.
    """

    message: str
    values: tuple[str, ...] = ()
    #: Loan conditions: the message carries them (True), carries none (False), or either (None).
    conditions: bool | None = None
    #: answerYesNo: the one an incoming message must carry ("" any), or the one we send (``GIVEN``).
    answer: str = ""
    #: Statuses an incoming message must not carry (a refused cancel that says Loaned is a shipment).
    unless_status: tuple[str, ...] = ()
    #: The note agrees to the conditions: the borrower's (incoming), or the one we send.
    agrees: bool = False
    #: The status a message about a reason reports (a renewal answer: Loaned).
    with_status: str = ""
    #: What we answer the partner once its message has performed the transition.
    reply: Reply | None = None

    @classmethod
    def request(cls) -> Iso18626:
        return cls("request")

    @classmethod
    def action(cls, *actions: str, **narrowing: Any) -> Iso18626:
        return cls("action", actions, **narrowing)

    @classmethod
    def status(cls, *statuses: str, **narrowing: Any) -> Iso18626:
        return cls("status", statuses, **narrowing)

    @classmethod
    def reason(cls, *reasons: str, **narrowing: Any) -> Iso18626:
        return cls("reason", reasons, **narrowing)

    @property
    def codes(self) -> tuple[str, ...]:
        """``status:Loaned``, ``action:Received``, ``request``: how reports and pages name it."""
        return tuple(f"{self.message}:{value}" for value in self.values) or (self.message,)

    @property
    def word(self) -> str:
        """What a refusal calls it: its first code (``loanCondition`` for an offer of conditions)."""
        return "loanCondition" if self.conditions else (self.values[0] if self.values else self.message)

    def matches(self, heard: Heard) -> bool:
        """True when the partner's message ``heard`` is this entry's."""
        said = {"action": heard.action, "status": heard.status, "reason": heard.reason}.get(self.message)
        return (said in self.values
                and (self.conditions is None or self.conditions == heard.conditions)
                and (not self.answer or self.answer == heard.answer)
                and heard.status not in self.unless_status
                and (not self.agrees or heard.agrees))

    def __str__(self) -> str:
        return ", ".join(self.codes)


@dataclass(frozen=True)
class Heard:
    """What the engine reads of a partner's ISO 18626 message to find what it does (:meth:`Workflow.lookup`).

    The partner side builds it from the decoded message: a requesting agency message has an
    ``action``, a supplying agency message a ``reason`` (for message) and a ``status``.
    """

    action: str = ""
    reason: str = ""
    status: str = ""
    #: answerYesNo: ``Y``, ``N``, or "" when not given.
    answer: str = ""
    #: The lender offers loan conditions.
    conditions: bool = False
    #: The borrower's note agrees to our conditions.
    agrees: bool = False

    @property
    def informs(self) -> bool:
        """A notification, or the answer to a status request: it changes a request only with news."""
        return self.action == Action.NOTIFICATION or self.reason in (
            ReasonForMessage.NOTIFICATION, ReasonForMessage.STATUS_REQUEST_RESPONSE)


@dataclass(frozen=True)
class Lookup:
    """What a partner's message does to a request (:meth:`Workflow.lookup`): perform ``transition`` (and
    send its ``reply``, if any), send a ``reply`` alone, keep the message as a note (``note_only``) or
    refuse it (``refusal``, the reason); none of them when it tells what already happened."""

    transition: Transition | None = None
    reply: Reply | None = None
    note_only: bool = False
    refusal: str = ""


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
    #: Where it meets ISO 18626: the partner's message that performs it, or the one it sends (:class:`Iso18626`).
    iso18626: Iso18626 | None = None
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
    #: What the action does that cannot be taken back, as the question a desk or patron page asks before it
    #: runs ("Cancel this request? …"); empty: it runs on one click. The REST API and ISO 18626 never ask.
    confirm: str = ""
    #: The states in which it is the expected next action: pages show it first.
    primary: frozenset[str] = frozenset()
    #: A request this action ends without a loan, as the statistics count it (``figure_cells.CLOSING_REASONS``:
    #: owned locally, free online, purchased instead, cancelled); empty: not a closing reason.
    closes_as: str = ""

    @classmethod
    def of(cls, action: str, label: str, sources: Iterable[str], target: str | None,
           performers: Iterable[ActorKind], description: str = "", **kwargs: Any) -> Transition:
        """One row of a workflow table: the action, its button label, the states it leaves, the state it
        reaches (``None``: stays) and who may perform it, with any other field by name."""
        if "primary" in kwargs:
            kwargs["primary"] = frozenset(kwargs["primary"])
        return cls(action=action, label=label, sources=frozenset(sources), target=target,
                   performers=frozenset(performers), description=description, **kwargs)

    def allows(self, actor: ActorKind) -> bool:
        return actor in self.performers

    def rank(self, status: str) -> int:
        """Where a page lists it among the actions of ``status``: the expected next action first (0), an
        action to confirm, which undoes or ends something, last (2), the others between (1)."""
        return 0 if status in self.primary else 2 if self.confirm else 1


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
    #: How we answer a partner's action that performs no transition here, by action (a status request;
    #: a cancel that comes too late).
    replies: dict[str, Reply] = field(default_factory=dict)

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

    @staticmethod
    def in_page_order(status: str, transitions: Iterable[Transition]) -> list[Transition]:
        """``transitions`` as a page offers them in ``status``: the expected next action first, those to
        confirm last, table order otherwise (:meth:`Transition.rank`)."""
        return sorted(transitions, key=lambda t: t.rank(status))

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.value for s in self.states.values() if s.final)

    @property
    def open_states(self) -> list[str]:
        return [s.value for s in self.states.values() if not s.final]

    def mapped_to(self, codes: Iterable[str]) -> list[Transition]:
        """The transitions whose ISO 18626 mapping takes one of ``codes`` (``status:Loaned``, ``request``)."""
        wanted = frozenset(codes)
        return [t for t in self.transitions.values() if t.iso18626 and not wanted.isdisjoint(t.iso18626.codes)]

    def lookup(self, heard: Heard, status: str) -> Lookup:
        """What the partner's message ``heard`` does to a request of this side in ``status``.

        The transitions whose mapping matches it, those about its reason for message (a renewal or
        cancel answer, whatever status it reports) before those about its status or action. The first
        the partner may perform from ``status`` is performed, unless the message only informs
        (:attr:`Heard.informs`; an offer of conditions is more) and its transition already happened.
        Otherwise: the side's reply to the action, if it has one (:attr:`replies`); a message nothing
        maps, or one that only informs, is kept as a note; one whose transition already happened (a
        repeated or crossing message) does nothing; anything else is refused as not expected now.
        """
        matching = [t for t in self.transitions.values() if t.iso18626 and t.iso18626.matches(heard)]
        mapped = [t for t in matching if t.iso18626.message == "reason"] or matching
        candidates = [t for t in mapped if status in t.sources and t.allows(ActorKind.PARTNER)]
        happened = any(t.target == status for t in mapped)
        informs = heard.informs and not any(t.iso18626.conditions for t in mapped)
        if candidates and not (informs and happened):
            return Lookup(transition=candidates[0], reply=candidates[0].iso18626.reply)
        if heard.action in self.replies:
            return Lookup(reply=self.replies[heard.action])
        if not mapped or informs:
            return Lookup(note_only=True)
        if happened:
            return Lookup()
        return Lookup(refusal=f"{mapped[0].iso18626.word} is not expected while the request is "
                              f"“{self.state(status).label}”.")


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
