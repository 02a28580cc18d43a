"""What an action carries: the form a desk asks it with, and the one reading of its data from any door.

A ``Transition`` names its desk form (an :class:`ActionForm`); the generic desk view renders and
validates it and hands its :meth:`ActionForm.arguments` to the transition's service. Whatever
door an action comes through (a desk, the REST API, the ISO 18626 handler, a job), ``perform``
reads its ``data`` once through the side's :class:`ActionData` form, so the effects get typed
values: a date is a ``date``, the yes/no answer a ``bool``. Partners' yes/no and dates are read
here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import IllRequest

#: How partners and our forms say yes: ISO 18626's ``Y`` (``YES`` and ``TRUE`` from looser senders).
YES = frozenset({"Y", "YES", "TRUE"})


def yes_no(value: Any) -> bool:
    """``True`` for a yes (``Y``, ``yes``, ``true``, ``True``), ``False`` for anything else, absent included."""
    return str(value).upper() in YES


def as_date(value: Any) -> dt.date | None:
    """A date from a ``date``, a ``datetime`` (its day) or ISO 8601 text (its first ten characters); ``None``
    when empty. Raises ``ValueError`` for anything else."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class YesNoField(forms.Field):
    """ISO 18626's yes/no (``Y`` or ``N``) as a ``bool``: see :func:`yes_no`."""

    def to_python(self, value: Any) -> bool:
        return yes_no(value)


class IsoDateField(forms.DateField):
    """A date as partners send it: ``YYYY-MM-DD``, or a date-time whose day counts (see :func:`as_date`)."""

    def to_python(self, value: Any) -> dt.date | None:
        try:
            return as_date(value)
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class ActionData(forms.Form):
    """The values of an action's ``data`` that effects read, typed; a side adds its own fields.

    Bound to the whole ``data``; keys it does not name (the ISO 18626 status, a tracking number, a
    link) pass through as sent (``Workflow.read_data``).
    """

    due_date = IsoDateField(required=False)
    answer = YesNoField(required=False)

    def typed(self) -> dict[str, Any]:
        """The cleaned values of the fields that were sent (call after ``is_valid()``)."""
        return {key: self.cleaned_data[key] for key in self.data if key in self.fields}


class ActionForm(forms.Form):
    """The input one action asks for at a desk.

    ``ill_request`` is the request the page shows (a form may take its initial values from it).
    :meth:`arguments` are the keyword arguments the transition's service gets beside the request and
    the actor; for a transition without a service, ``note`` is the event's note and the rest its data.
    """

    def __init__(self, *args: Any, ill_request: IllRequest, **kwargs: Any) -> None:
        self.ill_request = ill_request
        super().__init__(*args, **kwargs)

    def arguments(self, request: HttpRequest) -> dict[str, Any]:
        """The service's keyword arguments from the cleaned data (``request``: the page's, for a form whose
        service needs the site's address)."""
        return dict(self.cleaned_data)
