"""An action's ``data`` read by the transition's own form, as the desk reads its page; and said in the document.

A transition that names a ``form`` (ship, unfill, offer conditions, answer renewal, clear copyright…) asks
for what the form asks, with its rules; :func:`action_arguments` binds ``data`` (and the body's ``note``) to
that form and answers its ``arguments()``, which ``services.perform_transition`` hands to the transition's
service exactly as the desk does. A transition without a form takes ``data`` as before: read by the side's
``Workflow.read_data`` inside ``perform``. :func:`describe_action_data` writes the per-action fields into
the OpenAPI document from the same forms.
"""

from __future__ import annotations

import inspect
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from requests_app.models import IllRequest
from requests_app.workflow import Transition, registry


class UploadNeeded(ValidationError):
    """The action carries a file (deliver copy), which the JSON API does not take."""


def _file_fields(form_class: type[forms.Form]) -> list[str]:
    return [name for name, f in form_class.base_fields.items() if isinstance(f, forms.FileField)]


def _takes_note(transition: Transition) -> bool:
    return transition.service is not None and "note" in inspect.signature(transition.service).parameters


def _form_value(field: forms.Field, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(field, forms.MultipleChoiceField):
        # Several codes: a list, or one text with the codes separated by commas.
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        return [str(item).strip() for item in items if str(item).strip()]
    return value


def action_arguments(*, transition: Transition, ill_request: IllRequest, note: str, data: dict[str, Any],
                     request: Request) -> dict[str, Any]:
    """The arguments ``transition``'s service gets from an API call's ``note`` and ``data``, checked by its form.

    Without a form: ``note`` and ``data`` as they are (``perform`` reads them). Raises DRF's
    ``ValidationError`` with each field's messages named ``data.<field>`` (``data`` for the whole of it), or
    :class:`UploadNeeded` for an action that uploads a file.
    """
    form_class = transition.form
    if form_class is None:
        return {**data, "note": note}
    files = _file_fields(form_class)
    if files:
        raise UploadNeeded({f"data.{name}": [
            f"“{transition.label}” uploads a file, which this API does not take: do it on the staff desk's "
            "request page."] for name in files})
    fields = form_class.base_fields
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(fields))
    for key in unknown:
        errors[f"data.{key}"] = [f"“{transition.label}” takes no “{key}”: it takes "
                                 f"{', '.join(fields) or 'nothing'}."]
    bound = {name: _form_value(fields[name], value) for name, value in data.items() if name in fields}
    if "note" in fields:
        if note:
            bound["note"] = note
    elif note and not _takes_note(transition):
        errors["note"] = [f"“{transition.label}” takes no note."]
    if errors:
        raise ValidationError(errors)
    form = form_class(data=bound, ill_request=ill_request)
    if not form.is_valid():
        raise ValidationError({("data" if name == NON_FIELD_ERRORS else f"data.{name}"): list(messages)
                               for name, messages in form.errors.items()})
    arguments = form.arguments(request)
    if note and "note" not in fields:
        arguments["note"] = note
    return arguments


# The document --------------------------------------------------------------------------------

def _field_text(name: str, field: forms.Field) -> str:
    kind = {forms.DateField: "date `YYYY-MM-DD`", forms.DecimalField: "number", forms.IntegerField: "integer",
            forms.MultipleChoiceField: "one or more codes (a list, or text separated by commas)",
            forms.ChoiceField: "one code"}
    what = next((text for cls, text in kind.items() if isinstance(field, cls)), "text")
    parts = [f"`{name}` ({what}{', required' if field.required else ''})"]
    choices = getattr(field, "choices", None)
    if choices:
        parts.append(": " + ", ".join(f"`{value}`" for value, _ in choices if value != ""))
    if getattr(field, "max_length", None):
        parts.append(f", at most {field.max_length} characters")
    if field.help_text:
        parts.append(f"; {str(field.help_text).rstrip('.')}")
    return "".join(parts)


def describe_action_data() -> str:
    """Markdown: for each action with a form, the ``data`` fields it takes (from the form itself)."""
    lines = []
    for workflow in registry:
        for transition in workflow.transitions.values():
            form_class = transition.form
            if form_class is None:
                continue
            head = f"- `{transition.action}` ({workflow.role}, {transition.label})"
            if _file_fields(form_class):
                lines.append(f"{head}: uploads a file, which this API does not take: answered 400 "
                             f"(`data.{_file_fields(form_class)[0]}`); use the staff desk's request page.")
                continue
            fields = [_field_text(name, field) for name, field in form_class.base_fields.items() if name != "note"]
            note = ("`note` is " + ("required" if form_class.base_fields["note"].required else "optional")
                    if "note" in form_class.base_fields else
                    "`note` optional" if _takes_note(transition) else "no `note`")
            said = (inspect.getdoc(form_class) or "").split("\n")[0] if form_class.__doc__ else ""
            lines.append(f"{head}: {'; '.join(fields) or 'no data'}; {note}.{' ' + said if said else ''}")
    return "\n".join(lines)
