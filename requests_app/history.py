"""A request's history in plain words, for the staff desks and the patron's page: one presenter.

Each event is told from the side's workflow table: the action's label, the states' labels, who acted
(a staff member by name, a partner library by name and symbol, a scheduled job) and through which
door (the desk, the REST API, an ISO 18626 message), with the note beside it and, for a renewal
answer or an offer of conditions, what was answered. A request staff made for a patron (telephone,
walk-in, e-mail) reads “by Jane Clerk for the patron, by telephone”, with how the patron accepted the
copyright warning of a copy; the patron reads that it was made for them. Nothing here queries the database: the events
come prefetched with their actors (``selectors.request_detail``, ``borrowing.selectors``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .action_input import as_date, yes_no
from .actors import ActorKind
from .conditions import condition_labels, offered_cost_text
from .iso18626.messages import ReasonForMessage
from .models import CopyrightAcceptance, Event, EventSource, IllRequest, RequestChannel, Role
from .workflow import State, Transition, Workflow, WorkflowError

#: The door an event came through, in words (``Event.source``).
SOURCE_WORDS = {
    EventSource.WEB: gettext_lazy("at the desk"),
    EventSource.API: gettext_lazy("through the REST API"),
    EventSource.ISO18626: gettext_lazy("by ISO 18626 message"),
    EventSource.JOB: gettext_lazy("by a scheduled job"),
    EventSource.ADMIN: gettext_lazy("in the admin site"),
    EventSource.SYSTEM: gettext_lazy("automatically"),
}

#: How a request staff made for a patron reached them (``Event.data["channel"]`` of its first event).
CHANNEL_WORDS = {
    RequestChannel.TELEPHONE: gettext_lazy("by telephone"),
    RequestChannel.WALK_IN: gettext_lazy("in person at the desk"),
    RequestChannel.EMAIL: gettext_lazy("by e-mail"),
    RequestChannel.OTHER: gettext_lazy("by another way (letter, chat…)"),
}

#: How the patron accepted the copyright warning of a copy staff requested for them.
COPYRIGHT_WORDS = {
    CopyrightAcceptance.SIGNED: gettext_lazy("the patron signed the copyright warning"),
    CopyrightAcceptance.EMAIL: gettext_lazy("the patron accepted the copyright warning by e-mail"),
    CopyrightAcceptance.READ_ALOUD: gettext_lazy("the copyright warning was read to the patron, who accepted it"),
}

STAFF, PATRON = "staff", "patron"


@dataclass(frozen=True)
class HistoryLine:
    """One event as a page shows it."""

    event: Event
    #: The action's label (``Send to lender``).
    what: str
    #: The states before and after, when the event changed the status.
    from_state: State | None
    to_state: State | None
    #: Who acted, in words (``Dana Clerk``, ``partner library Lakeside University (LAKE)``, ``a scheduled job``).
    who: str
    #: Through which door, in words (``at the desk``); empty when ``who`` already says it.
    how: str
    #: What was answered: ``granted until 01/15/2027``, ``refused``, ``Library use only; fee 12.00 EUR``.
    outcome: str
    #: The note beside the line ("" when the audience may not read it).
    note: str

    @property
    def at(self):
        return self.event.created_at


def is_renewal_answer(transition: Transition | None) -> bool:
    """A lender's answer to a renewal (ISO 18626 RenewResponse), whichever side the table is."""
    mapping = transition.iso18626 if transition else None
    return bool(mapping and mapping.message == "reason" and ReasonForMessage.RENEW_RESPONSE in mapping.values)


def renewal_outcome(event: Event) -> str:
    """``granted until 01/15/2027`` (or ``granted``) or ``refused``, from a renewal answer's data."""
    if not yes_no(event.data.get("answer")):
        return _("refused")
    try:
        due = as_date(event.data.get("due_date"))
    except (TypeError, ValueError):
        due = None
    return (_("granted until %(date)s") % {"date": date_format(due, "SHORT_DATE_FORMAT")}) if due else _("granted")


def conditions_outcome(event: Event) -> str:
    """The conditions an offer carried, in words, and its fee."""
    parts = condition_labels(event.data.get("loan_conditions") or [])
    cost = offered_cost_text(event.data.get("offered_cost"))
    return "; ".join([*parts, *([_("fee %(cost)s") % {"cost": cost}] if cost else [])])


def _who_for_staff(event: Event, request: IllRequest) -> tuple[str, bool]:
    """Who acted, as staff read it, and whether it already says how (a job, the system)."""
    kind = event.actor_kind
    if kind == ActorKind.PARTNER:
        library = event.actor_library
        return ((_("partner library %(name)s (%(symbol)s)") % {"name": library.name, "symbol": library.symbol})
                if library else _("the partner library")), False
    if kind == ActorKind.SYSTEM:
        if event.source == EventSource.JOB:
            return (_("a scheduled job (%(name)s)") % {"name": event.actor_name} if event.actor_name
                    else _("a scheduled job")), True
        return (_("the system (%(name)s)") % {"name": event.actor_name} if event.actor_name else _("the system")), True
    user = event.actor_user
    name = (user.get_full_name() or user.get_username()) if user else event.actor_name or _("someone")
    return (_("patron %(name)s") % {"name": name} if kind == ActorKind.PATRON else name), False


def _who_for_patron(event: Event) -> str:
    """Who acted, as the patron reads it: never a staff member's name."""
    kind = event.actor_kind
    if kind == ActorKind.PATRON:
        return _("you")
    if kind == ActorKind.STAFF:
        return _("the ILL office")
    if kind == ActorKind.PARTNER:
        return event.actor_library.name if event.actor_library else _("the lending library")
    return _("automatic")


def made_for_patron(event: Event) -> bool:
    """The request's first event, when staff made it for the patron (telephone, walk-in, e-mail)."""
    return event.action == "create" and event.actor_kind == ActorKind.STAFF and bool(event.data.get("for_patron"))


def channel_words(event: Event) -> str:
    """``by telephone``: how the request staff made for the patron came in."""
    return CHANNEL_WORDS.get(event.data.get("channel"), CHANNEL_WORDS[RequestChannel.OTHER])


def _what(event: Event, request: IllRequest, workflow: Workflow, audience: str) -> tuple[str, Transition | None]:
    if event.action == "create":
        if audience == PATRON:
            if made_for_patron(event):
                return _("The request was made for you, %(channel)s") % {"channel": channel_words(event)}, None
            return (_("You sent the request") if event.actor_kind == ActorKind.PATRON
                    else _("The request was created")), None
        if request.role == Role.LENDING and event.actor_kind == ActorKind.PARTNER:
            return _("Request received"), None
        return _("Request created"), None
    try:
        transition = workflow.transition(event.action)
    except WorkflowError:
        return event.action.replace("_", " ").capitalize(), None
    return transition.label, transition


def line(event: Event, request: IllRequest, *, audience: str = STAFF) -> HistoryLine:
    """``event`` of ``request`` told to ``audience`` (``staff`` or ``patron``)."""
    workflow = request.workflow
    what, transition = _what(event, request, workflow, audience)
    changed = event.to_status != event.from_status
    outcome = ""
    if is_renewal_answer(transition):
        outcome = renewal_outcome(event)
    elif transition and transition.iso18626 and transition.iso18626.conditions:
        outcome = conditions_outcome(event)
    elif made_for_patron(event) and audience == STAFF:
        outcome = COPYRIGHT_WORDS.get(event.data.get("copyright_accepted"), "")
    if audience == PATRON:
        who, how = _who_for_patron(event), ""
        # Notes the patron is meant to read: the reasons staff give (owned locally), their own, the lender's
        # reason for refusing a renewal and its conditions.
        shown = (event.actor_kind == ActorKind.PATRON or (transition is not None and (
            transition.needs_note or bool(outcome))))
        note = event.note if shown else ""
    else:
        who, says_how = _who_for_staff(event, request)
        how = "" if says_how else SOURCE_WORDS.get(event.source, event.get_source_display())
        if event.actor_kind == ActorKind.PATRON and event.source == EventSource.WEB:
            how = _("on the patron pages")
        elif made_for_patron(event):
            # “by Jane Clerk for the patron, by telephone”
            who, how = _("%(who)s for the patron,") % {"who": who}, channel_words(event)
        note = event.note
    return HistoryLine(
        event=event, what=what, who=who, how=how, outcome=outcome, note=note,
        from_state=workflow.state(event.from_status) if changed and event.from_status else None,
        to_state=workflow.state(event.to_status) if changed else None,
    )


def lines(request: IllRequest, events: Iterable[Event] | None = None, *, audience: str = STAFF) -> list[HistoryLine]:
    """The history of ``request`` (its prefetched ``events`` unless given), oldest first."""
    return [line(event, request, audience=audience)
            for event in (request.events.all() if events is None else events)]
