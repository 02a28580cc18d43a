"""The filters of the request list (django-filter); a bad value answers 400 with the field's error."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import IllRequest, RequestFormat, Role
from requests_app.utilities.moments import in_utc
from requests_app.workflow import registry


def status_choices() -> list[tuple[str, str]]:
    """Every status of both sides' workflows (read when a filter is built: the sides register at start-up)."""
    choices: dict[str, str] = {}
    for workflow in registry:
        for state in workflow.states.values():
            choices.setdefault(state.value, state.label)
    return sorted(choices.items())


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time in UTC: PostgreSQL takes offsets only up to ±15:59, ISO 8601 up to ±23:59."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        utc = in_utc(moment)
        if utc is None:
            raise forms.ValidationError(_("The date-time is outside the years 1 to 9999 in UTC."), code="invalid")
        return utc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class IllRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=status_choices,
        help_text="A status of either side's workflow (the values differ by `role`; see the request's `status`).",
    )
    role = django_filters.ChoiceFilter(
        choices=Role.choices,
        help_text="OUR side of the request: `lending` = a partner borrows from one of our libraries; "
                  "`borrowing` = one of our libraries borrows from the partner.",
    )
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Only requests changed at or after this ISO 8601 date-time (e.g. 2025-01-31T00:00:00Z).",
    )
    format = django_filters.ChoiceFilter(choices=RequestFormat.choices, help_text="The citation's format.")

    class Meta:
        model = IllRequest
        fields = ["status", "role", "updated_since", "format"]

    def get_form_class(self):
        """The form that validates the parameters, built on the first call and kept for the class.

        django-filter builds a form class from the filters' fields for every filter set, i.e. on every
        list call; these filters and their fields are the same each time (the status choices are read
        when the form is used).
        """
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = cls._form_class = super().get_form_class()
        return form_class

    @classmethod
    def parameters_form(cls, data) -> forms.Form:
        """The bound form of the parameters, as the filter set's own ``form`` is, without making a filter set (a
        deep copy of every filter) on each call: the list applies the cleaned values itself (``prepared_list``)."""
        form_class = cls.__dict__.get("_form_class") or cls(queryset=IllRequest.objects.none()).get_form_class()
        return form_class(data)
