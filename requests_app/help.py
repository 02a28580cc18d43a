"""Staff help generated from the workflow tables, so it says what the code does and never drifts.

``workflow_help`` turns one side's ``Workflow`` into what the help page shows: every state
(label, description, ISO 18626 mapping, what can happen next) and every action (who may
perform it, from which states to which, its guards, what follows, what the partner is told).
Guards, effects and after-commit hooks explain themselves through their docstrings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

from .actors import ActorKind
from .models import Role
from .workflow import State, Transition, Workflow, mermaid


@dataclass
class ActionHelp:
    transition: Transition
    who: list[str]
    sources: list[State]
    target: State | None
    guards: list[str]
    after: list[str]
    iso18626: str


@dataclass
class StateHelp:
    state: State
    iso18626: str
    next_actions: list[ActionHelp] = field(default_factory=list)
    reached_by: list[ActionHelp] = field(default_factory=list)


@dataclass
class WorkflowHelp:
    workflow: Workflow
    role_label: str
    states: list[StateHelp]
    actions: list[ActionHelp]
    diagram: str

    @property
    def first_state(self) -> State:
        return self.workflow.states[self.workflow.initial]


def _performer(kind: ActorKind, role: str) -> str:
    borrowing = role == Role.BORROWING
    return {
        ActorKind.STAFF: gettext("Borrowing staff") if borrowing else gettext("Lending staff"),
        ActorKind.PATRON: gettext("The patron (from My requests)"),
        ActorKind.PARTNER: gettext("The lending library (by ISO 18626 or the API)") if borrowing
        else gettext("The borrowing library (by ISO 18626 or the API)"),
        ActorKind.SYSTEM: gettext("ILLMS itself (a scheduled job or a rule)"),
    }[kind]


def _explain(function) -> str:
    """The first paragraph of a guard's, effect's or hook's docstring (its name if it has none), translated
    (``help_texts.EXPLANATIONS`` repeats each for the catalogues)."""
    return gettext(explanation(function))


def explanation(function) -> str:
    """The first paragraph of ``function``'s docstring, in English (its name if it has none)."""
    doc = (function.__doc__ or "").strip()
    if doc:
        return " ".join(doc.split("\n\n", 1)[0].split())
    return function.__name__.strip("_").replace("_", " ").capitalize() + "."


def iso18626_meaning(workflow: Workflow, transition: Transition) -> str:
    """What the transition means in ISO 18626: a message we send, or one from the partner that performs it."""
    mapping = transition.iso18626
    if mapping is None:
        return ""
    values = gettext(" or ").join(mapping.values)
    said = {"values": values}
    from_partner = ActorKind.PARTNER in transition.performers
    borrowing = workflow.role == Role.BORROWING
    if mapping.message == "request":
        return gettext("Sends the ISO 18626 request to the lender.")
    if mapping.conditions:
        return (gettext("The lender's supplyingAgencyMessage with loan conditions.") if borrowing
                else gettext("Tells the borrower the conditions (supplyingAgencyMessage, %(values)s with a note).")
                % said)
    if mapping.message == "action":
        if borrowing:
            return gettext("Sends the lender the requestingAgencyMessage action %(values)s.") % said
        return gettext("Done when the borrower sends the requestingAgencyMessage action %(values)s.") % said
    if mapping.message == "status":
        if borrowing or (from_partner and ActorKind.STAFF not in transition.performers):
            return gettext("Done when the lender's supplyingAgencyMessage says status %(values)s.") % said
        return gettext("Tells the borrower the status %(values)s (supplyingAgencyMessage).") % said
    if borrowing:
        return gettext("Done when the lender's supplyingAgencyMessage has reasonForMessage %(values)s.") % said
    return gettext("Answers the borrower with reasonForMessage %(values)s.") % said


def _state_iso18626(workflow: Workflow, state: State) -> str:
    if state.iso18626:
        return gettext("The borrower is told “%(status)s”.") % {"status": state.iso18626}
    codes = sorted({value for t in workflow.transitions.values()
                    if t.target == state.value and ActorKind.PARTNER in t.performers
                    and t.iso18626 and t.iso18626.message == "status" and not t.iso18626.conditions
                    for value in t.iso18626.values})
    if codes:
        return gettext("Reached when the lender's status is %(statuses)s.") % {
            "statuses": ", ".join(f"“{c}”" for c in codes)}
    return ""


def workflow_help(workflow: Workflow) -> WorkflowHelp:
    role = str(workflow.role)
    order = list(workflow.states)
    actions = []
    for t in workflow.transitions.values():
        actions.append(ActionHelp(
            transition=t,
            who=[_performer(kind, role) for kind in ActorKind if kind in t.performers],
            sources=[workflow.states[s] for s in sorted(t.sources, key=order.index)],
            target=workflow.states[t.target] if t.target else None,
            guards=[_explain(g) for g in t.guards],
            after=[_explain(f) for f in (*t.effects, *t.with_event, *t.after_commit)],
            iso18626=iso18626_meaning(workflow, t),
        ))
    states = []
    for state in workflow.states.values():
        help_ = StateHelp(state=state, iso18626=_state_iso18626(workflow, state))
        help_.next_actions = [a for a in actions if state.value in a.transition.sources]
        help_.reached_by = [a for a in actions if a.transition.target == state.value]
        states.append(help_)
    return WorkflowHelp(workflow=workflow, role_label=Role(role).label, states=states, actions=actions,
                        diagram=mermaid(workflow))
